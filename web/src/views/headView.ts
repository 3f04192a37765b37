// Head view: query tokens on the left, key tokens on the right, a line per (head, query, key) weighted by
// the attention, one colour per head. Drawn on canvas, fast enough for 512 tokens:
//  - lines are batched into one path per head and opacity level, and drawn 1 px wide (Chromium's hairline
//    path: measured 6× faster than 1.2 px for long lines on the software rasteriser);
//  - lines below 1% are left out, and when more remain than fit the frame budget (a 512-token input has
//    ~80,000) only the strongest are drawn, with a note saying so — hovering a token shows all its lines;
//  - the token labels are drawn once per input into an offscreen canvas and copied in each frame.
// bench/browser.mjs measures the frame time (docs/performance.md).
import { headColour, isDark, themeColours } from "../colors";
import type { Analysis } from "../data";
import { loadExact } from "../exactValues";
import { CanvasPainter, type Painter } from "../painter";
import type { PairFilter } from "../state";
import { el, select, sizeCanvas, tooltip } from "../ui";
import type { Ctx, View } from "./view";

const MIN_WEIGHT = 0.01;
const LEVELS = 10;
// Per frame: at most this many lines, and this many pixels of line (≈ 11 ms of rasterising at ~9 ns per pixel).
const LINE_BUDGET = 6000;
const PIXEL_BUDGET = 1.2e6;

interface Layout {
  rowH: number;
  labelW: number;
  gap: number;
  top: number;
  width: number;
  height: number;
}

type Hover = { side: "left" | "right"; index: number } | null;

let hover: Hover = null;
let canvas: HTMLCanvasElement | null = null;
export const headFrameTimes: number[] = [];
let drawn = { lines: 0, candidates: 0, threshold: MIN_WEIGHT, selectMs: 0 };

function layout(a: Analysis): Layout {
  const rowH = Math.max(6, Math.min(20, Math.floor(3000 / a.n)));
  const longest = Math.max(...a.encoding.tokens.map((t) => t.length));
  const labelW = Math.min(160, Math.max(50, longest * Math.min(8, rowH * 0.6) + 12));
  const gap = 220;
  return { rowH, labelW, gap, top: 8, width: labelW * 2 + gap, height: 16 + a.n * rowH };
}

function allowed(a: Analysis, filter: PairFilter, i: number, j: number): boolean {
  if (filter === "all" || !a.hasPair()) return true;
  const si = a.segment(i),
    sj = a.segment(j);
  return filter === "aa"
    ? si === 0 && sj === 0
    : filter === "bb"
      ? si === 1 && sj === 1
      : filter === "ab"
        ? si === 0 && sj === 1
        : si === 1 && sj === 0;
}

function activeHeads(ctx: Ctx): number[] {
  const H = ctx.analysis?.H ?? 0;
  return (ctx.state.heads ?? Array.from({ length: H }, (_, h) => h)).filter((h) => h >= 0 && h < H);
}

// Every line at or above MIN_WEIGHT of one head, as parallel arrays; computed once per input and head
// (a 512-token head is 262,144 weights to scan), in idle time for the layers not on screen yet.
interface HeadLines {
  i: Uint16Array;
  j: Uint16Array;
  w: Float32Array;
}
let lineCache: { analysis: Analysis | null; heads: Map<number, HeadLines> } = { analysis: null, heads: new Map() };

function headLines(a: Analysis, layer: number, head: number): HeadLines {
  if (lineCache.analysis !== a) lineCache = { analysis: a, heads: new Map() };
  const key = layer * a.H + head;
  const hit = lineCache.heads.get(key);
  if (hit) return hit;
  const n = a.n,
    m = a.head(layer, head);
  let count = 0;
  for (let k = 0; k < n * n; k++) if (m[k] >= MIN_WEIGHT) count++;
  const out: HeadLines = { i: new Uint16Array(count), j: new Uint16Array(count), w: new Float32Array(count) };
  let c = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const w = m[i * n + j];
      if (w < MIN_WEIGHT) continue;
      out.i[c] = i;
      out.j[c] = j;
      out.w[c] = w;
      c++;
    }
  }
  lineCache.heads.set(key, out);
  return out;
}

