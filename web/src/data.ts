// One analysed input as the page holds it: tokens, every attention matrix (one Float32Array, filled
// layer by layer as frames arrive), and the per-head statistics the server computed.
// The fields the page reads, taken from the library's schema (schema.ts), so a field the library renames
// fails the type check instead of leaving a view blank.
import type * as schema from "./schema";

export type Encoding = Pick<schema.Encoding, "tokens" | "input_ids" | "token_type_ids" | "special_tokens_mask" | "sentence_b_start">;
export type HeadStat = schema.HeadStat;
export type Stats = Omit<schema.Stats, "schema_version">;

export class Analysis {
  readonly att: Float32Array;
  layersDone = 0;
  stats: Stats | null = null;
  forwardMs = 0;
  // The model's own layer and head numbers when only some are shown (a notebook's include_layers /
  // include_heads): the views label with these, index with 0..L-1.
  layerIds: number[] | null = null;
  headIds: number[] | null = null;

  constructor(
    readonly encoding: Encoding,
    readonly L: number,
    readonly H: number,
  ) {
    this.att = new Float32Array(L * H * this.n * this.n);
  }

  layerName(l: number): string {
    return String(this.layerIds?.[l] ?? l);
  }

  headName(h: number): string {
    return String(this.headIds?.[h] ?? h);
  }

  get n(): number {
    return this.encoding.tokens.length;
  }

  setLayer(layer: number, data: Float32Array): void {
    this.att.set(data, layer * this.H * this.n * this.n);
    this.layersDone = Math.max(this.layersDone, layer + 1);
  }

  // How the page holds the values: "f32", exact; "f16", a half-precision copy for drawing (a long input's
  // compact stream); "u8", the notebook's 8-bit copy. maxError is the copy's largest rounding error. Where
  // exactSource is set (the server's /api/values, the live widget's kernel), the exact values of the heads
  // the user reads are fetched on demand and written into place (exactValues.ts).
  values: "f32" | "f16" | "u8" = "f32";
  maxError = 0;
  exactSource: ((layer: number, head: number | null) => Promise<Float32Array>) | null = null;
  readonly exactHeads = new Set<number>(); // layer · H + head

  isExact(layer: number, head: number): boolean {
    return this.values === "f32" || this.exactHeads.has(layer * this.H + head);
  }

  // A layer from little-endian IEEE half bytes (any alignment). Kept as the codes until a view reads the
  // layer's floats (head(), floats()): while a long input streams, the model view pools the codes
  // directly (halfCodes), so the page does not widen 3 million values per layer (~10 ms each) while the
  // server's forward pass needs the same two cores.
  private readonly halfLayers: (Uint16Array | null)[] = [];

  setLayerHalf(layer: number, bytes: Uint8Array, maxError: number): void {
    const size = this.H * this.n * this.n;
    if (bytes.length !== size * 2) throw new Error(`layer ${layer} has ${bytes.length} bytes, expected ${size * 2}`);
    const codes = new Uint16Array(size);
    new Uint8Array(codes.buffer).set(bytes);
    this.halfLayers[layer] = codes;
    this.values = "f16";
    this.maxError = Math.max(this.maxError, maxError);
    this.layersDone = Math.max(this.layersDone, layer + 1);
  }

  // The model view's thumbnails of some layers, max-pooled by the server (a half-precision stream).
  private readonly thumbs: (Float32Array | null)[] = [];
  thumbSize = 0;

  setThumbnails(layer: number, bytes: Uint8Array, size: number): void {
    if (bytes.length !== this.H * size * size * 4) throw new Error(`thumbnails of layer ${layer}: ${bytes.length} bytes`);
    const t = new Float32Array(this.H * size * size);
    new Uint8Array(t.buffer).set(bytes);
    this.thumbs[layer] = t;
    this.thumbSize = size;
  }

  hasThumbnails(layer: number): boolean {
    return Boolean(this.thumbs[layer]);
  }

  // One head's server-pooled thumbnail, or null.
  thumbnail(layer: number, head: number): Float32Array | null {
    const t = this.thumbs[layer];
    const ss = this.thumbSize * this.thumbSize;
    return t ? t.subarray(head * ss, (head + 1) * ss) : null;
  }

  // One head's half codes while its layer is not yet widened, else null.
  halfCodes(layer: number, head: number): Uint16Array | null {
    const codes = this.halfLayers[layer];
    const nn = this.n * this.n;
    return codes ? codes.subarray(head * nn, (head + 1) * nn) : null;
  }

