// attnscope.explore's front end: an anywidget ESM module. Python sends the encoding and display state as
// traitlets (`meta`) and the attention as raw 8-bit codes in a binary buffer (`att`, no base64, no JSON);
// the text and pair boxes send what is typed back (`text`, `pair`) and Python recomputes and replies.
// The analyses (statistics, head map, rollout, norms, ablation, counterfactual) are asked for over the
// widget's message channel, {id, kind, body} → {id, result | error}, and computed by the library in the kernel.
import { decodeFloats } from "./api";
import { Analysis, type Stats } from "./data";
import { toCls, type AtlasSource, type Body, type ToClsWire } from "./views/atlasSource";
import { frame } from "./notebook";
import type { Encoding } from "./data";
import type { ViewName } from "./state";
import { el } from "./ui";

interface Meta {
  encoding: Encoding;
  shape: [number, number, number, number];
  layers: number[];
  heads: number[];
  max_error: number;
  forward_ms: number;
  error: string;
  seq: number;
}

interface Model {
  get(name: string): unknown;
  set(name: string, value: unknown): void;
  save_changes(): void;
  on(event: string, cb: (...args: never[]) => void): void;
  off(event: string, cb: (...args: never[]) => void): void;
  send(content: object): void;
}

interface Reply {
  id: number;
  view?: string;
  result?: unknown;
  error?: string;
}

// One request per call; the kernel answers each (in order, it is one thread) with the same id.
function kernel(model: Model): { ask<T>(kind: string, body: Body): Promise<T>; stop(): void } {
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let next = 1;
  // The kernel's replies reach every view of this widget: each view keeps only those naming it.
  const view = Math.random().toString(36).slice(2);
  const onMessage = (msg: Reply) => {
    if (msg?.view !== view) return;
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.error) p.reject(new Error(msg.error));
    else p.resolve(msg.result);
  };
  model.on("msg:custom", onMessage);
  return {
    ask<T>(kind: string, body: Body): Promise<T> {
      const id = next++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        model.send({ id, view, kind, body });
      });
    },
    stop() {
      model.off("msg:custom", onMessage);
      for (const p of pending.values()) p.reject(new Error("the view was closed"));
      pending.clear();
    },
  };
}

const DEBOUNCE_MS = 60;

function bytesOf(v: unknown): Uint8Array {
  if (v instanceof DataView) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return new Uint8Array(0);
}

function render({ model, el: host }: { model: Model; el: HTMLElement }): () => void {
  const outer = el("div", { class: "attnscope-output attnscope-explore" });
  const text = el("textarea", { class: "attnscope-text", rows: "2", spellcheck: "false", "aria-label": "Sentence" });
  const pair = el("input", {
    class: "attnscope-pair",
    type: "text",
    spellcheck: "false",
    placeholder: "sentence B (optional)",
    "aria-label": "Sentence B",
  });
  text.value = String(model.get("text") ?? "");
  pair.value = String(model.get("pair") ?? "");
  const inputs = el("div", { class: "attnscope-inputs" }, [text, pair]);
  const live = el("div", { class: "attnscope-live" });
  outer.append(inputs, live);
  host.append(outer);
  const views = (model.get("views") as ViewName[]) ?? ["model", "head", "detail"];
  const k = kernel(model);
  const source: AtlasSource = {
    headMap: (body) => k.ask("head_map", body),
    rollout: async (body) => toCls(await k.ask<ToClsWire>("rollout", body)),
    norms: (body) => k.ask("norms", body),
    ablate: (body) => k.ask("ablate", body),
    diff: (body) => k.ask("diff", body),
  };
  const m = frame(
    live,
    views,
    { view: String(model.get("view") ?? "model") as ViewName },
    String(model.get("title") ?? "attnscope"),
    source,
  );
  const t0 = { at: performance.now() };
  const draw = () => {
    const meta = model.get("meta") as Meta;
    if (meta.error) {
      m.setStatus(meta.error, true);
      return;
    }
    if (!meta.encoding) return;
    const [L, H, n] = meta.shape;
    const a = new Analysis(meta.encoding, L, H);
    a.layerIds = meta.layers;
    a.headIds = meta.heads;
    const codes = bytesOf(model.get("att"));
    if (codes.length !== L * H * n * n) {
      m.setStatus(`attention buffer has ${codes.length} bytes, expected ${L * H * n * n}`, true);
      return;
    }
    for (let k = 0; k < codes.length; k++) a.att[k] = codes[k] / 255;
    a.layersDone = L;
    a.values = "u8";
    a.maxError = meta.max_error;
    // What the user reads (the head detail's readout, a head-view hover) comes exact from the kernel.
    a.exactSource = async (layer, head) => decodeFloats(await k.ask<string>("values", { layer, head, seq: meta.seq }));
    m.show(
      a,
      `${n} tokens · ${L} layers × ${H} heads · model ${meta.forward_ms.toFixed(1)} ms · 8-bit copy (largest rounding error ${meta.max_error.toPrecision(2)})`,
    );
    m.setStatus(`on screen ${(performance.now() - t0.at).toFixed(0)} ms after the last keystroke`);
    live.dataset.seq = String(meta.seq);
    // The statistics follow the attention, as in `serve`: the views that need them draw when they come.
    if (views.includes("stats") || views.includes("atlas"))
      k.ask<Stats>("statistics", { seq: meta.seq })
        .then((stats) => {
          if (m.ctx.analysis !== a) return;
          a.stats = stats;
          m.ctx.set({});
        })
        .catch((e: Error) => m.setStatus(e.message, true));
  };
  let timer = 0;
  const send = () => {
    t0.at = performance.now();
    window.clearTimeout(timer);
    timer = window.setTimeout(() => {
      model.set("text", text.value);
      model.set("pair", pair.value);
      model.save_changes();
    }, DEBOUNCE_MS);
  };
  text.addEventListener("input", send);
  pair.addEventListener("input", send);
  // While this widget runs, its static twin (the next output: the picture for notebooks without a kernel)
  // is hidden by a rule keyed to its id; the rule goes with the widget.
  const uid = String(model.get("uid") ?? "");
  const hide = el("style", { text: `.attnscope-static-twin[data-uid="${uid}"]{display:none}` });
  if (uid) document.head.append(hide);
  model.on("change:meta", draw);
  draw();
  return () => {
    k.stop();
    model.off("change:meta", draw);
    hide.remove();
  };
}

export default { render };
