// What every view gets from the page, and what it offers back (drawing and export).
import type { Analysis } from "../data";
import type { Painter } from "../painter";
import type { AppState } from "../state";
import type { AtlasSource } from "./atlasSource";

export interface Ctx {
  state: AppState;
  analysis: Analysis | null;
  root: HTMLElement;
  staticMode: boolean; // an offline HTML export: no server to ask
  atlas?: AtlasSource; // where the atlas's computed panels come from, when not the server
  modelName: string;
  set(patch: Partial<AppState>): void;
  openHead(layer: number, head: number): void;
  requestBody(): { text: string; pair: string | null; truncate: boolean };
}

export interface View {
  // Builds the view's DOM for the current state and analysis.
  render(ctx: Ctx): void;
  // A new layer's attentions arrived (the view may draw just that part).
  onLayer?(ctx: Ctx, layer: number): void;
  // A layer's thumbnails arrived (a long display stream sends them all before the layers' values).
  onThumbnails?(ctx: Ctx, layer: number): void;
  // Statistics arrived.
  onStats?(ctx: Ctx): void;
  // The picture for export, at its natural size: draws through the painter.
  paint?(ctx: Ctx, p: Painter): { width: number; height: number } | null;
  size?(ctx: Ctx): { width: number; height: number } | null;
}
