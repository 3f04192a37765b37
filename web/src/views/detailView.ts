// Head detail: one head's n × n attention as a heatmap with token labels on both axes, the exact value
// under the pointer, its row and column highlighted; optionally without [CLS]/[SEP] (rows renormalised)
// and at word level.
import { css, themeColours, viridis } from "../colors";
import { formatF32, matrixView, type MatrixView } from "../data";
import { loadExact } from "../exactValues";
import { CanvasPainter, type Painter } from "../painter";
import { checkbox, el, select, sizeCanvas, tooltip } from "../ui";
import type { Ctx, View } from "./view";

let hoverCell: { r: number; c: number } | null = null;
let canvas: HTMLCanvasElement | null = null;
let current: MatrixView | null = null;

interface Geometry {
  cell: number;
  left: number;
  top: number;
  width: number;
  height: number;
}

function geometry(v: MatrixView): Geometry {
  const cell = Math.max(3, Math.min(30, Math.floor(720 / Math.max(v.rows, v.cols))));
  const longest = Math.max(4, ...v.rowLabels.map((s) => s.length));
  const labels = cell >= 8;
  const left = labels ? Math.min(140, longest * 7 + 12) : 24;
  const top = labels ? Math.min(120, longest * 6 + 14) : 24;
  return { cell, left, top, width: left + v.cols * cell + 10, height: top + v.rows * cell + 34 };
}

function paintDetail(ctx: Ctx, p: Painter, v: MatrixView): Geometry {
  const g = geometry(v);
  const colours = themeColours();
  // The corner above the row labels names the head, so an exported picture says what it shows.
  p.text(
    4,
    10,
    `layer ${ctx.analysis?.layerName(ctx.state.layer) ?? ctx.state.layer} · head ${ctx.analysis?.headName(ctx.state.head) ?? ctx.state.head}`,
    { size: 11, colour: colours.muted },
  );
  let max = 0;
  for (const x of v.m) max = Math.max(max, x);
  if (max <= 0) max = 1;
  for (let r = 0; r < v.rows; r++) {
    for (let c = 0; c < v.cols; c++) {
      p.rect(
        g.left + c * g.cell,
        g.top + r * g.cell,
        g.cell - (g.cell > 6 ? 1 : 0),
        g.cell - (g.cell > 6 ? 1 : 0),
        css(viridis(v.m[r * v.cols + c] / max)),
      );
    }
  }
  if (g.cell >= 8) {
    const size = Math.min(12, g.cell - 1);
    for (let r = 0; r < v.rows; r++) {
      const hl = hoverCell?.r === r;
      p.text(g.left - 6, g.top + r * g.cell + g.cell / 2, v.rowLabels[r], {
        size,
        colour: hl ? colours.hl : colours.fg,
        align: "right",
        mono: true,
        weight: hl ? "bold" : "normal",
      });
    }
    for (let c = 0; c < v.cols; c++) {
      const hl = hoverCell?.c === c;
      p.text(g.left + c * g.cell + g.cell / 2, g.top - 6, v.colLabels[c], {
        size,
        colour: hl ? colours.hl : colours.fg,
        align: "left",
        rotate: -60,
        mono: true,
        weight: hl ? "bold" : "normal",
      });
    }
  }
  if (hoverCell) {
    p.strokeRect(g.left, g.top + hoverCell.r * g.cell, v.cols * g.cell, g.cell, colours.hl, 1.5);
    p.strokeRect(g.left + hoverCell.c * g.cell, g.top, g.cell, v.rows * g.cell, colours.hl, 1.5);
  }
  // Scale bar.
  const y = g.top + v.rows * g.cell + 12;
  for (let k = 0; k < 64; k++) p.rect(g.left + k * 3, y, 3, 10, css(viridis(k / 63)));
  p.text(g.left + 200, y + 5, `0 … ${max.toFixed(3)}  (rows: queries, columns: keys)`, { size: 11, colour: colours.muted });
  return g;
}

function readout(ctx: Ctx, v: MatrixView): string {
  if (!hoverCell) return "";
  const value = v.m[hoverCell.r * v.cols + hoverCell.c];
  const a = ctx.analysis;
  const approx = a !== null && !a.isExact(Math.min(ctx.state.layer, a.L - 1), Math.min(ctx.state.head, a.H - 1));
  return (
    `${v.rowLabels[hoverCell.r]} → ${v.colLabels[hoverCell.c]}: ${approx ? "≈ " : ""}${formatF32(value)}` +
    (approx
      ? ` (${a.values === "u8" ? "8-bit copy" : "half precision"}, ± ${a.maxError.toPrecision(2)}${a.exactSource ? "; loading the exact value" : ""})`
      : "") +
    (v.transformed ? " (transformed)" : "") +
    `  [layer ${ctx.analysis?.layerName(ctx.state.layer) ?? ctx.state.layer}, head ${ctx.analysis?.headName(ctx.state.head) ?? ctx.state.head}]`
  );
}

