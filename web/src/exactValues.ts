// The exact float32 values behind an approximate copy (a half-precision stream, the notebook's 8-bit copy).
// The views draw from the copy; a number the user reads — the head detail's readout, the head view's
// hover — comes from the exact values, fetched once for the head or layer the user opens and written into
// place. Where they come from is the analysis's exactSource: the server (/api/values, docs/api.md) or the
// live widget's kernel.
import { ApiError, decodeFloats, postJson } from "./api";
import type { Analysis } from "./data";

interface ValuesAnswer {
  attention_b64: string;
}

// The server's exact values of a half-precision stream's trace.
export function serverExactSource(trace: string): (layer: number, head: number | null) => Promise<Float32Array> {
  return async (layer, head) => decodeFloats((await postJson<ValuesAnswer>("api/values", { trace, layer, head })).attention_b64);
}

const loading = new WeakMap<Analysis, Map<string, Promise<boolean>>>();

// Fetches one head (or, with head null, the whole layer) exact. Resolves true once the values are in
// place (false when there is nothing to fetch); rejects with the source's message, e.g. when the server
// no longer holds the trace.
export function loadExact(a: Analysis, layer: number, head: number | null): Promise<boolean> {
  const heads = head === null ? Array.from({ length: a.H }, (_, h) => h) : [head];
  const source = a.exactSource;
  if (source === null || heads.every((h) => a.isExact(layer, h))) return Promise.resolve(false);
  const key = `${layer}:${head}`;
  const mine = loading.get(a) ?? new Map<string, Promise<boolean>>();
  loading.set(a, mine);
  const pending = mine.get(key);
  if (pending) return pending;
  const nn = a.n * a.n;
  const p = source(layer, head)
    .then((values) => {
      if (values.length !== heads.length * nn) throw new ApiError(`exact values: ${values.length} floats, expected ${heads.length * nn}`);
      const layerFloats = a.floats(layer); // widened first, so the exact values are not overwritten later
      heads.forEach((h, i) => {
        layerFloats.set(values.subarray(i * nn, (i + 1) * nn), h * nn);
        a.exactHeads.add(layer * a.H + h);
      });
      return true;
    })
    .finally(() => mine.delete(key));
  mine.set(key, p);
  return p;
}
