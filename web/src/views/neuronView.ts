// Neuron view: for one head and one query token, how each key's score comes about — the query vector,
// each key vector, their elementwise product, the scaled dot product and the softmax — with every number
// under the pointer. The vectors and scores come from the forward pass (/api/neuron).
import { decodeFloats, postJson } from "../api";
import { css, diverging, themeColours } from "../colors";
import { formatF32 } from "../data";
import { CanvasPainter, type Painter } from "../painter";
import { el, select, sizeCanvas, tooltip } from "../ui";
import type * as schema from "../schema";
import type { Ctx, View } from "./view";

// The schema's neuron object; a notebook output that embeds one may leave out the version.
export type NeuronWire = Omit<schema.NeuronAnswer, "schema_version">;

// Rows of the flat float32 arrays the server sends: [n][head_dim] vectors, [n][n] scores and probabilities.
interface NeuronData {
  tokens: string[];
  head_dim: number;
  queries: Float32Array[];
  keys: Float32Array[];
  scores: Float32Array[];
  attention: Float32Array[];
}

function rows(flat: Float32Array, count: number, width: number): Float32Array[] {
  return Array.from({ length: count }, (_, i) => flat.subarray(i * width, (i + 1) * width));
}

function unpack(w: NeuronWire): NeuronData {
  return {
    tokens: w.tokens,
    head_dim: w.head_dim,
    queries: rows(decodeFloats(w.queries_b64), w.n, w.head_dim),
    keys: rows(decodeFloats(w.keys_b64), w.n, w.head_dim),
    scores: rows(decodeFloats(w.scores_b64), w.n, w.n),
    attention: rows(decodeFloats(w.attention_b64), w.n, w.n),
  };
}

// Where the vectors come from: the server (/api/neuron), or a notebook output that embeds them.
type NeuronSource = (body: { layer: number; head: number }) => Promise<NeuronWire>;
let source: NeuronSource | null = null;

export function setNeuronSource(f: NeuronSource): void {
  source = f;
}

let data: NeuronData | null = null;
let dataKey = "";
let canvas: HTMLCanvasElement | null = null;
let hover: { row: number; part: string; dim: number } | null = null;

interface Geo {
  cw: number;
  rowH: number;
  label: number;
  kx: number;
  px: number;
  sx: number;
  bx: number;
  top: number;
  width: number;
  height: number;
}

function geo(d: NeuronData): Geo {
  const cw = Math.max(3, Math.min(10, Math.floor(560 / (2 * d.head_dim))));
  const rowH = 16,
    label = 110,
    top = 40;
  const kx = label + 10,
    px = kx + d.head_dim * cw + 20,
    sx = px + d.head_dim * cw + 20,
    bx = sx + 70;
  return { cw, rowH, label, kx, px, sx, bx, top, width: bx + 160, height: top + d.tokens.length * rowH + 10 };
}

function paint(ctx: Ctx, p: Painter, d: NeuronData): Geo {
  const g = geo(d);
  const c = themeColours();
  const i = Math.min(ctx.state.token, d.tokens.length - 1);
  const q = d.queries[i];
  let vmax = 0;
  for (const v of q) vmax = Math.max(vmax, Math.abs(v));
  for (const k of d.keys) for (const v of k) vmax = Math.max(vmax, Math.abs(v));
  let pmax = 0;
  for (const k of d.keys) for (let t = 0; t < q.length; t++) pmax = Math.max(pmax, Math.abs(q[t] * k[t]));
  p.text(g.label, 14, `query: ${d.tokens[i]}`, { size: 12, colour: c.hl, align: "right", mono: true, weight: "bold" });
  for (let t = 0; t < q.length; t++) p.rect(g.kx + t * g.cw, 8, g.cw - (g.cw > 4 ? 1 : 0), 12, css(diverging(q[t], vmax)));
  p.text(g.kx, 30, "key k", { size: 11, colour: c.muted });
  p.text(g.px, 30, "q ⊙ k", { size: 11, colour: c.muted });
  p.text(g.sx, 30, "q·k/√d", { size: 11, colour: c.muted });
  p.text(g.bx, 30, "softmax", { size: 11, colour: c.muted });
  for (let j = 0; j < d.tokens.length; j++) {
    const y = g.top + j * g.rowH;
    const hl = hover?.row === j;
    p.text(g.label, y + g.rowH / 2, d.tokens[j], { size: 12, colour: hl ? c.hl : c.fg, align: "right", mono: true });
    for (let t = 0; t < q.length; t++) {
      p.rect(g.kx + t * g.cw, y + 2, g.cw - (g.cw > 4 ? 1 : 0), g.rowH - 4, css(diverging(d.keys[j][t], vmax)));
      p.rect(g.px + t * g.cw, y + 2, g.cw - (g.cw > 4 ? 1 : 0), g.rowH - 4, css(diverging(q[t] * d.keys[j][t], pmax)));
    }
    p.text(g.sx + 60, y + g.rowH / 2, d.scores[i][j].toFixed(2), { size: 11, colour: c.fg, align: "right", mono: true });
    const prob = d.attention[i][j];
    p.rect(g.bx, y + 3, 100 * prob, g.rowH - 6, c.hl);
    p.text(g.bx + 104, y + g.rowH / 2, prob.toFixed(3), { size: 11, colour: c.muted, mono: true });
  }
  return g;
}

