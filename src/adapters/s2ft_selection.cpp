#include "adapters/s2ft_selection.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/error.h"
#include "core/rng.h"

namespace retune::adapters {
namespace {

void check_ratio(const char* name, double ratio) {
  RETUNE_CHECK(std::isfinite(ratio) && ratio >= 0 && ratio <= 1,
               "s2ft.{} is {}, expected a share in [0, 1]", name, ratio);
}

// round(ratio * layers * units) of the layers * units units, drawn without replacement by a
// partial Fisher-Yates shuffle; chosen[l][u] for unit u of layer l.
std::vector<std::vector<bool>> draw(double ratio, int64_t layers, int64_t units, uint64_t seed) {
  const int64_t total = layers * units;
  const auto count = std::min<int64_t>(
      total, static_cast<int64_t>(std::llround(ratio * static_cast<double>(total))));
  std::vector<int64_t> pool(static_cast<size_t>(total));
  for (int64_t i = 0; i < total; ++i) pool[static_cast<size_t>(i)] = i;
  Rng rng(seed);
  std::vector<std::vector<bool>> chosen(static_cast<size_t>(layers),
                                        std::vector<bool>(static_cast<size_t>(units), false));
  for (int64_t i = 0; i < count; ++i) {
    const auto j = i + static_cast<int64_t>(rng.next_u64() % static_cast<uint64_t>(total - i));
    std::swap(pool[static_cast<size_t>(i)], pool[static_cast<size_t>(j)]);
    const int64_t unit = pool[static_cast<size_t>(i)];
    chosen[static_cast<size_t>(unit / units)][static_cast<size_t>(unit % units)] = true;
  }
  return chosen;
}

struct Ordered {
  std::vector<int64_t> order;
  int64_t first_only = 0;  // |first-only|
  int64_t both = 0;        // |first ∩ second|
  int64_t second_only = 0;
};

// [first-only, both, second-only, rest], each in increasing index order.
Ordered order_units(const std::vector<bool>& first, const std::vector<bool>& second) {
  Ordered out;
  const auto units = static_cast<int64_t>(first.size());
  const auto append = [&](bool in_first, bool in_second) {
    int64_t n = 0;
    for (int64_t u = 0; u < units; ++u) {
      if (first[static_cast<size_t>(u)] == in_first &&
          second[static_cast<size_t>(u)] == in_second) {
        out.order.push_back(u);
        ++n;
      }
    }
    return n;
  };
  out.first_only = append(true, false);
  out.both = append(true, true);
  out.second_only = append(false, true);
  append(false, false);
  return out;
}

}  // namespace

std::vector<S2ftLayer> select_s2ft(const model::ModelConfig& config, const S2ftOptions& options) {
  check_ratio("o_ratio", options.o_ratio);
  check_ratio("d_ratio", options.d_ratio);
  check_ratio("v_ratio", options.v_ratio);
  check_ratio("u_ratio", options.u_ratio);
  const int64_t heads = config.num_attention_heads, kv_heads = config.num_key_value_heads;
  RETUNE_CHECK(heads >= 1 && kv_heads >= 1 && heads % kv_heads == 0,
               "s2ft: num_attention_heads {} does not divide into num_key_value_heads {} groups",
               heads, kv_heads);
  RETUNE_CHECK(config.head_dim >= 1 && config.intermediate_size >= 1,
               "s2ft: the model has head_dim {} and intermediate_size {}, expected both >= 1",
               config.head_dim, config.intermediate_size);
  const int64_t layers = config.num_hidden_layers;
  const int64_t channels = config.intermediate_size;
  const auto o = draw(options.o_ratio, layers, kv_heads, options.seed);
  const auto v = draw(options.v_ratio, layers, kv_heads, options.seed + 1);
  const auto d = draw(options.d_ratio, layers, channels, options.seed + 2);
  const auto u = draw(options.u_ratio, layers, channels, options.seed + 3);
  std::vector<S2ftLayer> selection(static_cast<size_t>(layers));
  for (size_t l = 0; l < selection.size(); ++l) {
    S2ftLayer& layer = selection[l];
    Ordered groups = order_units(v[l], o[l]);
    layer.group_order = std::move(groups.order);
    layer.v_groups = groups.first_only + groups.both;
    layer.o_begin = groups.first_only;
    layer.o_end = layer.v_groups + groups.second_only;
    Ordered ffn = order_units(u[l], d[l]);
    layer.channel_order = std::move(ffn.order);
    layer.u_channels = ffn.first_only + ffn.both;
    layer.d_begin = ffn.first_only;
    layer.d_end = layer.u_channels + ffn.second_only;
  }
  return selection;
}

std::vector<int64_t> inverse_order(const std::vector<int64_t>& order) {
  std::vector<int64_t> inverse(order.size());
  for (size_t p = 0; p < order.size(); ++p) {
    inverse[static_cast<size_t>(order[p])] = static_cast<int64_t>(p);
  }
  return inverse;
}

}  // namespace retune::adapters
