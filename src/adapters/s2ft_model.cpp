#include "adapters/s2ft_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <utility>

#include "core/error.h"
#include "model/trainable_weights.h"

namespace retune::adapters {
namespace {

std::string layer_prefix(size_t layer) {
  return "model.layers." + std::to_string(layer) + ".";
}

bool is_identity(const std::vector<int64_t>& order) {
  for (size_t p = 0; p < order.size(); ++p) {
    if (order[p] != static_cast<int64_t>(p)) return false;
  }
  return true;
}

// Position p of the result holds unit order[p] (units of `unit` indices along `dim`) of w.
Tensor permuted(const Tensor& w, int dim, const std::vector<int64_t>& order, int64_t unit) {
  const Tensor source = w.dtype() == DType::f32 ? w : w.to(DType::f32);
  const Tensor out = Tensor::empty(w.shape(), DType::f32);
  for (size_t p = 0; p < order.size(); ++p) {
    const auto to = static_cast<int64_t>(p) * unit, from = order[p] * unit;
    out.slice(dim, to, to + unit).copy_from(source.slice(dim, from, from + unit));
  }
  return out;
}

class Weights {
 public:
  explicit Weights(model::CausalLm& model) : model_(model) {
    for (auto& [name, w] : model::named_weights(model)) by_name_.emplace(name, w);
  }
  bool has(const std::string& name) const { return by_name_.contains(name); }
  const Tensor& at(const std::string& name) const {
    const auto found = by_name_.find(name);
    RETUNE_CHECK(found != by_name_.end(), "s2ft: the model has no weight {}", name);
    return found->second;
  }
  // Permutes `name` (if the model has it: biases are optional) along `dim`.
  void permute(const std::string& name, int dim, const std::vector<int64_t>& order, int64_t unit) {
    if (!has(name)) return;
    model::set_weight(model_, name, permuted(at(name), dim, order, unit));
  }