function warmLineCache(ctx: Ctx): void {
  const a = ctx.analysis;
  if (!a || typeof requestIdleCallback !== "function") return;
  const todo: [number, number][] = [];
  for (let l = 0; l < a.layersDone; l++) for (let h = 0; h < a.H; h++) if (!lineCache.heads.has(l * a.H + h)) todo.push([l, h]);
  const step = (deadline: IdleDeadline) => {
    while (todo.length && deadline.timeRemaining() > 4 && lineCache.analysis === a) {
      const [l, h] = todo.shift() as [number, number];
      headLines(a, l, h);
    }
    if (todo.length && lineCache.analysis === a) requestIdleCallback(step);
  };
  if (todo.length) requestIdleCallback(step);
}

// The lines of the layer's selected heads that pass the pair filter.
interface Candidates {
  head: Uint8Array;
  i: Uint16Array;
  j: Uint16Array;
  w: Float32Array;
  count: number;
}

function candidates(a: Analysis, layer: number, heads: number[], filter: PairFilter): Candidates {
  const lists = heads.map((h) => headLines(a, layer, h));
  const total = lists.reduce((s, x) => s + x.w.length, 0);
  const c: Candidates = {
    head: new Uint8Array(total),
    i: new Uint16Array(total),
    j: new Uint16Array(total),
    w: new Float32Array(total),
    count: 0,
  };
  const pairFilter = filter !== "all" && a.hasPair();
  heads.forEach((h, k) => {
    const x = lists[k];
    for (let t = 0; t < x.w.length; t++) {
      if (pairFilter && !allowed(a, filter, x.i[t], x.j[t])) continue;
      c.head[c.count] = h;
      c.i[c.count] = x.i[t];
      c.j[c.count] = x.j[t];
      c.w[c.count] = x.w[t];
      c.count++;
    }
  });
  return c;
}

// The lines of one hovered token: from it (left side, a query) or into it (right side, a key).
function hovered(c: Candidates, hv: NonNullable<Hover>): Candidates {
  const out: Candidates = {
    head: new Uint8Array(c.count),
    i: new Uint16Array(c.count),
    j: new Uint16Array(c.count),
    w: new Float32Array(c.count),
    count: 0,
  };
  for (let k = 0; k < c.count; k++) {
    if ((hv.side === "left" ? c.i[k] : c.j[k]) !== hv.index) continue;
    out.head[out.count] = c.head[k];
    out.i[out.count] = c.i[k];
    out.j[out.count] = c.j[k];
    out.w[out.count] = c.w[k];
    out.count++;
  }
  return out;
}

// The smallest weight threshold whose lines fit the budget. A line's cost is its length in pixels (the
// software rasteriser's time is proportional to it, ~9 ns per pixel measured): a weighted histogram over
// [MIN_WEIGHT, 1] finds the threshold in one pass.
function budgetThreshold(c: Candidates, rowH: number, gap: number): number {
  const BINS = 1024;
  const pixels = new Float64Array(BINS),
    lines = new Uint32Array(BINS);
  const scale = BINS / (1 - MIN_WEIGHT);
  let total = 0;
  for (let k = 0; k < c.count; k++) {
    const b = Math.min(BINS - 1, Math.floor((c.w[k] - MIN_WEIGHT) * scale));
    const len = Math.max(gap, Math.abs(c.i[k] - c.j[k]) * rowH);
    pixels[b] += len;
    lines[b]++;
    total += len;
  }
  if (total <= PIXEL_BUDGET && c.count <= LINE_BUDGET) return MIN_WEIGHT;
  let px = 0,
    kept = 0;
  for (let b = BINS - 1; b >= 0; b--) {
    if (px + pixels[b] > PIXEL_BUDGET || kept + lines[b] > LINE_BUDGET) return MIN_WEIGHT + (b + 1) / scale;
    px += pixels[b];
    kept += lines[b];
  }
  return MIN_WEIGHT;
}

