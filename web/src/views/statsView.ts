// Head statistics: a sortable table of every head's statistics (computed by the library: entropy,
// attention to [CLS], [SEP], punctuation, itself, the previous and the next token, mean distance,
// confidence, pattern type) and an L × H heatmap of any one of them. A click opens the head.
import type { HeadStat } from "../data";
import type { Painter } from "../painter";
import { el, select } from "../ui";
import { gridCanvas, gridSize, paintGrid, type GridSpec } from "./heatmapGrid";
import type { Ctx, View } from "./view";

const COLUMNS = [
  "entropy",
  "to_cls",
  "to_sep",
  "to_punct",
  "to_self",
  "to_prev",
  "to_next",
  "distance",
  "confidence",
  "top_p_span",
  "sink_mass",
];

function spec(ctx: Ctx): GridSpec | null {
  const a = ctx.analysis,
    s = a?.stats;
  if (!a || !s) return null;
  const byHead = new Map(s.heads.map((h) => [h.layer * a.H + h.head, h]));
  return {
    layers: a.L,
    heads: a.H,
    cell: 26,
    value: (l, h) => Number(byHead.get(l * a.H + h)?.[ctx.state.stat] ?? NaN),
    selected: (l, h) => l === ctx.state.layer && h === ctx.state.head,
  };
}

export const statsView: View = {
  render(ctx: Ctx) {
    const a = ctx.analysis;
    ctx.root.replaceChildren();
    if (!a) return;
    const s = a.stats;
    if (!s) {
      ctx.root.append(el("p", { class: "muted", text: "computing statistics…" }));
      return;
    }
    const labels = new Map(s.statistics.map((x) => [x.key, `${x.label} (${x.unit})`]));
    const controls = el("div", { class: "controls" });
    controls.append(
      select(
        s.statistics.map((x) => [x.key, `${x.label} (${x.unit})`]),
        ctx.state.stat,
        (v) => ctx.set({ stat: v }),
        "Heatmap of",
      ),
      el("span", {
        class: "muted",
        text: `uniform-attention entropy ln n = ${s.uniform_entropy.toFixed(3)} · definitions: docs/analyses.md`,
      }),
    );
    ctx.root.append(controls);
    const canvas = gridCanvas(spec(ctx) as GridSpec, (l, h) => ctx.openHead(l, h), { id: "stats-grid" }, 4);
    // The table.
    const desc = ctx.state.sort.startsWith("-");
    const key = ctx.state.sort.replace(/^-/, "");
    const rows = [...s.heads].sort((x: HeadStat, y: HeadStat) => {
      const vx = x[key],
        vy = y[key];
      const cmp = typeof vx === "number" && typeof vy === "number" ? vx - vy : String(vx).localeCompare(String(vy));
      return desc ? -cmp : cmp;
    });
    const table = el("table", { class: "stats", id: "stats-table" });
    const head = el("tr");
    for (const col of ["layer", "head", ...COLUMNS, "pattern"]) {
      const th = el("th", {
        text: col === "layer" || col === "head" || col === "pattern" ? col : (labels.get(col) ?? col),
        "data-key": col,
      });
      if (col === key) th.classList.add("sorted");
      th.addEventListener("click", () => ctx.set({ sort: key === col && !desc ? `-${col}` : col }));
      head.append(th);
    }
    table.append(el("thead", {}, [head]));
    const body = el("tbody");
    for (const r of rows) {
      const tr = el("tr", { "data-layer": String(r.layer), "data-head": String(r.head) });
      tr.append(el("td", { text: String(r.layer) }), el("td", { text: String(r.head) }));
      for (const col of COLUMNS) tr.append(el("td", { text: (r[col] as number).toFixed(3) }));
      tr.append(el("td", { text: r.pattern }));
      tr.addEventListener("click", () => ctx.openHead(r.layer, r.head));
      body.append(tr);
    }
    table.append(body);
    ctx.root.append(el("div", { class: "grid2" }, [canvas, el("div", { class: "scroll" }, [table])]));
  },
  onStats(ctx: Ctx) {
    this.render(ctx);
  },
  size(ctx: Ctx) {
    const g = spec(ctx);
    return g ? gridSize(g) : null;
  },
  paint(ctx: Ctx, p: Painter) {
    const g = spec(ctx);
    if (!g) return null;
    paintGrid(p, g);
    return gridSize(g);
  },
};