 private:
  model::CausalLm& model_;
  std::map<std::string, Tensor> by_name_;
};

// Indices of the base weight for permuted positions [begin, end) in units of `unit`.
std::vector<int64_t> base_indices(const std::vector<int64_t>& order, int64_t unit, int64_t begin,
                                  int64_t end) {
  std::vector<int64_t> indices;
  for (int64_t p = begin * unit; p < end * unit; ++p) {
    indices.push_back(order[static_cast<size_t>(p / unit)] * unit + p % unit);
  }
  return indices;
}

}  // namespace

void permute_s2ft(model::CausalLm& model, const std::vector<S2ftLayer>& selection, bool inverse) {
  const model::ModelConfig& config = model.config();
  const int64_t d = config.head_dim;
  const int64_t group = config.num_attention_heads / config.num_key_value_heads * d;
  Weights weights(model);
  for (size_t l = 0; l < selection.size(); ++l) {
    const std::string prefix = layer_prefix(l);
    const std::vector<int64_t>& groups = selection[l].group_order;
    if (!is_identity(groups)) {
      const std::vector<int64_t> order = inverse ? inverse_order(groups) : groups;
      for (const char* part : {"weight", "bias"}) {
        weights.permute(prefix + "self_attn.q_proj." + part, 0, order, group);
        weights.permute(prefix + "self_attn.k_proj." + part, 0, order, d);
        weights.permute(prefix + "self_attn.v_proj." + part, 0, order, d);
      }
      weights.permute(prefix + "self_attn.o_proj.weight", 1, order, group);
    }
    const std::vector<int64_t>& channels = selection[l].channel_order;
    if (!is_identity(channels)) {
      const std::vector<int64_t> order = inverse ? inverse_order(channels) : channels;
      for (const char* part : {"weight", "bias"}) {
        weights.permute(prefix + "mlp.gate_proj." + part, 0, order, 1);
        weights.permute(prefix + "mlp.up_proj." + part, 0, order, 1);
      }
      weights.permute(prefix + "mlp.down_proj.weight", 1, order, 1);
    }
  }
}

S2ftModel S2ftModel::attach(model::CausalLm& model, const S2ftOptions& options) {
  const model::ModelConfig& config = model.config();
  RETUNE_CHECK(config.architecture != model::Architecture::gpt2,
               "s2ft: {} models have no separate q/k/v/o and gate/up/down projections; s2ft "
               "needs the Llama family (Llama, Qwen2, Qwen3)",
               model::architecture_name(config.architecture));
  S2ftModel s2ft;
  s2ft.selection_ = select_s2ft(config, options);
  permute_s2ft(model, s2ft.selection_, false);

  std::map<std::string, model::LinearSite> sites;
  for (model::LinearSite& site : model.linear_sites()) sites.emplace(site.name, site);
  const int64_t d = config.head_dim;
  const int64_t group = config.num_attention_heads / config.num_key_value_heads * d;
  for (size_t l = 0; l < s2ft.selection_.size(); ++l) {
    const S2ftLayer& layer = s2ft.selection_[l];
    const std::string prefix = layer_prefix(l);
    const auto add = [&](const std::string& module, S2ftAxis axis,
                         const std::vector<int64_t>& order, int64_t unit, int64_t begin,
                         int64_t end) {
      if (begin == end) return;
      const auto found = sites.find(prefix + module);
      RETUNE_CHECK(found != sites.end(), "s2ft: the model has no linear {}", prefix + module);
      const model::LinearSite& site = found->second;
      auto block = std::make_shared<S2ftBlock>(site.out_features(), site.in_features(), axis,
                                               begin * unit, end * unit);
      site.attach(block);
      s2ft.modules_.push_back({.name = site.name,
                               .base_indices = base_indices(order, unit, begin, end),
                               .weight_shape = {site.out_features(), site.in_features()},
                               .block = std::move(block)});
    };
    add("self_attn.v_proj", S2ftAxis::rows, layer.group_order, d, 0, layer.v_groups);
    add("self_attn.o_proj", S2ftAxis::columns, layer.group_order, group, layer.o_begin,
        layer.o_end);
    add("mlp.up_proj", S2ftAxis::rows, layer.channel_order, 1, 0, layer.u_channels);
    add("mlp.down_proj", S2ftAxis::columns, layer.channel_order, 1, layer.d_begin, layer.d_end);
  }
  RETUNE_CHECK(!s2ft.modules_.empty(),
               "s2ft: s2ft.o_ratio {}, s2ft.v_ratio {}, s2ft.d_ratio {} and s2ft.u_ratio {} select "
               "no head group and no FFN channel of the model's {} layers: nothing would train",
               options.o_ratio, options.v_ratio, options.d_ratio, options.u_ratio,
               config.num_hidden_layers);
  return s2ft;
}

std::string S2ftModel::describe() const {
  int64_t o = 0, v = 0, d = 0, u = 0, groups = 0, channels = 0;
  for (const S2ftLayer& layer : selection_) {
    o += layer.o_end - layer.o_begin;
    v += layer.v_groups;
    d += layer.d_end - layer.d_begin;
    u += layer.u_channels;
    groups += static_cast<int64_t>(layer.group_order.size());
    channels += static_cast<int64_t>(layer.channel_order.size());
  }
  return fmt::format(
      "o_proj: {} of {} head groups, v_proj: {}, down_proj: {} of {} FFN channels, up_proj: {}", o,
      groups, v, d, channels, u);
}

std::vector<AdapterParameter> S2ftModel::parameters() const {
  std::vector<AdapterParameter> out;
  for (const S2ftModule& module : modules_) {
    for (AdapterParameter& p : module.block->parameters()) {
      p.name = module.name + "." + p.name;
      out.push_back(std::move(p));
    }
  }
  return out;
}

void S2ftModel::move_to(Device device) {
  for (const S2ftModule& module : modules_) module.block->move_to(device);
}

void S2ftModel::fuse(model::CausalLm& model) {
  std::map<std::string, model::LinearSite> sites;
  for (model::LinearSite& site : model.linear_sites()) sites.emplace(site.name, site);
  for (const S2ftModule& module : modules_) {
    const std::string name = module.name + ".weight";
    Tensor weight = Weights(model).at(name);
    if (weight.dtype() != DType::f32 || !weight.writable()) {
      weight = weight.dtype() == DType::f32 ? weight.clone() : weight.to(DType::f32);
      model::set_weight(model, name, weight);
    }
    module.block->fuse(weight);
    sites.at(module.name).attach(nullptr);
  }
  permute_s2ft(model, selection_, true);
  modules_.clear();
}

std::vector<SparseEntries> S2ftModel::difference() const {
  std::vector<SparseEntries> diff;
  for (const S2ftModule& module : modules_) {
    const S2ftBlock& block = *module.block;
    const int64_t in = module.weight_shape[1];
    const int64_t rows = block.value().size(0), cols = block.value().size(1);
    const float* s = block.value().data<float>();
    std::vector<std::pair<int64_t, float>> entries;
    entries.reserve(static_cast<size_t>(rows * cols));
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < cols; ++c) {
        const int64_t flat = block.axis() == S2ftAxis::columns
                                 ? r * in + module.base_indices[static_cast<size_t>(c)]
                                 : module.base_indices[static_cast<size_t>(r)] * in + c;
        entries.emplace_back(flat, s[r * cols + c]);
      }
    }
    std::sort(entries.begin(), entries.end());
    std::vector<int64_t> indices;
    std::vector<float> values;
    for (const auto& [flat, value] : entries) {
      indices.push_back(flat);
      values.push_back(value);
    }
    const auto k = static_cast<int64_t>(entries.size());
    diff.push_back({.weight = module.name + ".weight",
                    .indices = Tensor::from_vector<int64_t>({k}, DType::i64, indices),
                    .values = Tensor::from_vector<float>({k}, DType::f32, values),
                    .shape = module.weight_shape});
  }
  return diff;
}

}  // namespace retune::adapters
