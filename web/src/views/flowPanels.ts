// The atlas's two computed panels (from its AtlasSource): attention rollout and flow (Abnar & Zuidema 2020) — how much
// each token contributes to [CLS] after the last layer — and norm-based attention (Kobayashi et al.
// 2020) — the share special tokens get by attention weight alone and by weight × ‖f(x)‖.
import { themeColours } from "../colors";
import { CanvasPainter } from "../painter";
import { el, sizeCanvas } from "../ui";
import { gridCanvas, type GridSpec } from "./heatmapGrid";
import type { AtlasSource } from "./atlasSource";
import type { Ctx } from "./view";

const FLOW_MAX_TOKENS = 64; // the library's kMaxFlowTokens: flow runs n² max-flows

function bars(tokens: string[], series: { label: string; values: Float32Array; colour: string }[]): HTMLCanvasElement {
  const rowH = 16,
    labelW = 110,
    barW = 180,
    top = 18;
  const width = labelW + series.length * (barW + 60),
    height = top + tokens.length * rowH + 4;
  const canvas = el("canvas", { class: "view", "data-series": series.map((s) => s.label).join(",") });
  const p = new CanvasPainter(sizeCanvas(canvas, width, height));
  const c = themeColours();
  series.forEach((s, k) => p.text(labelW + 8 + k * (barW + 60), 8, s.label, { size: 11, colour: c.muted }));
  tokens.forEach((t, i) => {
    const y = top + i * rowH;
    p.text(labelW, y + rowH / 2, t, { size: 12, colour: c.fg, align: "right", mono: true });
    series.forEach((s, k) => {
      const x = labelW + 8 + k * (barW + 60);
      let max = 0;
      for (const v of s.values) max = Math.max(max, v);
      p.rect(x, y + 3, (barW * s.values[i]) / (max || 1), rowH - 6, s.colour);
      p.text(x + barW + 4, y + rowH / 2, s.values[i].toFixed(3), { size: 11, colour: c.muted, mono: true });
    });
  });
  return canvas;
}

export function rolloutPanel(ctx: Ctx, source: AtlasSource): HTMLElement {
  const a = ctx.analysis!;
  const out = el("div", {}, [el("p", { class: "muted", text: "computing rollout…" })]);
  const flow = a.n <= FLOW_MAX_TOKENS;
  source
    .rollout({ ...ctx.requestBody(), flow })
    .then((r) => {
      const series = [{ label: "rollout → [CLS]", values: r.rollout, colour: "#0072B2" }];
      if (r.flow) series.push({ label: "flow → [CLS]", values: r.flow, colour: "#D55E00" });
      out.replaceChildren(
        el("p", {
          class: "muted",
          text:
            `What each token contributes to [CLS] after layer ${r.layers}` +
            (r.flow ? "" : ` · flow is limited to ${FLOW_MAX_TOKENS} tokens`),
        }),
        bars(a.encoding.tokens, series),
      );
    })
    .catch((e: Error) => out.replaceChildren(el("p", { class: "error", text: e.message })));
  return out;
}

export function normsPanel(ctx: Ctx, source: AtlasSource): HTMLElement {
  const a = ctx.analysis!;
  const out = el("div", {}, [el("p", { class: "muted", text: "computing norms…" })]);
  source
    .norms(ctx.requestBody())
    .then((r) => {
      const grid = (key: "special_attention_share" | "special_norm_share"): GridSpec => ({
        layers: a.L,
        heads: a.H,
        cell: Math.max(8, Math.min(16, Math.floor(200 / a.H))),
        value: (l, h) => r.heads[l * a.H + h][key],
      });
      const figures = (
        [
          ["special_attention_share", "[CLS]/[SEP] share by attention α"],
          ["special_norm_share", "[CLS]/[SEP] share by α‖f(x)‖"],
        ] as const
      ).map(([key, label]) => {
        const c = gridCanvas(grid(key), (l, h) => ctx.openHead(l, h), { "data-norms": key });
        return el("div", { class: "figure" }, [el("span", { class: "caption", text: label }), c]);
      });
      const mean = (k: "special_attention_share" | "special_norm_share") => r.heads.reduce((s, h) => s + h[k], 0) / r.heads.length;
      out.replaceChildren(
        el("p", {
          class: "muted",
          text:
            `mean over heads: ${(100 * mean("special_attention_share")).toFixed(1)}% of attention goes to ` +
            `[CLS]/[SEP]; weighted by ‖f(x)‖ it is ${(100 * mean("special_norm_share")).toFixed(1)}%`,
        }),
        el("div", { class: "grid2" }, figures),
      );
    })
    .catch((e: Error) => out.replaceChildren(el("p", { class: "error", text: e.message })));
  return out;
}
