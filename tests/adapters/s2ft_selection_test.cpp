// S2FT's selection: global counts, the [v-only, v∩o, o-only, rest] order per layer, and the
// errors for ratios outside [0, 1] and heads that do not divide into KV groups.
#include "adapters/s2ft_selection.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "support/error_of.h"

namespace retune::adapters {
namespace {

model::ModelConfig config_of(int64_t layers, int64_t heads, int64_t kv_heads, int64_t channels) {
  model::ModelConfig config;
  config.num_hidden_layers = layers;
  config.num_attention_heads = heads;
  config.num_key_value_heads = kv_heads;
  config.head_dim = 8;
  config.hidden_size = heads * 8;
  config.intermediate_size = channels;
  return config;
}

bool is_permutation(std::vector<int64_t> order) {
  std::sort(order.begin(), order.end());
  for (size_t i = 0; i < order.size(); ++i) {
    if (order[i] != static_cast<int64_t>(i)) return false;
  }
  return true;
}

TEST(S2ftSelection, DrawsTheRatiosGloballyAndOrdersEachLayer) {
  const model::ModelConfig config = config_of(6, 8, 4, 50);
  const S2ftOptions options{
      .o_ratio = 0.25, .d_ratio = 0.1, .v_ratio = 0.5, .u_ratio = 0.2, .seed = 7};
  const std::vector<S2ftLayer> layers = select_s2ft(config, options);
  ASSERT_EQ(layers.size(), 6u);
  int64_t o = 0, v = 0, d = 0, u = 0;
  bool counts_vary = false;
  for (const S2ftLayer& layer : layers) {
    ASSERT_EQ(layer.group_order.size(), 4u);
    ASSERT_EQ(layer.channel_order.size(), 50u);
    EXPECT_TRUE(is_permutation(layer.group_order));
    EXPECT_TRUE(is_permutation(layer.channel_order));
    EXPECT_LE(layer.o_begin, layer.v_groups);
    EXPECT_GE(layer.o_end, layer.v_groups);
    EXPECT_LE(layer.d_begin, layer.u_channels);
    EXPECT_GE(layer.d_end, layer.u_channels);
    o += layer.o_end - layer.o_begin;
    v += layer.v_groups;
    d += layer.d_end - layer.d_begin;
    u += layer.u_channels;
    counts_vary = counts_vary || layer.d_end - layer.d_begin != layers[0].d_end - layers[0].d_begin;
    // Each part of the order ascends: [v-only, v∩o, o-only, rest].
    const auto ascends = [](const std::vector<int64_t>& order, int64_t begin, int64_t end) {
      return std::is_sorted(order.begin() + begin, order.begin() + end);
    };
    EXPECT_TRUE(ascends(layer.group_order, 0, layer.o_begin));
    EXPECT_TRUE(ascends(layer.group_order, layer.o_begin, layer.v_groups));
    EXPECT_TRUE(ascends(layer.group_order, layer.v_groups, layer.o_end));
    EXPECT_TRUE(ascends(layer.group_order, layer.o_end, 4));
    EXPECT_TRUE(ascends(layer.channel_order, layer.d_end, 50));
  }
  EXPECT_EQ(o, 6);   // round(0.25 * 6 * 4)
  EXPECT_EQ(v, 12);  // round(0.5 * 6 * 4)
  EXPECT_EQ(d, 30);  // round(0.1 * 6 * 50)
  EXPECT_EQ(u, 60);  // round(0.2 * 6 * 50)
  EXPECT_TRUE(counts_vary);
  // The same seed draws the same selection; another seed another one.
  const std::vector<S2ftLayer> again = select_s2ft(config, options);
  S2ftOptions other = options;
  other.seed = 8;
  const std::vector<S2ftLayer> different = select_s2ft(config, other);
  bool same = true, differs = false;
  for (size_t l = 0; l < layers.size(); ++l) {
    same = same && again[l].channel_order == layers[l].channel_order &&
           again[l].group_order == layers[l].group_order;
    differs = differs || different[l].channel_order != layers[l].channel_order;
  }
  EXPECT_TRUE(same);
  EXPECT_TRUE(differs);
}

TEST(S2ftSelection, InverseOrderUndoesTheOrder) {
  const std::vector<int64_t> order = {2, 0, 3, 1};
  const std::vector<int64_t> inverse = inverse_order(order);
  for (size_t p = 0; p < order.size(); ++p) {
    EXPECT_EQ(inverse[static_cast<size_t>(order[p])], static_cast<int64_t>(p));
  }
}

TEST(S2ftSelection, RejectsRatiosOutsideTheUnitInterval) {
  const model::ModelConfig config = config_of(2, 4, 2, 16);
  EXPECT_NE(error_of([&] {
              select_s2ft(config, {.o_ratio = 1.5});
            }).find("s2ft.o_ratio is 1.5, expected a share in [0, 1]"),
            std::string::npos);
  EXPECT_NE(error_of([&] { select_s2ft(config, {.d_ratio = -0.1}); }).find("s2ft.d_ratio"),
            std::string::npos);
  EXPECT_NE(error_of([&] { select_s2ft(config, {.v_ratio = 2}); }).find("s2ft.v_ratio"),
            std::string::npos);
  EXPECT_NE(error_of([&] { select_s2ft(config, {.u_ratio = -1}); }).find("s2ft.u_ratio"),
            std::string::npos);
}

TEST(S2ftSelection, RejectsHeadsThatDoNotDivideIntoGroups) {
  EXPECT_NE(error_of([&] {
              select_s2ft(config_of(2, 6, 4, 16), {});
            }).find("num_attention_heads 6 does not divide into num_key_value_heads 4 groups"),
            std::string::npos);
  EXPECT_NE(error_of([&] { select_s2ft(config_of(2, 4, 0, 16), {}); }).find("num_key_value_heads"),
            std::string::npos);
}

}  // namespace
}  // namespace retune::adapters