  // Every value of one layer as float32, widening its half codes first if it still has them.
  floats(layer: number): Float32Array {
    const size = this.H * this.n * this.n;
    const out = this.att.subarray(layer * size, (layer + 1) * size);
    const codes = this.halfLayers[layer];
    if (codes) {
      const table = halfTable();
      for (let k = 0; k < size; k++) out[k] = table[codes[k]];
      this.halfLayers[layer] = null;
    }
    return out;
  }

  // The same from little-endian float32 bytes, at any alignment.
  setLayerBytes(layer: number, bytes: Uint8Array): void {
    const size = this.H * this.n * this.n;
    if (bytes.length !== size * 4) throw new Error(`layer ${layer} has ${bytes.length} bytes, expected ${size * 4}`);
    new Uint8Array(this.att.buffer, layer * size * 4, size * 4).set(bytes);
    this.layersDone = Math.max(this.layersDone, layer + 1);
  }

  head(layer: number, head: number): Float32Array {
    const nn = this.n * this.n;
    return this.floats(layer).subarray(head * nn, (head + 1) * nn);
  }

  special(i: number): boolean {
    return this.encoding.special_tokens_mask[i] === 1;
  }

  // 0 for sentence A (and the specials before B), 1 from the first token of B on: by position, so that it
  // also holds for RoBERTa, whose token type ids are all 0.
  segment(i: number): number {
    const b = this.encoding.sentence_b_start;
    return b !== null && i >= b ? 1 : 0;
  }

  hasPair(): boolean {
    return this.encoding.sentence_b_start !== null;
  }
}

// Every IEEE half bit pattern as a float32: widening by table lookup, in every browser (faster here than
// Float16Array's own conversion: 21 vs 69 ms for 3.1 million values in Chromium 156).
let halves: Float32Array | null = null;
export function halfTable(): Float32Array {
  if (halves) return halves;
  halves = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1,
      exp = (h >> 10) & 0x1f,
      mant = h & 0x3ff;
    halves[h] = sign * (exp === 0 ? mant * 2 ** -24 : exp === 31 ? (mant ? NaN : Infinity) : (1024 + mant) * 2 ** (exp - 25));
  }
  return halves;
}

// A view of one head's matrix, as the head-detail view shows it: optionally without [CLS]/[SEP] (rows
// renormalised), optionally at word level (## pieces merged: attention to a word is the sum over its
// pieces, attention from a word the mean over its pieces — Clark et al.'s convention). These are
// presentation transforms of numbers the server computed, done here so the toggles are instant.
export interface MatrixView {
  m: Float32Array;
  rows: number;
  cols: number;
  rowLabels: string[];
  colLabels: string[];
  rowTokens: number[][]; // token indices behind each row
  colTokens: number[][];
  transformed: boolean;
}

export function matrixView(a: Analysis, layer: number, head: number, hideSpecial: boolean, words: boolean): MatrixView {
  const n = a.n;
  const tokens = a.encoding.tokens;
  const groups: number[][] = [];
  for (let i = 0; i < n; i++) {
    if (hideSpecial && a.special(i)) continue;
    const piece = words && !a.special(i) && tokens[i].startsWith("##") && groups.length > 0 && !a.special(groups[groups.length - 1][0]);
    if (piece) groups[groups.length - 1].push(i);
    else groups.push([i]);
  }
  const label = (g: number[]) => g.map((i, k) => (k > 0 ? tokens[i].replace(/^##/, "") : tokens[i])).join("");
  const src = a.head(layer, head);
  const size = groups.length;
  const m = new Float32Array(size * size);
  for (let r = 0; r < size; r++) {
    for (const i of groups[r]) {
      for (let c = 0; c < size; c++) {
        let s = 0;
        for (const j of groups[c]) s += src[i * n + j];
        m[r * size + c] += s / groups[r].length;
      }
    }
    if (hideSpecial) {
      let total = 0;
      for (let c = 0; c < size; c++) total += m[r * size + c];
      if (total > 0) for (let c = 0; c < size; c++) m[r * size + c] /= total;
    }
  }
  const labels = groups.map(label);
  return {
    m,
    rows: size,
    cols: size,
    rowLabels: labels,
    colLabels: labels,
    rowTokens: groups,
    colTokens: groups,
    transformed: hideSpecial || words,
  };
}

// The shortest decimal that reads back as the same float32: what `attnscope run --format json` prints.
export function formatF32(v: number): string {
  for (let p = 1; p <= 9; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return String(Number(s));
  }
  return String(v);
}