function labelColour(a: Analysis, i: number, side: "left" | "right", hv: Hover, colours: ReturnType<typeof themeColours>): string {
  if (hv && hv.index === i && hv.side === side) return colours.hl;
  return a.special(i) ? colours.muted : colours.fg;
}

function paintLabels(a: Analysis, L: Layout, p: Painter, hv: Hover, only: number | null = null): void {
  const colours = themeColours();
  const fontSize = Math.min(12, Math.max(5, L.rowH - 2));
  const y = (i: number) => L.top + i * L.rowH + L.rowH / 2;
  for (let i = 0; i < a.n; i++) {
    if (only !== null && i !== only) continue;
    const tok = a.encoding.tokens[i];
    p.text(L.labelW, y(i), tok, { size: fontSize, colour: labelColour(a, i, "left", hv, colours), align: "right", mono: true });
    p.text(L.labelW + L.gap, y(i), tok, { size: fontSize, colour: labelColour(a, i, "right", hv, colours), align: "left", mono: true });
  }
}

// Draws the lines (and, unless the caller supplies them, the labels) of the current layer.
export function paintHeadView(ctx: Ctx, p: Painter, labels = true): Layout | null {
  const a = ctx.analysis;
  drawn = { lines: 0, candidates: 0, threshold: MIN_WEIGHT, selectMs: 0 };
  if (!a) return null;
  const L = layout(a);
  if (labels) paintLabels(a, L, p, hover);
  const layer = Math.min(ctx.state.layer, a.L - 1);
  if (layer >= a.layersDone) return L;
  const heads = activeHeads(ctx);
  const t0 = performance.now();
  let c = candidates(a, layer, heads, ctx.state.filter);
  if (hover) c = hovered(c, hover);
  // Hovering a sink token ([SEP], ".") can mean thousands of long lines: the same frame budget applies.
  const threshold = budgetThreshold(c, L.rowH, L.gap);
  const selectMs = performance.now() - t0;
  const x0 = L.labelW + 4,
    x1 = L.labelW + L.gap - 4;
  const y = (i: number) => L.top + i * L.rowH + L.rowH / 2;
  const buckets = new Map<number, number[][]>();
  for (const h of heads)
    buckets.set(
      h,
      Array.from({ length: LEVELS }, () => []),
    );
  let lines = 0;
  for (let k = 0; k < c.count; k++) {
    const w = c.w[k];
    if (w < threshold) continue;
    const i = c.i[k],
      j = c.j[k];
    (buckets.get(c.head[k]) as number[][])[Math.min(LEVELS - 1, Math.floor(w * LEVELS))].push(x0, y(i), x1, y(j));
    lines++;
  }
  const dark = isDark();
  for (const h of heads) {
    const levels = buckets.get(h) as number[][];
    for (let b = 0; b < LEVELS; b++) {
      // Opacity grows with the weight; several heads add up where they agree.
      p.lines(levels[b], headColour(h, dark), Math.min(1, (b + 1) / LEVELS / Math.sqrt(heads.length)) * 0.95 + 0.05, 1);
    }
  }
  drawn = { lines, candidates: c.count, threshold, selectMs };
  return L;
}

// The labels of one input, drawn once: 1,024 fillText calls cost ~20 ms on the software rasteriser.
let labelLayer: { key: string; analysis: Analysis; canvas: HTMLCanvasElement } | null = null;

function labelCanvas(a: Analysis, L: Layout): HTMLCanvasElement {
  const key = `${L.width}x${L.height}|${isDark()}|${window.devicePixelRatio}`;
  if (labelLayer && labelLayer.analysis === a && labelLayer.key === key) return labelLayer.canvas;
  const c = document.createElement("canvas");
  paintLabels(a, L, new CanvasPainter(sizeCanvas(c, L.width, L.height)), null);
  labelLayer = { key, analysis: a, canvas: c };
  return c;
}

