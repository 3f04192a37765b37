// Talking to `attnscope serve` (docs/api.md): the frame stream of /api/attention and the JSON routes.
import type { Encoding, Stats } from "./data";

export interface StreamHandlers {
  encoding(e: Encoding, layers: number, heads: number): void;
  layer(layer: number, data: Float32Array): void;
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
  let buf = new Uint8Array(0);
  const decoder = new TextDecoder();
  for (;;) {
    const { value, done } = await reader.read();
    if (value) {
      const merged = new Uint8Array(buf.length + value.length);
      merged.set(buf);
      merged.set(value, buf.length);
      buf = merged;
    }
    let offset = 0;
    for (;;) {
      if (buf.length - offset < 4) break;
      const view = new DataView(buf.buffer, buf.byteOffset + offset);
      const jsonLength = view.getUint32(0, true);
      if (buf.length - offset < 8 + jsonLength) break;
      const payloadLength = view.getUint32(4 + jsonLength, true);
      if (buf.length - offset < 8 + jsonLength + payloadLength) break;
      const header = JSON.parse(decoder.decode(buf.subarray(offset + 4, offset + 4 + jsonLength)));
      const start = offset + 8 + jsonLength;
      const payload = new Float32Array(buf.slice(start, start + payloadLength).buffer);
      offset = start + payloadLength;
      switch (header.type) {
        case "encoding":
          h.encoding(header.encoding, header.layers, header.heads);
          break;
        case "layer":
          h.layer(header.layer, payload);
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
    }
    buf = buf.slice(offset);
    if (done) break;
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
