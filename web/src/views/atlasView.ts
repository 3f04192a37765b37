// Atlas: every statistic as an L × H heatmap side by side, Clark et al.'s head map, and the two
// experiments — ablate heads and see what changes, edit a token and see which heads change.
import { themeColours } from "../colors";
import { CanvasPainter, type Painter } from "../painter";
import { el, select, sizeCanvas, tooltip } from "../ui";
import { normsPanel, rolloutPanel } from "./flowPanels";
import { gridCanvas, gridSize, paintGrid, type GridSpec } from "./heatmapGrid";
import { atlasSource, type AtlasSource, type HeadMap } from "./atlasSource";
import type { Ctx, View } from "./view";

const MAP_COLOURS: Record<string, string> = {
  cls: "#E69F00",
  sep: "#56B4E9",
  punct: "#009E73",
  broad: "#F0E442",
  next: "#0072B2",
  prev: "#D55E00",
  other: "#999999",
};
const MAP_SIZE = 360;

let headMap: HeadMap | null = null;
let headMapFor: object | null = null;
let ablateHeads = new Set<string>();

function statGrids(ctx: Ctx): { key: string; label: string; spec: GridSpec }[] {
  const a = ctx.analysis,
    s = a?.stats;
  if (!a || !s) return [];
  const byHead = new Map(s.heads.map((h) => [h.layer * a.H + h.head, h]));
  const cell = Math.max(6, Math.min(14, Math.floor(180 / a.H)));
  return s.statistics.map((st) => ({
    key: st.key,
    label: `${st.label} (${st.unit})`,
    spec: { layers: a.L, heads: a.H, cell, value: (l: number, h: number) => Number(byHead.get(l * a.H + h)?.[st.key] ?? NaN) },
  }));
}

function paintMap(p: Painter, m: HeadMap, L: number): void {
  let x0 = Infinity,
    x1 = -Infinity,
    y0 = Infinity,
    y1 = -Infinity;
  for (const h of m.heads) {
    x0 = Math.min(x0, h.x);
    x1 = Math.max(x1, h.x);
    y0 = Math.min(y0, h.y);
    y1 = Math.max(y1, h.y);
  }
  const s = (MAP_SIZE - 24) / Math.max(x1 - x0, y1 - y0, 1e-9);
  const c = themeColours();
  p.strokeRect(0.5, 0.5, MAP_SIZE - 1, MAP_SIZE - 1, c.line);
  for (const h of m.heads) {
    p.circle(12 + (h.x - x0) * s, 12 + (h.y - y0) * s, 2.5 + (4 * h.layer) / Math.max(1, L - 1), MAP_COLOURS[h.colour] ?? "#999", 0.85);
  }
}

function mapHit(m: HeadMap, L: number, x: number, y: number): { layer: number; head: number } | null {
  let x0 = Infinity,
    x1 = -Infinity,
    y0 = Infinity,
    y1 = -Infinity;
  for (const h of m.heads) {
    x0 = Math.min(x0, h.x);
    x1 = Math.max(x1, h.x);
    y0 = Math.min(y0, h.y);
    y1 = Math.max(y1, h.y);
  }
  const s = (MAP_SIZE - 24) / Math.max(x1 - x0, y1 - y0, 1e-9);
  let best: { layer: number; head: number } | null = null,
    bd = 64;
  for (const h of m.heads) {
    const d = (12 + (h.x - x0) * s - x) ** 2 + (12 + (h.y - y0) * s - y) ** 2;
    if (d < bd) {
      bd = d;
      best = { layer: h.layer, head: h.head };
    }
  }
  void L;
  return best;
}

function section(title: string, ...children: (Node | string)[]): HTMLElement {
  return el("section", { class: "figure" }, [el("h3", { text: title }), ...children]);
}

