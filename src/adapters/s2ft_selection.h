// S2FT's selection (METHODS.md A8; Infini-AI-Lab/S2FT experiments/utils/s2_utils.py): which
// attention units and FFN channels of each decoder layer train, and the order π per layer that
// puts them into one contiguous block.
//
// Attention is selected and permuted in KV groups: a group is one key/value head and the
// Hq / Hkv query heads that share it (with as many KV heads as query heads, a group is one
// head). Permuting q heads alone would pair them with other heads' keys, so whole groups move:
// the group's q rows, k rows and v rows and its o_proj input columns together.
//
//   o: groups whose o_proj input columns train (Hq / Hkv * D columns each)
//   v: groups whose v_proj output rows train (D rows each: the group's one value head)
//   d: FFN channels whose down_proj input column trains
//   u: FFN channels whose up_proj output row trains (gate_proj's rows move with them, frozen)
//
// Counts are drawn globally, as the released scripts do: round(ratio * L * units) units out of
// all L * units of the model, uniformly without replacement from Rng(seed) (core/rng.h), so the
// per-layer counts vary. o_ratio and v_ratio count groups (o_ratio of all heads is the same share
// of all groups), d_ratio and u_ratio channels. Each draw (o, v, d, u) uses its own stream.
//
// Per layer π lists the units in the paper's order [v-only, v∩o, o-only, rest] (groups) and
// [u-only, u∩d, d-only, rest] (channels), each part in increasing index order: position p of the
// permuted layer holds original unit order[p].
#pragma once

#include <cstdint>
#include <vector>

#include "model/model_config.h"

namespace retune::adapters {

struct S2ftOptions {
  double o_ratio = 0.052;  // share of all heads (in groups) whose o_proj columns train
  double d_ratio = 0.02;   // share of all FFN channels whose down_proj columns train
  double v_ratio = 0.0;    // share of all groups whose v_proj rows train
  double u_ratio = 0.0;    // share of all FFN channels whose up_proj rows train
  uint64_t seed = 0;
};

// One decoder layer's selection, in permuted positions.
struct S2ftLayer {
  std::vector<int64_t> group_order;    // π over the Hkv groups
  std::vector<int64_t> channel_order;  // π over the F channels
  int64_t v_groups = 0;                // v_proj trains groups [0, v_groups)
  int64_t o_begin = 0, o_end = 0;      // o_proj trains groups [o_begin, o_end)
  int64_t u_channels = 0;              // up_proj trains channels [0, u_channels)
  int64_t d_begin = 0, d_end = 0;      // down_proj trains channels [d_begin, d_end)
};

// The selection of every decoder layer. Throws retune::Error naming the option for a ratio
// outside [0, 1] and naming the config field for heads that do not divide into groups.
std::vector<S2ftLayer> select_s2ft(const model::ModelConfig& config, const S2ftOptions& options);

// The inverse order: inverse[order[p]] = p.
std::vector<int64_t> inverse_order(const std::vector<int64_t>& order);

}  // namespace retune::adapters
