// The library's JSON schema (docs/formats.md, version 1) as the web app receives it from the HTTP API:
// float arrays as NAME_b64 (little-endian float32, row-major). tests/web/test_schema_types.py type-checks
// real server answers against these declarations, so a field the library renames or drops fails a test
// here instead of leaving a view blank.

export interface ModelInfo {
  name: string;
  resolved_by: string;
  family: string;
  layers: number;
  heads: number;
  hidden_size: number;
  head_dim: number;
  intermediate_size: number;
  vocab_size: number;
  max_length: number;
  has_mlm_head: boolean;
  weight_storage: string;
  parameters: number;
}

export interface Encoding {
  tokens: string[];
  input_ids: number[];
  token_type_ids: number[];
  attention_mask: number[];
  offsets: number[][];
  byte_offsets: number[][];
  special_tokens_mask: number[];
  sentence_b_start: number | null;
}

export interface PatternFeatures {
  vertical: number;
  diagonal: number;
  block: number;
  block_uniform: number;
}

// One head's statistics: every key of `statistics` holds a number (docs/analyses.md).
export interface HeadStat {
  layer: number;
  head: number;
  pattern: string;
  pattern_features: PatternFeatures;
  map_colour: string;
  [statistic: string]: number | string | PatternFeatures;
}

export interface Stats {
  schema_version: number;
  heads: HeadStat[];
  statistics: { key: string; label: string; unit: string }[];
  uniform_entropy: number;
}

export interface AnalyzeAnswer {
  schema_version: number;
  model: ModelInfo;
  encoding: Encoding;
  shape: number[]; // [L, H, n, n]
  attentions_b64: string;
  stats: Stats;
}

export interface NeuronAnswer {
  schema_version: number;
  tokens: string[];
  layer: number;
  head: number;
  head_dim: number;
  n: number;
  scale: number;
  queries_b64: string;
  keys_b64: string;
  scores_b64: string;
  attention_b64: string;
}

export interface RolloutAnswer {
  schema_version: number;
  encoding: Encoding;
  layers: number;
  n: number;
  rollout_b64: string;
  flow_layer?: number;
  flow_b64?: string;
}

export interface HeadNormsEntry {
  layer: number;
  head: number;
  special_attention_share: number;
  special_norm_share: number;
  spearman: number;
}

export interface NormsAnswer {
  schema_version: number;
  encoding: Encoding;
  layers: number;
  heads_per_layer: number;
  n: number;
  heads: HeadNormsEntry[];
  value_norms_b64: string;
}

export interface HeadMapAnswer {
  schema_version: number;
  heads: { layer: number; head: number; x: number; y: number; colour: string }[];
  stress: number;
}

export interface DiffAnswer {
  schema_version: number;
  change: string;
  a: Encoding;
  b: Encoding;
  aligned_tokens: number;
  heads: { layer: number; head: number; js_divergence: number }[];
}

export interface MaskPrediction {
  position: number;
  top: { token: string; id: number; probability: number }[];
}

export interface AblateAnswer {
  schema_version: number;
  encoding: Encoding;
  ablation: string;
  heads: string;
  hidden_state_change: number[];
  predictions?: MaskPrediction[];
  ablated_predictions?: MaskPrediction[];
}
