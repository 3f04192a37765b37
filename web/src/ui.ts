// Small DOM helpers shared by the views.
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  children: (Node | string)[] = [],
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") e.textContent = v;
    else if (k === "class") e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

// The explorer has one #tooltip; a notebook output brings its own (several outputs share one page).
let tooltipBox: HTMLElement | null = null;

export function setTooltipElement(e: HTMLElement): void {
  tooltipBox = e;
}

export function tooltip(text: string | null, x = 0, y = 0): void {
  const t = tooltipBox ?? (document.getElementById("tooltip") as HTMLElement);
  if (text === null) {
    t.hidden = true;
    return;
  }
  t.textContent = text;
  t.hidden = false;
  const w = t.offsetWidth,
    h = t.offsetHeight;
  t.style.left = `${Math.min(window.innerWidth - w - 4, x + 14)}px`;
  t.style.top = `${Math.min(window.innerHeight - h - 4, y + 14)}px`;
}

// A canvas sized for the device pixel ratio; drawing uses CSS pixels.
export function hiDpiCanvas(width: number, height: number, cls = "view"): HTMLCanvasElement {
  const c = el("canvas", { class: cls });
  sizeCanvas(c, width, height);
  return c;
}

export function sizeCanvas(c: HTMLCanvasElement, width: number, height: number): CanvasRenderingContext2D {
  const r = Math.min(2, window.devicePixelRatio || 1);
  c.width = Math.max(1, Math.round(width * r));
  c.height = Math.max(1, Math.round(height * r));
  c.style.width = `${width}px`;
  c.style.height = `${height}px`;
  const ctx = c.getContext("2d") as CanvasRenderingContext2D;
  ctx.setTransform(r, 0, 0, r, 0, 0);
  return ctx;
}

export function select(options: [string, string][], value: string, onChange: (v: string) => void, label: string): HTMLElement {
  const s = el("select", { "aria-label": label });
  for (const [v, text] of options) {
    const o = el("option", { value: v, text });
    if (v === value) o.selected = true;
    s.append(o);
  }
  s.addEventListener("change", () => onChange(s.value));
  return el("label", {}, [label + " ", s]);
}

export function checkbox(checked: boolean, onChange: (v: boolean) => void, label: string, id: string): HTMLElement {
  const c = el("input", { type: "checkbox", id });
  c.checked = checked;
  c.addEventListener("change", () => onChange(c.checked));
  return el("label", {}, [c, " " + label]);
}

export function download(name: string, blob: Blob): void {
  const a = el("a", { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  setTimeout(() => {
    URL.revokeObjectURL(a.href);
    a.remove();
  }, 1000);
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
