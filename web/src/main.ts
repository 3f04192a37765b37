// The explorer page: inputs, tabs and the current view, kept in step with the URL. Typing re-runs the
// model (debounced); the layers arrive one by one over /api/attention and each view draws them as they
// come. An offline HTML export runs the same code on data embedded in the page (window.__ATTNSCOPE_DATA__).
import { ApiError, decodeFloats, getJson, streamAttention } from "./api";
import { Analysis, type Encoding, type Stats } from "./data";
import { serverExactSource } from "./exactValues";
import { exportHtml, exportImage } from "./export";
import { readUrl, writeUrl, type AppState, type ViewName } from "./state";
import { el } from "./ui";
import { atlasView } from "./views/atlasView";
import { detailView } from "./views/detailView";
import { headFrameTimes, headView } from "./views/headView";
import { modelView } from "./views/modelView";
import { neuronView } from "./views/neuronView";
import { statsView } from "./views/statsView";
import type * as schema from "./schema";
import type { Ctx, View } from "./views/view";

type ModelInfo = Pick<schema.ModelInfo, "name" | "layers" | "heads" | "max_length" | "weight_storage">;

interface StaticData {
  model: ModelInfo;
  encoding: Encoding;
  shape: [number, number, number, number];
  attentions_b64: string;
  stats: Stats;
  text?: string;
  pair?: string | null;
}

declare global {
  interface Window {
    __ATTNSCOPE_DATA__?: StaticData;
    // For tests and benchmarks: the page's state and timings.
    attnscope?: { state: AppState; analysis(): Analysis | null; headFrameTimes: number[]; runs: number };
  }
}

const DEBOUNCE_MS = 40;
const VIEWS: Record<ViewName, View> = {
  model: modelView,
  head: headView,
  detail: detailView,
  neuron: neuronView,
  stats: statsView,
  atlas: atlasView,
};

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const textBox = $<HTMLTextAreaElement>("text");
const pairBox = $<HTMLInputElement>("pair");
const pairOn = $<HTMLInputElement>("pair-on");
const truncateBox = $<HTMLInputElement>("truncate");
const statusLine = $<HTMLElement>("status");
const staticData = window.__ATTNSCOPE_DATA__;

const ctx: Ctx = {
  state: readUrl(location.search),
  analysis: null,
  root: $<HTMLElement>("view"),
  staticMode: staticData !== undefined,
  modelName: "",
  set(patch: Partial<AppState>) {
    const viewChanged = patch.view !== undefined && patch.view !== ctx.state.view;
    Object.assign(ctx.state, patch);
    saveUrl();
    if (patch.theme) applyTheme();
    if (viewChanged) selectTab();
    renderView();
  },
  openHead(layer: number, head: number) {
    ctx.set({ layer, head, view: "detail" });
  },
  requestBody() {
    return {
      text: ctx.state.text,
      pair: ctx.state.pairOn && ctx.state.pair.trim() !== "" ? ctx.state.pair : null,
      truncate: ctx.state.truncate,
    };
  },
};

let runs = 0;
window.attnscope = {
  state: ctx.state,
  analysis: () => ctx.analysis,
  headFrameTimes,
  get runs() {
    return runs;
  },
};

function saveUrl(): void {
  if (!ctx.staticMode) history.replaceState(null, "", writeUrl(ctx.state));
}

function applyTheme(): void {
  document.documentElement.dataset.theme = ctx.state.theme;
}

function currentView(): View {
  return VIEWS[ctx.state.view];
}

function renderView(): void {
  currentView().render(ctx);
}

function selectTab(): void {
  for (const b of document.querySelectorAll<HTMLButtonElement>("#tabs button")) {
    b.setAttribute("aria-selected", String(b.dataset.view === ctx.state.view));
  }
}

function setStatus(text: string, error = false): void {
  statusLine.textContent = text;
  statusLine.className = error ? "error" : "muted";
}

function renderTokens(a: Analysis): void {
  const box = $<HTMLElement>("tokens");
  box.replaceChildren(
    ...a.encoding.tokens.map((t, i) => {
      const s = el("span", {
        text: t,
        title: `${i} · id ${a.encoding.input_ids[i]} · segment ${a.segment(i) ? "B" : "A"}`,
        "data-index": String(i),
      });
      if (a.special(i)) s.classList.add("special");
      if (a.segment(i)) s.classList.add("b");
      if (ctx.state.view === "neuron" && i === ctx.state.token) s.classList.add("selected");
      s.addEventListener("click", () => ctx.set({ token: i }));
      return s;
    }),
  );
}

// ---- live analysis over the API ----

let inFlight: AbortController | null = null;
let timer = 0;