function redraw(ctx: Ctx): void {
  if (!canvas || !data) return;
  const g = geo(data);
  const c = sizeCanvas(canvas, g.width, g.height);
  c.clearRect(0, 0, g.width, g.height);
  paint(ctx, new CanvasPainter(c), data);
}

export const neuronView: View = {
  render(ctx: Ctx) {
    const a = ctx.analysis;
    ctx.root.replaceChildren();
    if (!a) return;
    const layer = Math.min(ctx.state.layer, a.L - 1),
      head = Math.min(ctx.state.head, a.H - 1);
    const token = Math.min(ctx.state.token, a.n - 1);
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
      select(
        a.encoding.tokens.map((t, i) => [String(i), `${i} ${t}`]),
        String(token),
        (v) => ctx.set({ token: Number(v) }),
        "Query token",
      ),
    );
    ctx.root.append(controls);
    if (ctx.staticMode && !source) {
      ctx.root.append(
        el("p", { class: "muted", text: "The neuron view asks the server for query and key vectors; run attnscope serve to use it." }),
      );
      return;
    }
    canvas = el("canvas", { class: "view", id: "neuron-canvas" });
    const status = el("p", { class: "muted", text: "loading vectors…" });
    ctx.root.append(status, el("div", { class: "scroll" }, [canvas]));
    canvas.addEventListener("mousemove", (ev) => {
      if (!data || !canvas) return;
      const g = geo(data);
      const r = canvas.getBoundingClientRect();
      const x = ev.clientX - r.left,
        y = ev.clientY - r.top;
      const row = Math.floor((y - g.top) / g.rowH);
      const i = Math.min(ctx.state.token, data.tokens.length - 1);
      let text: string | null = null;
      let next: typeof hover = null;
      if (row >= 0 && row < data.tokens.length) {
        if (x >= g.kx && x < g.px - 20) {
          const t = Math.floor((x - g.kx) / g.cw);
          if (t < data.head_dim) {
            next = { row, part: "k", dim: t };
            text = `k[${data.tokens[row]}][${t}] = ${formatF32(data.keys[row][t])}\nq[${data.tokens[i]}][${t}] = ${formatF32(data.queries[i][t])}`;
          }
        } else if (x >= g.px && x < g.sx - 20) {
          const t = Math.floor((x - g.px) / g.cw);
          if (t < data.head_dim) {
            next = { row, part: "qk", dim: t };
            text = `q⊙k [${t}] = ${(data.queries[i][t] * data.keys[row][t]).toPrecision(6)}`;
          }
        } else if (x >= g.sx) {
          next = { row, part: "score", dim: 0 };
          text = `${data.tokens[i]} → ${data.tokens[row]}\nq·k/√d = ${formatF32(data.scores[i][row])}\nsoftmax = ${formatF32(data.attention[i][row])}`;
        }
      }
      if (JSON.stringify(next) !== JSON.stringify(hover)) {
        hover = next;
        redraw(ctx);
      }
      tooltip(text, ev.clientX, ev.clientY);
    });
    canvas.addEventListener("mouseleave", () => tooltip(null));
    const body = { ...ctx.requestBody(), layer, head };
    const key = JSON.stringify(body);
    if (key === dataKey && data) {
      status.textContent = `layer ${a.layerName(layer)}, head ${a.headName(head)}: head dimension ${data.head_dim}; colours: blue negative, orange positive`;
      redraw(ctx);
      return;
    }
    (source ? source(body) : postJson<NeuronWire>("api/neuron", body))
      .then((w) => {
        const d = unpack(w);
        data = d;
        dataKey = key;
        status.textContent = `layer ${a.layerName(layer)}, head ${a.headName(head)}: head dimension ${d.head_dim}; colours: blue negative, orange positive`;
        redraw(ctx);
      })
      .catch((e: Error) => {
        status.textContent = e.message;
        status.className = "error";
      });
  },
  size() {
    return data ? geo(data) : null;
  },
  paint(ctx: Ctx, p: Painter) {
    return data ? paint(ctx, p, data) : null;
  },
};
