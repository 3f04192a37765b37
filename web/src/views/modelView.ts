// Model view: every head's attention pattern as a thumbnail, layers down, heads across. Layers appear as
// their frames arrive; a click opens the head.
import { themeColours, viridisInto } from "../colors";
import { halfTable, type Analysis } from "../data";
import type { Painter } from "../painter";
import { el } from "../ui";
import type { Ctx, View } from "./view";

const MAX_PIXELS = 96; // thumbnails of longer inputs are max-pooled down to this

function thumbnailSize(n: number): number {
  return Math.min(n, MAX_PIXELS);
}

// Max-pools an n × n matrix (float32 values, or half codes: for non-negative halves the codes' order is
// the values' order) into s × s.
function poolMax(m: Float32Array | Uint16Array, n: number, s: number, column: Int32Array, pooled: Float32Array): void {
  for (let i = 0; i < n; i++) {
    const base = Math.floor((i * s) / n) * s,
      row = i * n;
    for (let j = 0; j < n; j++) {
      const v = m[row + j],
        k = base + column[j];
      if (v > pooled[k]) pooled[k] = v;
    }
  }
}

export function drawThumbnail(c: HTMLCanvasElement, a: Analysis, layer: number, head: number): void {
  const n = a.n,
    s = thumbnailSize(n);
  if (c.width !== s) c.width = c.height = s;
  const g = c.getContext("2d") as CanvasRenderingContext2D;
  const img = g.createImageData(s, s);
  // Each thumbnail on its own scale: the pattern matters here, the numbers are in the head detail.
  const pooled = new Float32Array(s * s);
  // The pooled column of each key, computed once (it was a division and a floor per value: half the model
  // view's time at 512 tokens).
  const column = new Int32Array(n);
  for (let j = 0; j < n; j++) column[j] = Math.floor((j * s) / n);
  let max = 0;
  // Pooled by the server where it sent them (a half-precision stream: the same pooling, in C++, exact);
  // else a layer still in half codes is pooled on the codes: for non-negative halves their order is the
  // values' order, so the maxima are the same, widened once per pixel instead of once per value.
  const fromServer = a.thumbSize === s ? a.thumbnail(layer, head) : null;
  const codes = fromServer ? null : a.halfCodes(layer, head);
  if (fromServer) {
    pooled.set(fromServer);
  } else if (codes) {
    poolMax(codes, n, s, column, pooled); // the largest code of each pixel, widened once
    const table = halfTable();
    for (let k = 0; k < s * s; k++) pooled[k] = table[pooled[k]];
  } else {
    poolMax(a.head(layer, head), n, s, column, pooled);
  }
  for (let k = 0; k < s * s; k++) max = Math.max(max, pooled[k]);
  // The pixels through a local reference (img.data is a getter) and colours written in place: at 512
  // tokens this loop ran while the server's forward needed both cores.
  const px = img.data;
  const scale = max > 0 ? 1 / max : 0;
  for (let k = 0; k < s * s; k++) viridisInto(pooled[k] * scale, px, k * 4);
  g.putImageData(img, 0, 0);
}

function cellSize(ctx: Ctx): number {
  const H = ctx.analysis?.H ?? 12;
  const width = Math.max(320, ctx.root.clientWidth || 900) - 60;
  return Math.max(36, Math.min(84, Math.floor(width / H) - 3));
}

// One layer's row of thumbnails; the last layer's marks the view complete.
function drawLayer(ctx: Ctx, layer: number): void {
  const a = ctx.analysis;
  if (!a) return;
  for (let h = 0; h < a.H; h++) {
    const c = ctx.root.querySelector<HTMLCanvasElement>(`canvas[data-layer="${layer}"][data-head="${h}"]`);
    if (!c) continue;
    drawThumbnail(c, a, layer, h);
    c.classList.remove("pending");
  }
  if (layer === a.L - 1) {
    ctx.root.querySelector("#model-grid")?.setAttribute("data-complete", "1");
    performance.mark("model-view-drawn");
    // The frame that shows it: the next animation frame after the pixels are in the canvases.
    requestAnimationFrame(() => performance.mark("model-view-presented"));
  }
}

export const modelView: View = {
  render(ctx: Ctx) {
    const a = ctx.analysis;
    ctx.root.replaceChildren();
    if (!a) return;
    const cell = cellSize(ctx);
    ctx.root.append(
      el("div", {
        class: "controls muted",
        text: `${a.L} layers × ${a.H} heads · each pattern on its own scale · click a head to open it`,
      }),
    );
    const grid = el("div", { id: "model-grid" });
    grid.style.gridTemplateColumns = `36px repeat(${a.H}, ${cell}px)`;
    grid.append(el("span"));
    for (let h = 0; h < a.H; h++) grid.append(el("span", { class: "axis", text: `H${a.headName(h)}` }));
    for (let l = 0; l < a.L; l++) {
      grid.append(el("span", { class: "axis", text: `L${a.layerName(l)}` }));
      for (let h = 0; h < a.H; h++) {
        const c = el("canvas", {
          "data-layer": String(l),
          "data-head": String(h),
          class: "thumb pending",
          title: `layer ${a.layerName(l)}, head ${a.headName(h)}`,
        });
        c.style.width = c.style.height = `${cell}px`;
        c.addEventListener("click", () => ctx.openHead(l, h));
        grid.append(c);
      }
    }
    ctx.root.append(grid);
    for (let l = 0; l < a.L; l++) if (l < a.layersDone || a.hasThumbnails(l)) drawLayer(ctx, l);
    this.onStats?.(ctx);
  },
  onThumbnails(ctx: Ctx, layer: number) {
    drawLayer(ctx, layer);
  },
  onLayer(ctx: Ctx, layer: number) {
    // Drawn already from the server's thumbnails, which pool the same exact values.
    if (!ctx.analysis?.hasThumbnails(layer)) drawLayer(ctx, layer);
  },
  onStats(ctx: Ctx) {
    const s = ctx.analysis?.stats;
    if (!s) return;
    for (const h of s.heads) {
      const c = ctx.root.querySelector<HTMLCanvasElement>(`canvas[data-layer="${h.layer}"][data-head="${h.head}"]`);
      if (c) c.title = `layer ${h.layer}, head ${h.head}: ${h.pattern}, entropy ${(h.entropy as number).toFixed(2)} nats`;
    }
  },
  size(ctx: Ctx) {
    const a = ctx.analysis;
    if (!a) return null;
    const cell = cellSize(ctx);
    return { width: 40 + a.H * (cell + 3), height: 22 + a.L * (cell + 3) };
  },
  paint(ctx: Ctx, p: Painter) {
    const a = ctx.analysis;
    const size = this.size?.(ctx);
    if (!a || !size) return null;
    const cell = cellSize(ctx);
    const fg = themeColours().muted;
    for (let h = 0; h < a.H; h++)
      p.text(40 + h * (cell + 3) + cell / 2, 10, `H${a.headName(h)}`, { size: 11, colour: fg, align: "center" });
    for (let l = 0; l < a.L; l++) {
      p.text(30, 22 + l * (cell + 3) + cell / 2, `L${a.layerName(l)}`, { size: 11, colour: fg, align: "right" });
      for (let h = 0; h < a.H; h++) {
        const c = ctx.root.querySelector<HTMLCanvasElement>(`canvas[data-layer="${l}"][data-head="${h}"]`);
        if (c) p.image(40 + h * (cell + 3), 22 + l * (cell + 3), cell, cell, c);
      }
    }
    return size;
  },
};
