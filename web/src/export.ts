// Export of the current view: PNG and SVG drawn by the view's own paint routine (so the selection and
// hover on screen are in the picture), and a self-contained offline HTML file of the analysis.
import { themeColours } from "./colors";
import { CanvasPainter, SvgPainter } from "./painter";
import { download } from "./ui";
import type { Ctx, View } from "./views/view";

const PNG_SCALE = 2; // export at twice the CSS size: sharp on high-density screens and in print

function baseName(ctx: Ctx): string {
  const s = ctx.state;
  const where = s.view === "detail" || s.view === "neuron" ? `-L${s.layer}-H${s.head}` : s.view === "head" ? `-L${s.layer}` : "";
  return `attnscope-${s.view}${where}`;
}

export async function exportImage(kind: "png" | "svg", view: View, ctx: Ctx): Promise<string> {
  const size = view.size?.(ctx);
  if (!view.paint || !size) throw new Error("nothing to export yet");
  const bg = themeColours().bg;
  const name = `${baseName(ctx)}.${kind}`;
  if (kind === "svg") {
    const p = new SvgPainter(Math.ceil(size.width), Math.ceil(size.height), bg);
    view.paint(ctx, p);
    download(name, new Blob([p.toString()], { type: "image/svg+xml" }));
    return name;
  }
  const c = document.createElement("canvas");
  c.width = Math.ceil(size.width * PNG_SCALE);
  c.height = Math.ceil(size.height * PNG_SCALE);
  const g = c.getContext("2d") as CanvasRenderingContext2D;
  g.setTransform(PNG_SCALE, 0, 0, PNG_SCALE, 0, 0);
  g.fillStyle = bg;
  g.fillRect(0, 0, size.width, size.height);
  view.paint(ctx, new CanvasPainter(g));
  const blob = await new Promise<Blob | null>((resolve) => c.toBlob(resolve, "image/png"));
  if (!blob) throw new Error("the browser could not encode the PNG");
  download(name, blob);
  return name;
}

export async function exportHtml(ctx: Ctx): Promise<string> {
  const name = "attnscope.html";
  if (ctx.staticMode) {
    // This page already is an offline export: save it as it is.
    download(name, new Blob(["<!doctype html>\n" + document.documentElement.outerHTML], { type: "text/html" }));
    return name;
  }
  const res = await fetch("api/export", {
    method: "POST",
    body: JSON.stringify(ctx.requestBody()),
    headers: { "Content-Type": "application/json" },
  });
  if (!res.ok) {
    const j = await res.json().catch(() => ({ error: `HTTP ${res.status}` }));
    throw new Error(j.error ?? `HTTP ${res.status}`);
  }
  download(name, await res.blob());
  return name;
}
