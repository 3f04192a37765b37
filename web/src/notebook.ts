// The explorer's views inside a notebook output (attnscope.head_view, model_view, heatmap, …) and inside the
// live widget (attnscope.explore). Same views, same drawing code as `serve`; what differs is where the data
// comes from: here, a compact copy embedded in the output (8-bit, deflated) or binary widget buffers.
//
// Every output carries its own copy of this bundle as a classic inline script, so each view has its own
// module state (the views keep their canvas and hover in module variables) and nothing is loaded from the
// network. The script draws, then hides the static picture (a PNG rendered by the C++ side from the same
// data) that untrusted notebooks and script-less viewers show instead.
import { setThemeRoot } from "./colors";
import { Analysis, type Encoding, type Stats } from "./data";
import { exportImage } from "./export";
import { defaultState, type AppState, type ViewName } from "./state";
import { el, setTooltipElement } from "./ui";
import { atlasView } from "./views/atlasView";
import { embeddedSource, type AtlasSource, type EmbeddedAtlas } from "./views/atlasSource";
import { detailView } from "./views/detailView";
import { headView } from "./views/headView";
import { modelView } from "./views/modelView";
import { neuronView, setNeuronSource, type NeuronWire } from "./views/neuronView";
import { statsView } from "./views/statsView";
import type { Ctx, View } from "./views/view";

// What attnscope.views writes into the output (python/attnscope/views/payload.py).
export interface Payload {
  version: 1;
  view: ViewName;
  views: ViewName[]; // the tabs this output offers
  encoding: Encoding;
  shape: [number, number, number, number]; // [L, H, n, n] as embedded (after include_layers/heads)
  layers: number[]; // the model's layer numbers of the embedded layers
  heads: number[];
  codec: "u8" | "u8-deflate" | "f32";
  data: string; // base64
  max_error: number; // the largest rounding error of the embedded copy
  state: Partial<AppState>;
  title: string;
  stats?: Stats;
  neuron?: NeuronWire; // one head's query/key vectors and scores (float32, exact), for the neuron view
  atlas?: EmbeddedAtlas; // the head map, rollout (and flow) and norms the library computed, for the atlas
}

const VIEWS: Partial<Record<ViewName, View>> = {
  model: modelView,
  head: headView,
  detail: detailView,
  stats: statsView,
  neuron: neuronView,
  atlas: atlasView,
};
const LABELS: Partial<Record<ViewName, string>> = {
  model: "Model view",
  head: "Head view",
  detail: "Head detail",
  stats: "Head statistics",
  neuron: "Neuron view",
  atlas: "Atlas",
};

function base64Bytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

async function inflate(bytes: Uint8Array): Promise<Uint8Array> {
  // The browser's own zlib (DecompressionStream): no library, nothing fetched.
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// u8 codes → probabilities: code / 255 (the Python side rounds p · 255 to the nearest integer).
export function dequantize(codes: Uint8Array, out: Float32Array): void {
  if (codes.length !== out.length) throw new Error(`attention data has ${codes.length} values, expected ${out.length}`);
  for (let k = 0; k < codes.length; k++) out[k] = codes[k] / 255;
}

export async function decodePayload(p: Payload): Promise<Analysis> {
  const [L, H] = p.shape;
  const a = new Analysis(p.encoding, L, H);
  a.layerIds = p.layers;
  a.headIds = p.heads;
  const raw = base64Bytes(p.data);
  if (p.codec === "f32") {
    a.att.set(new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4));
  } else {
    dequantize(p.codec === "u8-deflate" ? await inflate(raw) : raw, a.att);
    a.values = "u8"; // the readouts say so: a static output has no exact values to fetch
    a.maxError = p.max_error;
  }
  a.layersDone = L;
  a.stats = p.stats ?? null;
  return a;
}

export interface Mounted {
  ctx: Ctx;
  show(a: Analysis, note: string): void;
  setStatus(text: string, error?: boolean): void;
}

