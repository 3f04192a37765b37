// Head view: query tokens on the left, key tokens on the right, a line per (head, query, key) weighted by
// the attention, one colour per head. Drawn on canvas in batches (one path per head and opacity level),
// with faint lines below 1% left out, so that 512 tokens stay smooth.
import { headColour, isDark, themeColours } from "../colors";
import type { Analysis } from "../data";
import { CanvasPainter, type Painter } from "../painter";
import type { PairFilter } from "../state";
import { el, select, sizeCanvas, tooltip } from "../ui";
import type { Ctx, View } from "./view";

const MIN_WEIGHT = 0.01;
const LEVELS = 10;

interface Layout {
  rowH: number;
  labelW: number;
  gap: number;
  top: number;
  width: number;
  height: number;
}

let hover: { side: "left" | "right"; index: number } | null = null;
let canvas: HTMLCanvasElement | null = null;
export const headFrameTimes: number[] = [];

function layout(a: Analysis): Layout {
  const rowH = Math.max(6, Math.min(20, Math.floor(3000 / a.n)));
  const longest = Math.max(...a.encoding.tokens.map((t) => t.length));
  const labelW = Math.min(160, Math.max(50, longest * Math.min(8, rowH * 0.6) + 12));
  const gap = 220;
  return { rowH, labelW, gap, top: 8, width: labelW * 2 + gap, height: 16 + a.n * rowH };
}

function allowed(a: Analysis, filter: PairFilter, i: number, j: number): boolean {
  if (filter === "all" || !a.hasPair()) return true;
  const si = a.segment(i), sj = a.segment(j);
  return filter === "aa" ? si === 0 && sj === 0 : filter === "bb" ? si === 1 && sj === 1 : filter === "ab" ? si === 0 && sj === 1 : si === 1 && sj === 0;
}

function activeHeads(ctx: Ctx): number[] {
  const H = ctx.analysis?.H ?? 0;
  return (ctx.state.heads ?? Array.from({ length: H }, (_, h) => h)).filter((h) => h >= 0 && h < H);
}

let linesDrawn = 0;

export function paintHeadView(ctx: Ctx, p: Painter): Layout | null {
  const a = ctx.analysis;
  linesDrawn = 0;
  if (!a) return null;
  const L = layout(a);
  const colours = themeColours();
  const n = a.n, layer = Math.min(ctx.state.layer, a.L - 1);
  const x0 = L.labelW + 4, x1 = L.labelW + L.gap - 4;
  const y = (i: number) => L.top + i * L.rowH + L.rowH / 2;
  const fontSize = Math.min(12, Math.max(5, L.rowH - 2));
  for (let i = 0; i < n; i++) {
    const tok = a.encoding.tokens[i];
    const hl = hover && hover.index === i;
    const col = a.special(i) ? colours.muted : colours.fg;
    p.text(L.labelW, y(i), tok, { size: fontSize, colour: hl && hover?.side === "left" ? colours.hl : col, align: "right", mono: true });
    p.text(L.labelW + L.gap, y(i), tok, { size: fontSize, colour: hl && hover?.side === "right" ? colours.hl : col, align: "left", mono: true });
  }
  if (layer >= a.layersDone) return L;
  const heads = activeHeads(ctx);
  const dark = isDark();
  for (const h of heads) {
    const m = a.head(layer, h);
    const buckets: number[][] = Array.from({ length: LEVELS }, () => []);
    for (let i = 0; i < n; i++) {
      if (hover && hover.side === "left" && hover.index !== i) continue;
      for (let j = 0; j < n; j++) {
        if (hover && hover.side === "right" && hover.index !== j) continue;
        const w = m[i * n + j];
        if (w < MIN_WEIGHT || !allowed(a, ctx.state.filter, i, j)) continue;
        buckets[Math.min(LEVELS - 1, Math.floor(w * LEVELS))].push(x0, y(i), x1, y(j));
      }
    }
    for (const b of buckets) linesDrawn += b.length / 4;
    for (let b = 0; b < LEVELS; b++) {
      // Opacity grows with the weight; several heads add up where they agree.
      p.lines(buckets[b], headColour(h, dark), Math.min(1, (b + 1) / LEVELS / Math.sqrt(heads.length)) * 0.95 + 0.05, hover ? 2 : 1.2);
    }
  }
  return L;
}

function redraw(ctx: Ctx): void {
  const a = ctx.analysis;
  if (!a || !canvas) return;
  const t0 = performance.now();
  const L = layout(a);
  const g = sizeCanvas(canvas, L.width, L.height);
  g.clearRect(0, 0, L.width, L.height);
  paintHeadView(ctx, new CanvasPainter(g));
  const dt = performance.now() - t0;
  headFrameTimes.push(dt);
  canvas.dataset.frameMs = dt.toFixed(2);
  canvas.dataset.lines = String(linesDrawn);
}

export const headView: View = {
  render(ctx: Ctx) {
    const a = ctx.analysis;
    ctx.root.replaceChildren();
    hover = null;
    if (!a) return;
    const controls = el("div", { class: "controls" });
    controls.append(select(Array.from({ length: a.L }, (_, l) => [String(l), String(l)]), String(Math.min(ctx.state.layer, a.L - 1)),
      (v) => ctx.set({ layer: Number(v) }), "Layer"));
    const boxes = el("div", { class: "head-boxes", title: "click: show or hide a head · double-click: only this head (again: all)" });
    const heads = new Set(activeHeads(ctx));
    for (let h = 0; h < a.H; h++) {
      const b = el("button", { "data-head": String(h), "aria-label": `head ${h}`, title: `head ${h}` });
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
      controls.append(select([["all", "All"], ["aa", "A → A"], ["bb", "B → B"], ["ab", "A → B"], ["ba", "B → A"]], ctx.state.filter,
        (v) => ctx.set({ filter: v as PairFilter }), "Attention"));
    }
    controls.append(el("span", { class: "muted", text: "hover a token to see only its lines · lines below 1% are not drawn" }));
    ctx.root.append(controls);
    canvas = el("canvas", { class: "view", id: "head-canvas" });
    const wrap = el("div", { class: "scroll" }, [canvas]);
    ctx.root.append(wrap);
    canvas.addEventListener("mousemove", (ev) => {
      const L = layout(a);
      const rect = (canvas as HTMLCanvasElement).getBoundingClientRect();
      const x = ev.clientX - rect.left, yy = ev.clientY - rect.top;
      const index = Math.floor((yy - L.top) / L.rowH);
      const side = x < L.width / 2 ? "left" : "right";
      const next = index >= 0 && index < a.n && (x < L.labelW + 8 || x > L.labelW + L.gap - 8) ? { side, index } as const : null;
      if (JSON.stringify(next) !== JSON.stringify(hover)) {
        hover = next;
        redraw(ctx);
      }
      if (next) {
        const layer = Math.min(ctx.state.layer, a.L - 1);
        const lines = activeHeads(ctx).map((h) => {
          const m = a.head(layer, h);
          let best = 0, at = 0;
          for (let k = 0; k < a.n; k++) {
            const w = next.side === "left" ? m[next.index * a.n + k] : m[k * a.n + next.index];
            if (w > best) { best = w; at = k; }
          }
          return `head ${h}: ${next.side === "left" ? "→" : "←"} ${a.encoding.tokens[at]} ${best.toFixed(3)}`;
        });
        tooltip(`${a.encoding.tokens[next.index]} (${next.side === "left" ? "attends to" : "attended by"})\n${lines.join("\n")}`, ev.clientX, ev.clientY);
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