function note(): string {
  if (hover) {
    const whose = hover.side === "left" ? "from this query" : "into this key";
    return drawn.lines < drawn.candidates
      ? `the ${drawn.lines.toLocaleString()} strongest of ${drawn.candidates.toLocaleString()} lines ${whose} (weight ≥ ${(100 * drawn.threshold).toFixed(1)}%)`
      : `${drawn.lines} lines ${whose} (≥ 1%)`;
  }
  if (drawn.lines < drawn.candidates) {
    return `the ${drawn.lines.toLocaleString()} strongest of ${drawn.candidates.toLocaleString()} lines ≥ 1% (weight ≥ ${(100 * drawn.threshold).toFixed(1)}%) · hover a token for all of its lines`;
  }
  return `${drawn.lines.toLocaleString()} lines · lines below 1% are not drawn · hover a token to see only its lines`;
}

function redraw(ctx: Ctx): void {
  const a = ctx.analysis;
  if (!a || !canvas) return;
  const t0 = performance.now();
  const L = layout(a);
  // Resizing a canvas reallocates it: only when the size changes.
  const ratio = Math.min(2, window.devicePixelRatio || 1);
  const g =
    canvas.width === Math.round(L.width * ratio) && canvas.height === Math.round(L.height * ratio)
      ? (canvas.getContext("2d") as CanvasRenderingContext2D)
      : sizeCanvas(canvas, L.width, L.height);
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, L.width, L.height);
  g.drawImage(labelCanvas(a, L), 0, 0, L.width, L.height);
  const p = new CanvasPainter(g);
  if (hover) {
    // The hovered label, highlighted over its plain copy.
    g.fillStyle = themeColours().bg;
    g.fillRect(0, L.top + hover.index * L.rowH, L.labelW + 2, L.rowH);
    g.fillRect(L.labelW + L.gap - 2, L.top + hover.index * L.rowH, L.labelW + 2, L.rowH);
    paintLabels(a, L, p, hover, hover.index);
  }
  paintHeadView(ctx, p, false);
  const dt = performance.now() - t0;
  headFrameTimes.push(dt);
  canvas.dataset.frameMs = dt.toFixed(2);
  canvas.dataset.lines = String(drawn.lines);
  canvas.dataset.candidates = String(drawn.candidates);
  canvas.dataset.selectMs = drawn.selectMs.toFixed(2);
  const n = ctx.root.querySelector("#head-note");
  if (n) n.textContent = note();
  warmLineCache(ctx);
}

let renderedFor: Analysis | null = null;

function syncControls(ctx: Ctx): void {
  const a = ctx.analysis as Analysis;
  const layerSelect = ctx.root.querySelector<HTMLSelectElement>('select[aria-label="Layer"]');
  if (layerSelect) layerSelect.value = String(Math.min(ctx.state.layer, a.L - 1));
  const filterSelect = ctx.root.querySelector<HTMLSelectElement>('select[aria-label="Attention"]');
  if (filterSelect) filterSelect.value = ctx.state.filter;
  const on = new Set(activeHeads(ctx));
  ctx.root.querySelectorAll<HTMLButtonElement>(".head-boxes button").forEach((b) => {
    b.classList.toggle("off", !on.has(Number(b.dataset.head)));
    b.style.background = headColour(Number(b.dataset.head), isDark());
  });
}

