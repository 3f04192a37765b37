// Talking to `attnscope serve` (docs/api.md): the frame stream of /api/attention and the JSON routes.
import type { Encoding, Stats } from "./data";

export interface StreamStart {
  layers: number;
  heads: number;
  values: "f32" | "f16";
  trace?: string; // a half-precision stream's trace id, for /api/values
}

export interface LayerFrame {
  layer: number;
  dtype?: "f16";
  max_error?: number;
}

export interface StreamHandlers {
  encoding(e: Encoding, start: StreamStart): void;
  // bytes: the layer's little-endian float32 (or, with dtype "f16", half) [H][n][n], valid only during the
  // call (the reader reuses its buffer): copying it once into place saves a copy and allocation per layer.
  layer(frame: LayerFrame, bytes: Uint8Array): void;
  // A half-precision stream's thumbnails of a layer (float32 [H][size][size], max-pooled by the server),
  // sent as the layer finishes, every layer's before any layer's values; valid only during the call.
  thumbnails?(layer: number, bytes: Uint8Array, size: number): void;
  stats(s: Stats): void;
  done(info: { forward_ms: number; total_ms: number }): void;
}

export class ApiError extends Error {}

async function errorOf(res: Response): Promise<ApiError> {
  try {
    const j = await res.json();
    return new ApiError(j.error ?? `HTTP ${res.status}`);
  } catch {
    return new ApiError(`HTTP ${res.status}`);
  }
}

// frame := u32 json_length | JSON | u32 payload_length | float32 payload
export async function streamAttention(body: object, signal: AbortSignal, h: StreamHandlers): Promise<void> {
  const res = await fetch("api/attention", {
    method: "POST",
    body: JSON.stringify(body),
    signal,
    headers: { "Content-Type": "application/json" },
  });
  if (!res.ok || !res.body) throw await errorOf(res);
  const reader = res.body.getReader();
  const buf = new ByteQueue();
  const decoder = new TextDecoder();
  for (;;) {
    const { value, done } = await reader.read();
    if (value) buf.push(value);
    for (;;) {
      const bytes = buf.bytes();
      if (bytes.length < 4) break;
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
      const jsonLength = view.getUint32(0, true);
      if (bytes.length < 8 + jsonLength) break;
      const payloadLength = view.getUint32(4 + jsonLength, true);
      if (bytes.length < 8 + jsonLength + payloadLength) break;
      const header = JSON.parse(decoder.decode(bytes.subarray(4, 4 + jsonLength)));
      const start = 8 + jsonLength;
      const payload = bytes.subarray(start, start + payloadLength);
      switch (header.type) {
        case "encoding":
          h.encoding(header.encoding, { layers: header.layers, heads: header.heads, values: header.values ?? "f32", trace: header.trace });
          break;
        case "layer":
          h.layer(header, payload);
          break;
        case "thumbnails":
          h.thumbnails?.(header.layer, payload, header.shape[1]);
          break;
        case "stats":
          h.stats(header.stats);
          break;
        case "done":
          h.done(header);
          break;
        case "error":
          throw new ApiError(header.error);
      }
      buf.consume(start + payloadLength);
    }
    if (done) break;
  }
}

// The bytes received and not yet parsed. A layer frame is H·n²·4 bytes (12 MB at 512 tokens) and arrives
// in chunks of tens of KB: appending into a buffer that doubles when full costs O(total), where merging
// the whole buffer with each chunk copied O(frame² / chunk) — gigabytes per 512-token layer.
class ByteQueue {
  private data = new Uint8Array(1 << 16);
  private start = 0;
  private end = 0;

  push(chunk: Uint8Array): void {
    if (this.end + chunk.length > this.data.length) {
      const live = this.end - this.start;
      const target =
        live + chunk.length > this.data.length ? new Uint8Array(Math.max(2 * this.data.length, live + chunk.length)) : this.data;
      target.set(this.data.subarray(this.start, this.end)); // set() copies through a temporary when they overlap
      this.data = target;
      this.start = 0;
      this.end = live;
    }
    this.data.set(chunk, this.end);
    this.end += chunk.length;
  }

  bytes(): Uint8Array {
    return this.data.subarray(this.start, this.end);
  }

  consume(count: number): void {
    this.start += count;
    if (this.start === this.end) this.start = this.end = 0;
  }
}

export async function postJson<T>(path: string, body: object): Promise<T> {
  const res = await fetch(path, { method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as T;
}

export async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path);
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as T;
}

export function decodeFloats(b64: string): Float32Array {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}
