// The page state, kept in the URL so that a link reopens the same view: texts, view, layer, head,
// selected heads, filters and toggles.
export type ViewName = "model" | "head" | "detail" | "neuron" | "stats" | "atlas";
export type PairFilter = "all" | "aa" | "bb" | "ab" | "ba";

export interface AppState {
  text: string;
  pair: string;
  pairOn: boolean;
  truncate: boolean; // cut inputs longer than the model's maximum instead of refusing them
  view: ViewName;
  layer: number;
  head: number;
  heads: number[] | null; // the head view's selected heads; null = all
  filter: PairFilter;
  theme: "light" | "dark";
  hideSpecial: boolean;
  words: boolean;
  token: number; // the neuron view's query token
  stat: string; // the statistic drawn as an L × H heatmap
  sort: string; // the statistics table's sort column ("-" prefix: descending)
}

export const DEFAULT_TEXT = "The output shows the attention values";

export function defaultState(): AppState {
  return {
    text: DEFAULT_TEXT,
    pair: "",
    pairOn: false,
    truncate: false,
    view: "model",
    layer: 0,
    head: 0,
    heads: null,
    filter: "all",
    theme: window.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light",
    hideSpecial: false,
    words: false,
    token: 1,
    stat: "entropy",
    sort: "-entropy",
  };
}

const VIEWS: ViewName[] = ["model", "head", "detail", "neuron", "stats", "atlas"];
const FILTERS: PairFilter[] = ["all", "aa", "bb", "ab", "ba"];

export function readUrl(search: string): AppState {
  const s = defaultState();
  const p = new URLSearchParams(search);
  const int = (k: string, d: number) => {
    const v = Number.parseInt(p.get(k) ?? "", 10);
    return Number.isFinite(v) && v >= 0 ? v : d;
  };
  if (p.has("text")) s.text = p.get("text") ?? "";
  if (p.has("pair")) {
    s.pair = p.get("pair") ?? "";
    s.pairOn = true;
  }
  s.truncate = p.get("truncate") === "1";
  const view = p.get("view") as ViewName;
  if (VIEWS.includes(view)) s.view = view;
  s.layer = int("layer", 0);
  s.head = int("head", 0);
  if (p.has("heads"))
    s.heads = (p.get("heads") ?? "")
      .split(",")
      .filter((x) => x !== "")
      .map(Number)
      .filter(Number.isFinite);
  const filter = p.get("filter") as PairFilter;
  if (FILTERS.includes(filter)) s.filter = filter;
  if (p.get("theme") === "dark" || p.get("theme") === "light") s.theme = p.get("theme") as "dark" | "light";
  s.hideSpecial = p.get("hide") === "1";
  s.words = p.get("words") === "1";
  s.token = int("token", 1);
  if (p.has("stat")) s.stat = p.get("stat") ?? s.stat;
  if (p.has("sort")) s.sort = p.get("sort") ?? s.sort;
  return s;
}

export function writeUrl(s: AppState): string {
  const p = new URLSearchParams();
  p.set("text", s.text);
  if (s.pairOn) p.set("pair", s.pair);
  if (s.truncate) p.set("truncate", "1");
  p.set("view", s.view);
  p.set("layer", String(s.layer));
  p.set("head", String(s.head));
  if (s.heads) p.set("heads", s.heads.join(","));
  if (s.filter !== "all") p.set("filter", s.filter);
  p.set("theme", s.theme);
  if (s.hideSpecial) p.set("hide", "1");
  if (s.words) p.set("words", "1");
  if (s.view === "neuron") p.set("token", String(s.token));
  if (s.view === "stats") {
    p.set("stat", s.stat);
    p.set("sort", s.sort);
  }
  return "?" + p.toString();
}
