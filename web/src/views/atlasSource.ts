// Where the atlas's computed panels come from. `serve`: the server's routes. A notebook output
// (attnscope.atlas): the answers it embeds, computed by the library when the cell ran. The live widget
// (attnscope.explore): the kernel, asked over the widget's message channel. Re-running the model (ablation,
// the counterfactual) needs a server or a kernel, so an embedded source has neither.
import { decodeFloats, postJson } from "../api";
import type * as schema from "../schema";
import type { Ctx } from "./view";

export type HeadMap = Pick<schema.HeadMapAnswer, "heads" | "stress">;
// What the rollout panel draws: each token's share in [CLS] after the last layer, by rollout and by flow
// (flow: null past the library's 64-token limit). The full [L, n, n] rollout stays with the server or kernel.
export interface ToCls {
  layers: number;
  n: number;
  rollout: Float32Array;
  flow: Float32Array | null;
}
// The embedded and kernel form of ToCls: little-endian float32 as base64.
export interface ToClsWire {
  layers: number;
  n: number;
  rollout_cls_b64: string;
  flow_cls_b64?: string | null;
}
export type NormsWire = Pick<schema.NormsAnswer, "heads">;
export type Body = Record<string, unknown>;

export interface AtlasSource {
  headMap(body: Body): Promise<HeadMap>;
  rollout(body: Body): Promise<ToCls>;
  norms(body: Body): Promise<NormsWire>;
  ablate?(body: Body): Promise<schema.AblateAnswer>;
  diff?(body: Body): Promise<schema.DiffAnswer>;
}

export const serverSource: AtlasSource = {
  headMap: (body) => postJson<HeadMap>("api/headmap", body),
  rollout: async (body) => {
    const r = await postJson<Pick<schema.RolloutAnswer, "layers" | "n" | "rollout_b64" | "flow_b64">>("api/rollout", body);
    const last = (r.layers - 1) * r.n * r.n; // row 0 ([CLS]) after the last layer
    return {
      layers: r.layers,
      n: r.n,
      rollout: decodeFloats(r.rollout_b64).slice(last, last + r.n),
      flow: r.flow_b64 ? decodeFloats(r.flow_b64).slice(0, r.n) : null,
    };
  },
  norms: (body) => postJson<NormsWire>("api/norms", body),
  ablate: (body) => postJson<schema.AblateAnswer>("api/ablate", body),
  diff: (body) => postJson<schema.DiffAnswer>("api/diff", body),
};

// What a notebook output embeds for its atlas (python/attnscope/views: the library's schema documents).
export interface EmbeddedAtlas {
  head_map: HeadMap;
  rollout: ToClsWire;
  norms: NormsWire | null;
}

export function toCls(w: ToClsWire): ToCls {
  return {
    layers: w.layers,
    n: w.n,
    rollout: decodeFloats(w.rollout_cls_b64),
    flow: w.flow_cls_b64 ? decodeFloats(w.flow_cls_b64) : null,
  };
}

export function embeddedSource(e: EmbeddedAtlas): AtlasSource {
  const missing = (what: string) => Promise.reject(new Error(`this output holds no ${what}`));
  return {
    headMap: () => Promise.resolve(e.head_map),
    rollout: () => Promise.resolve(toCls(e.rollout)),
    norms: () => (e.norms ? Promise.resolve(e.norms) : missing("norms (run the model with output_qkv=True)")),
  };
}

// The page's source: its own, else the server's unless this is an offline export with nothing to ask.
export function atlasSource(ctx: Ctx): AtlasSource | null {
  return ctx.atlas ?? (ctx.staticMode ? null : serverSource);
}