// Builds the view's frame in `root`: tabs, export buttons, the view, a note line and a tooltip.
export function frame(root: HTMLElement, views: ViewName[], initial: Partial<AppState>, title: string, atlas?: AtlasSource): Mounted {
  root.classList.add("attnscope-nb");
  const jupyterDark = document.body?.dataset.jpThemeLight === "false";
  const state: AppState = { ...defaultState(), theme: jupyterDark ? "dark" : "light", ...initial };
  root.dataset.theme = state.theme;
  setThemeRoot(root);
  const tip = el("div", { class: "attnscope-tooltip", role: "tooltip" });
  tip.hidden = true;
  setTooltipElement(tip);
  const tabs = el("nav", { class: "attnscope-tabs", role: "tablist" });
  const status = el("span", { class: "muted attnscope-status", role: "status" });
  const viewBox = el("div", { class: "attnscope-view" });
  const header = el("div", { class: "attnscope-header" }, [el("strong", { text: title }), tabs, el("span", { class: "spacer" })]);
  const png = el("button", { class: "attnscope-png", title: "Download this view as PNG", text: "PNG" });
  const svg = el("button", { class: "attnscope-svg", title: "Download this view as SVG", text: "SVG" });
  header.append(png, svg);
  const note = el("div", { class: "muted attnscope-note" });
  root.append(header, viewBox, el("div", { class: "attnscope-footer" }, [note, status]), tip);

  const current = (): View => VIEWS[ctx.state.view] ?? modelView;
  const selectTab = () =>
    tabs.querySelectorAll("button").forEach((b) => b.setAttribute("aria-selected", String(b.dataset.view === ctx.state.view)));
  const ctx: Ctx = {
    state,
    analysis: null,
    root: viewBox,
    staticMode: true,
    atlas,
    modelName: title,
    set(patch: Partial<AppState>) {
      Object.assign(ctx.state, patch);
      if (patch.theme) root.dataset.theme = ctx.state.theme;
      selectTab();
      current().render(ctx);
      root.dataset.renders = String(Number(root.dataset.renders ?? "0") + 1);
    },
    openHead(layer: number, head: number) {
      if (views.includes("detail")) ctx.set({ layer, head, view: "detail" });
    },
    requestBody() {
      return { text: ctx.state.text, pair: ctx.state.pairOn ? ctx.state.pair : null, truncate: ctx.state.truncate };
    },
  };
  if (views.length > 1) {
    for (const v of views) {
      const b = el("button", { "data-view": v, role: "tab", text: LABELS[v] ?? v });
      b.addEventListener("click", () => ctx.set({ view: v }));
      tabs.append(b);
    }
  }
  selectTab();
  const setStatus = (text: string, error = false) => {
    status.textContent = text;
    status.className = `${error ? "error" : "muted"} attnscope-status`;
  };
  const exporter = (kind: "png" | "svg") => () => {
    exportImage(kind, current(), ctx)
      .then((name) => setStatus(`saved ${name}`))
      .catch((e: Error) => setStatus(e.message, true));
  };
  png.addEventListener("click", exporter("png"));
  svg.addEventListener("click", exporter("svg"));
  return {
    ctx,
    setStatus,
    show(a: Analysis, text: string) {
      ctx.analysis = a;
      note.textContent = text;
      ctx.set({});
      // The live drawing is on screen: the static picture below it is for viewers that run no script.
      const fallback = root.parentElement?.querySelector<HTMLElement>(":scope > .attnscope-static");
      if (fallback) fallback.style.display = "none";
      root.dataset.tokens = JSON.stringify(a.encoding.tokens);
      root.dataset.drawn = "1";
    },
  };
}

export function describe(p: Payload): string {
  const [L, H, n] = p.shape;
  const copy = p.codec === "f32" ? "float32 copy (exact)" : `8-bit copy (largest rounding error ${p.max_error.toPrecision(2)})`;
  return `${n} tokens · ${L} layer${L === 1 ? "" : "s"} × ${H} head${H === 1 ? "" : "s"} · values from an embedded ${copy}`;
}

// Entry for a static output: <div class="attnscope-output"> holds the static <img>, the mount point and a
// <script type="application/json"> with the payload.
export async function mount(outer: HTMLElement): Promise<void> {
  const json = outer.querySelector<HTMLScriptElement>(":scope > script.attnscope-data");
  const root = outer.querySelector<HTMLElement>(":scope > .attnscope-live");
  if (!json || !root) return;
  const p = JSON.parse(json.textContent ?? "{}") as Payload;
  const neuron = p.neuron;
  if (neuron) {
    // The output holds one head's vectors: the embedded layer and head are index 0 of its own selection.
    setNeuronSource(async (body) => {
      if (body.layer !== 0 || body.head !== 0) throw new Error(`this output holds layer ${neuron.layer}, head ${neuron.head} only`);
      return neuron;
    });
  }
  const m = frame(root, p.views, { ...p.state, view: p.view }, p.title, p.atlas ? embeddedSource(p.atlas) : undefined);
  try {
    m.show(await decodePayload(p), describe(p));
  } catch (e) {
    m.setStatus(`cannot draw this view: ${(e as Error).message}`, true);
  }
}