function ablationPanel(ctx: Ctx, ablate: NonNullable<AtlasSource["ablate"]>): HTMLElement {
  const a = ctx.analysis!;
  const g: GridSpec = { layers: a.L, heads: a.H, cell: 18, value: () => 0, selected: (l, h) => ablateHeads.has(`${l}:${h}`) };
  const canvas = gridCanvas(
    g,
    (l, h) => {
      const k = `${l}:${h}`;
      if (ablateHeads.has(k)) ablateHeads.delete(k);
      else ablateHeads.add(k);
      canvas.repaint();
    },
    { id: "ablate-grid" },
  );
  let mode = "zero";
  const out = el("div", { id: "ablate-result" });
  const run = el("button", { text: "Ablate selected heads", id: "ablate-run" });
  run.addEventListener("click", async () => {
    if (ablateHeads.size === 0) {
      out.replaceChildren(el("p", { class: "muted", text: "click heads in the grid first" }));
      return;
    }
    out.replaceChildren(el("p", { class: "muted", text: "running…" }));
    try {
      const r = await ablate({ ...ctx.requestBody(), heads: [...ablateHeads].join(","), ablation: mode });
      const rows = r.encoding.tokens.map((t, i) =>
        el("tr", {}, [el("td", { text: t }), el("td", { text: r.hidden_state_change[i].toFixed(4) })]),
      );
      const parts: HTMLElement[] = [
        el("table", { class: "stats" }, [el("tr", {}, [el("th", { text: "token" }), el("th", { text: "hidden state change" })]), ...rows]),
      ];
      if (r.predictions && r.ablated_predictions) {
        for (let k = 0; k < r.predictions.length; k++) {
          const fmt = (p: { top: { token: string; probability: number }[] }) =>
            p.top.map((t) => `${t.token} ${t.probability.toFixed(3)}`).join(", ");
          parts.push(
            el("p", { text: `[MASK] at ${r.predictions[k].position}: ${fmt(r.predictions[k])} → ${fmt(r.ablated_predictions[k])}` }),
          );
        }
      }
      out.replaceChildren(...parts);
    } catch (e) {
      out.replaceChildren(el("p", { class: "error", text: (e as Error).message }));
    }
  });
  return el("div", { class: "panel" }, [
    el("p", {
      class: "muted",
      text: "Select heads, then measure how the final hidden states (and [MASK] predictions, with a masked-LM checkpoint) change.",
    }),
    canvas,
    el("div", { class: "controls" }, [
      select(
        [
          ["zero", "zero (head_mask)"],
          ["uniform", "uniform"],
          ["mean", "mean"],
        ],
        mode,
        (v) => {
          mode = v;
        },
        "Ablation",
      ),
      run,
    ]),
    out,
  ]);
}

function diffPanel(ctx: Ctx, diff: NonNullable<AtlasSource["diff"]>): HTMLElement {
  const a = ctx.analysis!;
  let position = 1;
  let action = "mask";
  const tokens = el("div", { class: "tokens" });
  a.encoding.tokens.forEach((t, i) => {
    const s = el("span", { text: t, "data-index": String(i) });
    if (a.special(i)) s.classList.add("special");
    if (i === position) s.classList.add("selected");
    if (!a.special(i))
      s.addEventListener("click", () => {
        position = i;
        tokens.querySelectorAll("span").forEach((x) => x.classList.toggle("selected", x === s));
      });
    tokens.append(s);
  });
  const replacement = el("input", { type: "text", placeholder: "replacement token", value: "dog" });
  const out = el("div", { id: "diff-result" });
  const run = el("button", { text: "Compare", id: "diff-run" });
  run.addEventListener("click", async () => {
    out.replaceChildren(el("p", { class: "muted", text: "running…" }));
    const body: Record<string, unknown> = { ...ctx.requestBody() };
    if (action === "replace") {
      body.replace = position;
      body.token = replacement.value;
    } else body[action] = position;
    try {
      const r = await diff(body);
      const g: GridSpec = { layers: a.L, heads: a.H, cell: 18, value: (l, h) => r.heads[l * a.H + h].js_divergence };
      const c = gridCanvas(g, (l, h) => ctx.openHead(l, h), { id: "diff-grid" });
      const top = [...r.heads]
        .sort((x, y) => y.js_divergence - x.js_divergence)
        .slice(0, 8)
        .map((h) => `${h.layer}:${h.head} (${h.js_divergence.toFixed(3)})`)
        .join(" · ");
      out.replaceChildren(el("p", { text: `${r.change} · ${r.aligned_tokens} aligned tokens · most changed: ${top}` }), c);
    } catch (e) {
      out.replaceChildren(el("p", { class: "error", text: (e as Error).message }));
    }
  });
  return el("div", { class: "panel" }, [
    el("p", {
      class: "muted",
      text: "Pick a token, change it, and see which heads' attention changes most (Jensen–Shannon over the shared tokens).",
    }),
    tokens,
    el("div", { class: "controls" }, [
      select(
        [
          ["mask", "mask"],
          ["delete", "delete"],
          ["replace", "replace by"],
        ],
        action,
        (v) => {
          action = v;
        },
        "Edit",
      ),
      replacement,
      run,
    ]),
    out,
  ]);
}