export const headView: View = {
  render(ctx: Ctx) {
    const a = ctx.analysis;
    if (a && canvas?.isConnected && renderedFor === a && ctx.root.contains(canvas)) {
      // Same input: bring the controls in line with the state and redraw, keeping the DOM and canvas.
      syncControls(ctx);
      redraw(ctx);
      return;
    }
    ctx.root.replaceChildren();
    hover = null;
    renderedFor = a;
    if (!a) return;
    const controls = el("div", { class: "controls" });
    controls.append(
      select(
        Array.from({ length: a.L }, (_, l) => [String(l), a.layerName(l)]),
        String(Math.min(ctx.state.layer, a.L - 1)),
        (v) => ctx.set({ layer: Number(v) }),
        "Layer",
      ),
    );
    const boxes = el("div", { class: "head-boxes", title: "click: show or hide a head · double-click: only this head (again: all)" });
    const heads = new Set(activeHeads(ctx));
    for (let h = 0; h < a.H; h++) {
      const b = el("button", { "data-head": String(h), "aria-label": `head ${a.headName(h)}`, title: `head ${a.headName(h)}` });
      b.style.background = headColour(h, isDark());
      if (!heads.has(h)) b.classList.add("off");
      let clickTimer = 0;
      b.addEventListener("click", () => {
        window.clearTimeout(clickTimer);
        clickTimer = window.setTimeout(() => {
          const next = new Set(activeHeads(ctx));
          if (next.has(h)) next.delete(h);
          else next.add(h);
          ctx.set({ heads: next.size === a.H ? null : [...next].sort((x, y) => x - y) });
        }, 220);
      });
      b.addEventListener("dblclick", () => {
        window.clearTimeout(clickTimer);
        const solo = ctx.state.heads?.length === 1 && ctx.state.heads[0] === h;
        ctx.set({ heads: solo ? null : [h] });
      });
      boxes.append(b);
    }
    controls.append(el("span", { text: "Heads" }), boxes);
    if (a.hasPair()) {
      controls.append(
        select(
          [
            ["all", "All"],
            ["aa", "A → A"],
            ["bb", "B → B"],
            ["ab", "A → B"],
            ["ba", "B → A"],
          ],
          ctx.state.filter,
          (v) => ctx.set({ filter: v as PairFilter }),
          "Attention",
        ),
      );
    }
    controls.append(el("span", { class: "muted", id: "head-note" }));
    ctx.root.append(controls);
    canvas = el("canvas", { class: "view", id: "head-canvas" });
    const wrap = el("div", { class: "scroll" }, [canvas]);
    ctx.root.append(wrap);
    canvas.addEventListener("mousemove", (ev) => {
      const L = layout(a);
      const rect = (canvas as HTMLCanvasElement).getBoundingClientRect();
      const x = ev.clientX - rect.left,
        yy = ev.clientY - rect.top;
      const index = Math.floor((yy - L.top) / L.rowH);
      const side = x < L.width / 2 ? "left" : "right";
      const next = index >= 0 && index < a.n && (x < L.labelW + 8 || x > L.labelW + L.gap - 8) ? ({ side, index } as const) : null;
      if (JSON.stringify(next) !== JSON.stringify(hover)) {
        hover = next;
        redraw(ctx);
      }
      if (next) {
        const layer = Math.min(ctx.state.layer, a.L - 1);
        // A hover reads numbers: fetch this layer exact once (the tooltip marks ≈ until it is in).
        loadExact(a, layer, null).catch(() => undefined);
        const lines = activeHeads(ctx).map((h) => {
          const m = a.head(layer, h);
          let best = 0,
            at = 0;
          for (let k = 0; k < a.n; k++) {
            const w = next.side === "left" ? m[next.index * a.n + k] : m[k * a.n + next.index];
            if (w > best) {
              best = w;
              at = k;
            }
          }
          return `head ${a.headName(h)}: ${next.side === "left" ? "→" : "←"} ${a.encoding.tokens[at]} ${a.isExact(layer, h) ? "" : "≈ "}${best.toFixed(3)}`;
        });
        tooltip(
          `${a.encoding.tokens[next.index]} (${next.side === "left" ? "attends to" : "attended by"})\n${lines.join("\n")}`,
          ev.clientX,
          ev.clientY,
        );
      } else {
        tooltip(null);
      }
    });
    canvas.addEventListener("mouseleave", () => {
      tooltip(null);
      if (hover) {
        hover = null;
        redraw(ctx);
      }
    });
    redraw(ctx);
  },
  onLayer(ctx: Ctx, layer: number) {
    if (layer === Math.min(ctx.state.layer, (ctx.analysis?.L ?? 1) - 1)) redraw(ctx);
  },
  size(ctx: Ctx) {
    return ctx.analysis ? layout(ctx.analysis) : null;
  },
  paint(ctx: Ctx, p: Painter) {
    return paintHeadView(ctx, p);
  },
};
