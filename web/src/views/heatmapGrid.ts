// An L × H grid of one value per head, coloured by viridis, with a click per cell.
import { css, themeColours, viridis } from "../colors";
import { CanvasPainter, type Painter } from "../painter";
import { el, sizeCanvas, tooltip } from "../ui";

export interface GridSpec {
  layers: number;
  heads: number;
  value(layer: number, head: number): number;
  cell?: number;
  selected?: (layer: number, head: number) => boolean;
}

export function gridSize(g: GridSpec): { width: number; height: number } {
  const cell = g.cell ?? 22;
  return { width: 34 + g.heads * cell, height: 20 + g.layers * cell + 18 };
}

export function paintGrid(p: Painter, g: GridSpec, ox = 0, oy = 0): void {
  const cell = g.cell ?? 22;
  const c = themeColours();
  let lo = Infinity,
    hi = -Infinity;
  for (let l = 0; l < g.layers; l++)
    for (let h = 0; h < g.heads; h++) {
      const v = g.value(l, h);
      if (Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
  if (!(hi > lo)) hi = lo + 1;
  for (let h = 0; h < g.heads; h++)
    p.text(ox + 34 + h * cell + cell / 2, oy + 10, String(h), { size: 10, colour: c.muted, align: "center" });
  for (let l = 0; l < g.layers; l++) {
    p.text(ox + 28, oy + 20 + l * cell + cell / 2, String(l), { size: 10, colour: c.muted, align: "right" });
    for (let h = 0; h < g.heads; h++) {
      const v = g.value(l, h);
      p.rect(ox + 34 + h * cell, oy + 20 + l * cell, cell - 1, cell - 1, css(viridis((v - lo) / (hi - lo))));
      if (g.selected?.(l, h)) p.strokeRect(ox + 34 + h * cell + 0.5, oy + 20 + l * cell + 0.5, cell - 2, cell - 2, c.hl, 2);
    }
  }
  p.text(ox + 34, oy + 20 + g.layers * cell + 10, `${lo.toFixed(3)} … ${hi.toFixed(3)}`, { size: 10, colour: c.muted });
}

export function gridHit(g: GridSpec, x: number, y: number): { layer: number; head: number } | null {
  const cell = g.cell ?? 22;
  const h = Math.floor((x - 34) / cell),
    l = Math.floor((y - 20) / cell);
  return l >= 0 && l < g.layers && h >= 0 && h < g.heads && x >= 34 && y >= 20 ? { layer: l, head: h } : null;
}

// A canvas showing the grid: a click on a cell calls onPick (usually: open that head), hovering shows the
// cell's value. repaint() redraws it after the spec's values or selection changed.
export function gridCanvas(
  g: GridSpec,
  onPick: (layer: number, head: number) => void,
  attrs: Record<string, string> = {},
  digits = 3,
): HTMLCanvasElement & { repaint(): void } {
  const c = Object.assign(el("canvas", { class: "view", ...attrs }), {
    repaint() {
      const sz = gridSize(g);
      paintGrid(new CanvasPainter(sizeCanvas(c, sz.width, sz.height)), g);
    },
  });
  const hitAt = (ev: MouseEvent) => {
    const r = c.getBoundingClientRect();
    return gridHit(g, ev.clientX - r.left, ev.clientY - r.top);
  };
  c.addEventListener("click", (ev) => {
    const hit = hitAt(ev);
    if (hit) onPick(hit.layer, hit.head);
  });
  c.addEventListener("mousemove", (ev) => {
    const hit = hitAt(ev);
    tooltip(hit ? `layer ${hit.layer}, head ${hit.head}: ${g.value(hit.layer, hit.head).toFixed(digits)}` : null, ev.clientX, ev.clientY);
  });
  c.addEventListener("mouseleave", () => tooltip(null));
  c.repaint();
  return c;
}