export const atlasView: View = {
  render(ctx: Ctx) {
    const a = ctx.analysis;
    ctx.root.replaceChildren();
    if (!a) return;
    if (!a.stats) {
      ctx.root.append(el("p", { class: "muted", text: "computing statistics…" }));
      return;
    }
    const multiples = el("div", { class: "grid2", id: "atlas-grids" });
    for (const g of statGrids(ctx)) {
      const c = gridCanvas(g.spec, (l, h) => ctx.openHead(l, h), { "data-stat": g.key });
      multiples.append(el("div", { class: "figure" }, [el("span", { class: "caption", text: g.label }), c]));
    }
    ctx.root.append(section("Statistics per head", multiples));
    const legend = el(
      "div",
      { class: "legend" },
      Object.entries(MAP_COLOURS).map(([k, v]) => {
        const i = el("i");
        i.style.background = v;
        return el("span", {}, [i, k]);
      }),
    );
    const mapCanvas = el("canvas", { class: "view", id: "head-map" });
    const source = atlasSource(ctx);
    const mapStatus = el("p", { class: "muted", text: source ? "computing the head map…" : "the head map needs the server" });
    ctx.root.append(
      section(
        "Head map (Clark et al. 2019: Jensen–Shannon distances between heads, metric MDS; larger = later layer)",
        legend,
        mapStatus,
        mapCanvas,
      ),
    );
    const drawMap = () => {
      if (!headMap) return;
      paintMap(new CanvasPainter(sizeCanvas(mapCanvas, MAP_SIZE, MAP_SIZE)), headMap, a.L);
      mapStatus.textContent = `MDS stress ${headMap.stress.toPrecision(3)} · click a head to open it`;
      ctx.root.dataset.headMap = "1";
    };
    mapCanvas.addEventListener("click", (ev) => {
      if (!headMap) return;
      const r = mapCanvas.getBoundingClientRect();
      const hit = mapHit(headMap, a.L, ev.clientX - r.left, ev.clientY - r.top);
      if (hit) ctx.openHead(hit.layer, hit.head);
    });
    mapCanvas.addEventListener("mousemove", (ev) => {
      if (!headMap) return;
      const r = mapCanvas.getBoundingClientRect();
      const hit = mapHit(headMap, a.L, ev.clientX - r.left, ev.clientY - r.top);
      tooltip(hit ? `layer ${hit.layer}, head ${hit.head}` : null, ev.clientX, ev.clientY);
    });
    mapCanvas.addEventListener("mouseleave", () => tooltip(null));
    if (!source) return;
    // The map belongs to one input (and one source): the analysis object stands for both.
    if (headMapFor === a && headMap) drawMap();
    else
      source
        .headMap(ctx.requestBody())
        .then((m) => {
          headMap = m;
          headMapFor = a;
          if (ctx.analysis === a) drawMap();
        })
        .catch((e: Error) => {
          mapStatus.textContent = e.message;
        });
    ctx.root.append(
      section("Attention rollout and flow (Abnar & Zuidema 2020)", rolloutPanel(ctx, source)),
      section("Norm-based attention (Kobayashi et al. 2020)", normsPanel(ctx, source)),
    );
    if (source.ablate) ctx.root.append(section("Ablation", ablationPanel(ctx, source.ablate.bind(source))));
    if (source.diff) ctx.root.append(section("Counterfactual", diffPanel(ctx, source.diff.bind(source))));
  },
  onStats(ctx: Ctx) {
    this.render(ctx);
  },
  size(ctx: Ctx) {
    const grids = statGrids(ctx);
    if (!grids.length) return null;
    const sz = gridSize(grids[0].spec);
    const perRow = 4;
    return { width: perRow * (sz.width + 20), height: Math.ceil(grids.length / perRow) * (sz.height + 24) + (headMap ? MAP_SIZE + 20 : 0) };
  },
  paint(ctx: Ctx, p: Painter) {
    const grids = statGrids(ctx);
    if (!grids.length) return null;
    const sz = gridSize(grids[0].spec);
    const c = themeColours();
    grids.forEach((g, k) => {
      const x = (k % 4) * (sz.width + 20),
        y = Math.floor(k / 4) * (sz.height + 24);
      p.text(x, y + 8, g.label, { size: 11, colour: c.muted });
      paintGrid(p, g.spec, x, y + 14);
    });
    const total = this.size?.(ctx) ?? sz;
    if (headMap && ctx.analysis) {
      const yy = Math.ceil(grids.length / 4) * (sz.height + 24);
      const offset = new OffsetPainter(p, 0, yy);
      paintMap(offset, headMap, ctx.analysis.L);
    }
    return total;
  },
};

class OffsetPainter implements Painter {
  constructor(
    private p: Painter,
    private dx: number,
    private dy: number,
  ) {}
  rect(x: number, y: number, w: number, h: number, f: string, a?: number) {
    this.p.rect(x + this.dx, y + this.dy, w, h, f, a);
  }
  strokeRect(x: number, y: number, w: number, h: number, s: string, wd?: number) {
    this.p.strokeRect(x + this.dx, y + this.dy, w, h, s, wd);
  }
  lines(seg: number[], s: string, a: number, w?: number) {
    this.p.lines(
      seg.map((v, i) => v + (i % 2 === 0 ? this.dx : this.dy)),
      s,
      a,
      w,
    );
  }
  circle(x: number, y: number, r: number, f: string, a?: number) {
    this.p.circle(x + this.dx, y + this.dy, r, f, a);
  }
  text(x: number, y: number, s: string, st?: Parameters<Painter["text"]>[3]) {
    this.p.text(x + this.dx, y + this.dy, s, st);
  }
  image(x: number, y: number, w: number, h: number, src: HTMLCanvasElement) {
    this.p.image(x + this.dx, y + this.dy, w, h, src);
  }
}
