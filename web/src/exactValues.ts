// The exact float32 values behind a half-precision stream (docs/api.md, /api/values). The views draw from
// the half-precision copy; a number the user reads — the head detail's readout, the head view's hover —
// comes from the exact values, fetched once for the head or layer the user opens and written into place.
import { ApiError, decodeFloats, postJson } from "./api";
import type { Analysis } from "./data";

interface ValuesAnswer {
  layer: number;
  head: number | null;
  shape: number[];
  attention_b64: string;
}

const loading = new Map<string, Promise<boolean>>();

// Fetches one head (or, with head null, the whole layer) exact. Resolves true once the values are in
// place (false when there is nothing to fetch); rejects with the server's message, e.g. when the server
// no longer holds the trace.
export function loadExact(a: Analysis, layer: number, head: number | null): Promise<boolean> {
  const heads = head === null ? Array.from({ length: a.H }, (_, h) => h) : [head];
  if (a.trace === null || heads.every((h) => a.isExact(layer, h))) return Promise.resolve(false);
  const key = `${a.trace}:${layer}:${head}`;
  const pending = loading.get(key);
  if (pending) return pending;
  const nn = a.n * a.n;
  const p = postJson<ValuesAnswer>("api/values", { trace: a.trace, layer, head })
    .then((r) => {
      const values = decodeFloats(r.attention_b64);
      if (values.length !== heads.length * nn) throw new ApiError(`exact values: ${values.length} floats, expected ${heads.length * nn}`);
      const layerFloats = a.floats(layer); // widened first, so the exact values are not overwritten later
      heads.forEach((h, i) => {
        layerFloats.set(values.subarray(i * nn, (i + 1) * nn), h * nn);
        a.exactHeads.add(layer * a.H + h);
      });
      return true;
    })
    .finally(() => loading.delete(key));
  loading.set(key, p);
  return p;
}