async function analyse(): Promise<void> {
  inFlight?.abort();
  const controller = new AbortController();
  inFlight = controller;
  const body = ctx.requestBody();
  if (body.text.trim() === "") {
    setStatus("type a sentence");
    return;
  }
  setStatus("running…");
  const t0 = performance.now();
  try {
    // "auto": a long input comes in half precision (half the bytes) with the error stated; what the user
    // reads as a number is fetched exact (exactValues.ts).
    await streamAttention({ ...body, values: "auto" }, controller.signal, {
      encoding(e, start) {
        performance.mark("stream-encoding");
        ctx.analysis = new Analysis(e, start.layers, start.heads);
        if (start.trace) ctx.analysis.exactSource = serverExactSource(start.trace);
        renderTokens(ctx.analysis);
        renderView();
      },
      layer(frame, data) {
        if (!ctx.analysis || controller.signal.aborted) return;
        const layer = frame.layer;
        if (layer === 0) performance.mark("stream-first-layer");
        if (frame.dtype === "f16") ctx.analysis.setLayerHalf(layer, data, frame.max_error ?? 0);
        else ctx.analysis.setLayerBytes(layer, data);
        if (layer === ctx.analysis.L - 1) performance.mark("stream-last-layer");
        currentView().onLayer?.(ctx, layer);
        setStatus(`${ctx.analysis.n} tokens · layer ${layer + 1} of ${ctx.analysis.L}…`);
      },
      thumbnails(layer, bytes, size) {
        if (!ctx.analysis || controller.signal.aborted) return;
        ctx.analysis.setThumbnails(layer, bytes, size);
        currentView().onThumbnails?.(ctx, layer);
      },
      stats(s) {
        if (!ctx.analysis || controller.signal.aborted) return;
        ctx.analysis.stats = s;
        currentView().onStats?.(ctx);
      },
      done(info) {
        if (!ctx.analysis || controller.signal.aborted) return;
        ctx.analysis.forwardMs = info.forward_ms;
        performance.mark("stream-done");
        runs++;
        const a = ctx.analysis;
        setStatus(
          `${a.n} tokens · model ${info.forward_ms.toFixed(1)} ms · on screen ${(performance.now() - t0).toFixed(0)} ms` +
            (a.values === "f16"
              ? ` · drawn from half-precision values (largest error ${a.maxError.toPrecision(2)}); numbers you read are exact`
              : ""),
        );
      },
    });
  } catch (e) {
    if (controller.signal.aborted) return;
    setStatus(e instanceof ApiError ? e.message : `cannot reach the server: ${(e as Error).message}`, true);
  }
}

function onInput(): void {
  // The latency benchmark measures from the last keystroke to a drawn model view.
  for (const m of [
    "input",
    "stream-encoding",
    "stream-first-layer",
    "stream-last-layer",
    "stream-done",
    "model-view-drawn",
    "model-view-presented",
  ])
    performance.clearMarks(m);
  performance.mark("input");
  ctx.state.text = textBox.value;
  ctx.state.pair = pairBox.value;
  ctx.state.pairOn = pairOn.checked;
  ctx.state.truncate = truncateBox.checked;
  pairBox.disabled = !pairOn.checked;
  saveUrl();
  window.clearTimeout(timer);
  timer = window.setTimeout(analyse, DEBOUNCE_MS);
}

// ---- offline export: everything from the embedded data ----

function loadStatic(d: StaticData): void {
  const [L, H, n] = d.shape;
  const a = new Analysis(d.encoding, L, H);
  const all = decodeFloats(d.attentions_b64);
  for (let l = 0; l < L; l++) a.setLayer(l, all.subarray(l * H * n * n, (l + 1) * H * n * n));
  a.stats = d.stats;
  ctx.analysis = a;
  const tokens = d.encoding.tokens;
  const b = d.encoding.sentence_b_start;
  textBox.value = d.text ?? tokens.filter((_, i) => !a.special(i) && (b === null || i < b)).join(" ");
  textBox.readOnly = true;
  pairOn.checked = b !== null;
  pairOn.disabled = true;
  pairBox.value = d.pair ?? "";
  pairBox.disabled = true;
  truncateBox.disabled = true;
  renderTokens(a);
  setStatus(`offline export · ${a.n} tokens · ${L} layers × ${H} heads · ${d.model.name}`);
}

// ---- start ----

function wire(): void {
  applyTheme();
  selectTab();
  for (const b of document.querySelectorAll<HTMLButtonElement>("#tabs button")) {
    b.addEventListener("click", () => ctx.set({ view: b.dataset.view as ViewName }));
  }
  $("theme").addEventListener("click", () => ctx.set({ theme: ctx.state.theme === "dark" ? "light" : "dark" }));
  const guard = (f: () => Promise<string>) => () => {
    f()
      .then((name) => setStatus(`saved ${name}`))
      .catch((e: Error) => setStatus(e.message, true));
  };
  $("export-png").addEventListener(
    "click",
    guard(() => exportImage("png", currentView(), ctx)),
  );
  $("export-svg").addEventListener(
    "click",
    guard(() => exportImage("svg", currentView(), ctx)),
  );
  $("export-html").addEventListener(
    "click",
    guard(() => exportHtml(ctx)),
  );
  let resizeTimer = 0;
  window.addEventListener("resize", () => {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(() => {
      if (ctx.state.view === "model") renderView();
    }, 150);
  });
}

wire();
if (staticData) {
  loadStatic(staticData);
  $("model-name").textContent = staticData.model.name;
  renderView();
} else {
  textBox.value = ctx.state.text;
  pairBox.value = ctx.state.pair;
  pairOn.checked = ctx.state.pairOn;
  pairBox.disabled = !ctx.state.pairOn;
  truncateBox.checked = ctx.state.truncate;
  truncateBox.addEventListener("change", onInput);
  textBox.addEventListener("input", onInput);
  pairBox.addEventListener("input", onInput);
  pairOn.addEventListener("change", onInput);
  getJson<ModelInfo>("api/model")
    .then((m) => {
      ctx.modelName = m.name;
      $("model-name").textContent = `${m.name} · ${m.layers} layers × ${m.heads} heads`;
    })
    .catch(() => setStatus("cannot reach the attnscope server", true));
  renderView();
  void analyse();
}