function redraw(ctx: Ctx): void {
  if (!canvas || !current) return;
  const g = geometry(current);
  const c = sizeCanvas(canvas, g.width, g.height);
  c.clearRect(0, 0, g.width, g.height);
  paintDetail(ctx, new CanvasPainter(c), current);
  // The geometry, for tests and tools that point at a cell.
  Object.assign(canvas.dataset, { left: String(g.left), top: String(g.top), cell: String(g.cell), rows: String(current.rows) });
  const out = ctx.root.querySelector("#detail-readout");
  if (out) out.textContent = readout(ctx, current) || "hover a cell for its exact value";
}

export const detailView: View = {
  render(ctx: Ctx) {
    const a = ctx.analysis;
    ctx.root.replaceChildren();
    hoverCell = null;
    if (!a) return;
    const layer = Math.min(ctx.state.layer, a.L - 1),
      head = Math.min(ctx.state.head, a.H - 1);
    const controls = el("div", { class: "controls" });
    controls.append(
      select(
        Array.from({ length: a.L }, (_, l) => [String(l), a.layerName(l)]),
        String(layer),
        (v) => ctx.set({ layer: Number(v) }),
        "Layer",
      ),
      select(
        Array.from({ length: a.H }, (_, h) => [String(h), a.headName(h)]),
        String(head),
        (v) => ctx.set({ head: Number(v) }),
        "Head",
      ),
      checkbox(ctx.state.hideSpecial, (v) => ctx.set({ hideSpecial: v }), "hide [CLS]/[SEP] (renormalise rows)", "hide-special"),
      checkbox(ctx.state.words, (v) => ctx.set({ words: v }), "words (merge ## pieces)", "words"),
    );
    const stat = a.stats?.heads.find((h) => h.layer === layer && h.head === head);
    if (stat)
      controls.append(el("span", { class: "muted", text: `${stat.pattern} · entropy ${(stat.entropy as number).toFixed(2)} nats` }));
    ctx.root.append(
      controls,
      el("div", { id: "detail-readout", class: "muted", "aria-live": "polite", text: "hover a cell for its exact value" }),
    );
    if (layer >= a.layersDone) {
      ctx.root.append(el("p", { class: "muted", text: "computing this layer…" }));
      return;
    }
    if (!a.isExact(layer, head) && a.exactSource) {
      const readoutBox = ctx.root.querySelector("#detail-readout");
      if (readoutBox) readoutBox.textContent = "drawn from a rounded copy; loading this head's exact values…";
      loadExact(a, layer, head)
        .then((loaded) => {
          const same = ctx.analysis === a && ctx.state.view === "detail" && ctx.state.layer === layer && ctx.state.head === head;
          if (loaded && same) this.render(ctx);
        })
        .catch((e: Error) => {
          if (readoutBox) readoutBox.textContent = `exact values unavailable: ${e.message}`;
        });
    }
    current = matrixView(a, layer, head, ctx.state.hideSpecial, ctx.state.words);
    canvas = el("canvas", { class: "view", id: "detail-canvas" });
    ctx.root.append(el("div", { class: "scroll" }, [canvas]));
    canvas.addEventListener("mousemove", (ev) => {
      if (!current || !canvas) return;
      const g = geometry(current);
      const rect = canvas.getBoundingClientRect();
      const c = Math.floor((ev.clientX - rect.left - g.left) / g.cell),
        r = Math.floor((ev.clientY - rect.top - g.top) / g.cell);
      const next = r >= 0 && r < current.rows && c >= 0 && c < current.cols ? { r, c } : null;
      if (JSON.stringify(next) !== JSON.stringify(hoverCell)) {
        hoverCell = next;
        redraw(ctx);
      }
      tooltip(next ? readout(ctx, current) : null, ev.clientX, ev.clientY);
    });
    canvas.addEventListener("mouseleave", () => {
      tooltip(null);
      hoverCell = null;
      redraw(ctx);
    });
    redraw(ctx);
  },
  onLayer(ctx: Ctx, layer: number) {
    if (layer === ctx.state.layer && !canvas?.isConnected) this.render(ctx);
  },
  size() {
    return current ? geometry(current) : null;
  },
  paint(ctx: Ctx, p: Painter) {
    return current ? paintDetail(ctx, p, current) : null;
  },
};
