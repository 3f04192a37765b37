// Colour scales: viridis for every heatmap (perceptually uniform, colour-blind safe), and head colours
// from the Okabe–Ito and Paul Tol palettes, which stay distinguishable with colour-vision deficiencies.
export type RGB = [number, number, number];

const VIRIDIS: RGB[] = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
];

export function viridis(t: number): RGB {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * 8;
  const i = Math.min(7, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i],
    b = VIRIDIS[i + 1];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

// viridis(t) written as an opaque pixel at px[at..at+3], with no array made per pixel.
export function viridisInto(t: number, px: Uint8ClampedArray, at: number): void {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * 8;
  const i = Math.min(7, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i],
    b = VIRIDIS[i + 1];
  px[at] = a[0] + (b[0] - a[0]) * f;
  px[at + 1] = a[1] + (b[1] - a[1]) * f;
  px[at + 2] = a[2] + (b[2] - a[2]) * f;
  px[at + 3] = 255;
}

export function css(c: RGB, alpha = 1): string {
  return alpha === 1 ? `rgb(${c[0] | 0},${c[1] | 0},${c[2] | 0})` : `rgba(${c[0] | 0},${c[1] | 0},${c[2] | 0},${alpha})`;
}

// Okabe–Ito (8) followed by Paul Tol's muted colours: 16 distinct head colours.
export const HEAD_COLOURS = [
  "#E69F00",
  "#56B4E9",
  "#009E73",
  "#F0E442",
  "#0072B2",
  "#D55E00",
  "#CC79A7",
  "#000000",
  "#332288",
  "#88CCEE",
  "#44AA99",
  "#117733",
  "#999933",
  "#DDCC77",
  "#CC6677",
  "#AA4499",
];

export function headColour(h: number, dark: boolean): string {
  const c = HEAD_COLOURS[h % HEAD_COLOURS.length];
  return dark && c === "#000000" ? "#dddddd" : c;
}

// Negative blue, zero near white (or the background), positive orange: for the neuron view's vectors.
export function diverging(v: number, max: number): RGB {
  const t = Math.max(-1, Math.min(1, max > 0 ? v / max : 0));
  return t >= 0 ? [255 - 30 * t, 255 - 120 * t, 255 - 255 * t] : [255 + 255 * t, 255 + 120 * t, 255];
}

// The element whose CSS variables and data-theme the drawing follows: the page in the explorer, the
// output's own box in a notebook (where the page belongs to Jupyter).
let themeRoot: HTMLElement | null = null;

export function setThemeRoot(e: HTMLElement): void {
  themeRoot = e;
}

function root(): HTMLElement {
  return themeRoot ?? document.documentElement;
}

export function themeColours(): { fg: string; muted: string; bg: string; line: string; hl: string } {
  const s = getComputedStyle(root());
  const v = (k: string) => s.getPropertyValue(k).trim() || "#000";
  return { fg: v("--fg"), muted: v("--muted"), bg: v("--bg"), line: v("--line"), hl: v("--hl") };
}

export function isDark(): boolean {
  return root().dataset.theme === "dark";
}
