// Views draw through a Painter, so that one drawing routine gives both the canvas on screen (and PNG
// export) and an SVG document with the same picture, current selection and hover included.
import { escapeXml } from "./ui";

export interface TextStyle {
  size?: number;
  colour?: string;
  align?: CanvasTextAlign;
  baseline?: CanvasTextBaseline;
  rotate?: number; // degrees, around (x, y)
  weight?: string;
  mono?: boolean;
}

export interface Painter {
  rect(x: number, y: number, w: number, h: number, fill: string, alpha?: number): void;
  strokeRect(x: number, y: number, w: number, h: number, stroke: string, width?: number): void;
  // Many segments of one colour and opacity at once (the head view draws thousands).
  lines(segments: number[], stroke: string, alpha: number, width?: number): void;
  circle(x: number, y: number, r: number, fill: string, alpha?: number): void;
  text(x: number, y: number, s: string, style?: TextStyle): void;
  image(x: number, y: number, w: number, h: number, source: HTMLCanvasElement): void;
}

const FONT = "system-ui, -apple-system, 'Segoe UI', sans-serif";
const MONO = "ui-monospace, SFMono-Regular, Menlo, monospace";

export class CanvasPainter implements Painter {
  constructor(private readonly g: CanvasRenderingContext2D) {}
  rect(x: number, y: number, w: number, h: number, fill: string, alpha = 1): void {
    this.g.globalAlpha = alpha;
    this.g.fillStyle = fill;
    this.g.fillRect(x, y, w, h);
    this.g.globalAlpha = 1;
  }
  strokeRect(x: number, y: number, w: number, h: number, stroke: string, width = 1): void {
    this.g.strokeStyle = stroke;
    this.g.lineWidth = width;
    this.g.strokeRect(x, y, w, h);
  }
  lines(seg: number[], stroke: string, alpha: number, width = 1): void {
    if (seg.length === 0) return;
    const g = this.g;
    g.globalAlpha = alpha;
    g.strokeStyle = stroke;
    g.lineWidth = width;
    g.beginPath();
    for (let i = 0; i < seg.length; i += 4) {
      g.moveTo(seg[i], seg[i + 1]);
      g.lineTo(seg[i + 2], seg[i + 3]);
    }
    g.stroke();
    g.globalAlpha = 1;
  }
  circle(x: number, y: number, r: number, fill: string, alpha = 1): void {
    this.g.globalAlpha = alpha;
    this.g.fillStyle = fill;
    this.g.beginPath();
    this.g.arc(x, y, r, 0, Math.PI * 2);
    this.g.fill();
    this.g.globalAlpha = 1;
  }
  text(x: number, y: number, s: string, st: TextStyle = {}): void {
    const g = this.g;
    g.save();
    g.font = `${st.weight ?? "normal"} ${st.size ?? 12}px ${st.mono ? MONO : FONT}`;
    g.fillStyle = st.colour ?? "#000";
    g.textAlign = st.align ?? "left";
    g.textBaseline = st.baseline ?? "middle";
    g.translate(x, y);
    if (st.rotate) g.rotate((st.rotate * Math.PI) / 180);
    g.fillText(s, 0, 0);
    g.restore();
  }
  image(x: number, y: number, w: number, h: number, source: HTMLCanvasElement): void {
    this.g.imageSmoothingEnabled = source.width > w;
    this.g.drawImage(source, x, y, w, h);
  }
}

export class SvgPainter implements Painter {
  private parts: string[] = [];
  constructor(
    private readonly width: number,
    private readonly height: number,
    private readonly background: string,
  ) {}
  rect(x: number, y: number, w: number, h: number, fill: string, alpha = 1): void {
    this.parts.push(
      `<rect x="${r(x)}" y="${r(y)}" width="${r(w)}" height="${r(h)}" fill="${fill}"${alpha < 1 ? ` fill-opacity="${r(alpha)}"` : ""}/>`,
    );
  }
  strokeRect(x: number, y: number, w: number, h: number, stroke: string, width = 1): void {
    this.parts.push(
      `<rect x="${r(x)}" y="${r(y)}" width="${r(w)}" height="${r(h)}" fill="none" stroke="${stroke}" stroke-width="${width}"/>`,
    );
  }
  lines(seg: number[], stroke: string, alpha: number, width = 1): void {
    if (seg.length === 0) return;
    let d = "";
    for (let i = 0; i < seg.length; i += 4) d += `M${r(seg[i])} ${r(seg[i + 1])}L${r(seg[i + 2])} ${r(seg[i + 3])}`;
    this.parts.push(`<path d="${d}" stroke="${stroke}" stroke-opacity="${r(alpha)}" stroke-width="${width}" fill="none"/>`);
  }
  circle(x: number, y: number, rad: number, fill: string, alpha = 1): void {
    this.parts.push(`<circle cx="${r(x)}" cy="${r(y)}" r="${r(rad)}" fill="${fill}" fill-opacity="${r(alpha)}"/>`);
  }
  text(x: number, y: number, s: string, st: TextStyle = {}): void {
    const anchor = st.align === "right" || st.align === "end" ? "end" : st.align === "center" ? "middle" : "start";
    const base = st.baseline === "top" ? "hanging" : st.baseline === "bottom" ? "text-after-edge" : "central";
    const rot = st.rotate ? ` transform="rotate(${st.rotate} ${r(x)} ${r(y)})"` : "";
    this.parts.push(
      `<text x="${r(x)}" y="${r(y)}" font-size="${st.size ?? 12}" font-family="${st.mono ? MONO : FONT}" ` +
        `fill="${st.colour ?? "#000"}" text-anchor="${anchor}" dominant-baseline="${base}"${st.weight ? ` font-weight="${st.weight}"` : ""}${rot}>${escapeXml(s)}</text>`,
    );
  }
  image(x: number, y: number, w: number, h: number, source: HTMLCanvasElement): void {
    this.parts.push(
      `<image x="${r(x)}" y="${r(y)}" width="${r(w)}" height="${r(h)}" preserveAspectRatio="none" ` +
        `style="image-rendering:pixelated" href="${source.toDataURL("image/png")}"/>`,
    );
  }
  toString(): string {
    return (
      `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="${this.width}" height="${this.height}" ` +
      `viewBox="0 0 ${this.width} ${this.height}"><rect width="100%" height="100%" fill="${this.background}"/>${this.parts.join("")}</svg>\n`
    );
  }
}

function r(v: number): string {
  return String(Math.round(v * 100) / 100);
}
