#include "merge/model_threshold.h"

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <exception>
#include <mutex>
#include <vector>

#include "core/error.h"
#include "merge/sparsify.h"

namespace retune::merge {
namespace {

using Histogram = std::vector<uint64_t>;  // 65536 bins

// The non-base inputs of a planned tensor, in order.
std::vector<size_t> non_base(const PlannedTensor& t) {
  std::vector<size_t> out;
  for (size_t j = 0; j < t.inputs.size(); ++j) {
    if (!t.base || j != *t.base) out.push_back(j);
  }
  return out;
}

// Adds |θ_j − θ₀| of every tensor to each non-base input's histogram: the upper 16 bits of the
// pattern (pass 1), or the lower 16 of the entries whose upper bits equal bins[k] (pass 2).
void histogram_pass(const MergePlan& plan, bool upper, const std::vector<uint32_t>& bins,
                    std::vector<Histogram>& out) {
  std::mutex mutex;
  std::exception_ptr error;
  const auto count = static_cast<int64_t>(plan.tensors.size());
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t i = 0; i < count; ++i) {
    try {
      const PlannedTensor& t = plan.tensors[static_cast<size_t>(i)];
      const std::vector<size_t> others = non_base(t);
      const PlannedInput& base_input = t.inputs[*t.base];
      const std::vector<float> base =
          plan.models[base_input.model]->read(base_input.tensor, plan.dtype);
      std::vector<Histogram> local(others.size(), Histogram(65536, 0));
      for (size_t k = 0; k < others.size(); ++k) {
        const PlannedInput& input = t.inputs[others[k]];
        const std::vector<float> x = plan.models[input.model]->read(input.tensor, plan.dtype);
        for (size_t e = 0; e < x.size(); ++e) {
          const uint32_t bits = std::bit_cast<uint32_t>(std::fabs(x[e] - base[e]));
          if (upper) {
            ++local[k][bits >> 16];
          } else if ((bits >> 16) == bins[k]) {
            ++local[k][bits & 0xffffu];
          }
        }
      }
      const std::lock_guard<std::mutex> lock(mutex);
      for (size_t k = 0; k < others.size(); ++k) {
        for (size_t b = 0; b < 65536; ++b) out[k][b] += local[k][b];
      }
    } catch (...) {
      const std::lock_guard<std::mutex> lock(mutex);
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

// The bin holding the `rank`-th largest entry (1-based) and the rank within it.
std::pair<uint32_t, uint64_t> find_bin(const Histogram& h, uint64_t rank) {
  for (size_t b = 65536; b-- > 0;) {
    if (h[b] >= rank) return {static_cast<uint32_t>(b), rank};
    rank -= h[b];
  }
  return {0, 1};
}

}  // namespace

ModelThresholds model_thresholds(const MergePlan& plan) {
  const MethodSpec& method = *plan.method;
  if (method.sparsification != Sparsification::magnitude || method.consensus != Consensus::sum ||
      plan.tensors.empty()) {
    return {};
  }
  bool model_scope = false;
  for (const PlannedTensor& t : plan.tensors) {
    if (t.parameters.text("trim_scope") == "model") model_scope = true;
  }
  if (!model_scope) return {};
  // Every tensor must read the same models in the same order with one density per model.
  const PlannedTensor& first = plan.tensors.front();
  const std::vector<size_t> others = non_base(first);
  std::vector<double> density(others.size());
  std::vector<uint64_t> n(others.size(), 0);
  for (const PlannedTensor& t : plan.tensors) {
    RETUNE_CHECK(
        t.parameters.text("trim_scope") == "model" && non_base(t) == others && t.base == first.base,
        "trim_scope model: every tensor must be trimmed over the same models (use "
        "models:, not slices, and one trim_scope)");
    for (size_t k = 0; k < others.size(); ++k) {
      RETUNE_CHECK(t.inputs[others[k]].model == first.inputs[others[k]].model,
                   "trim_scope model: every tensor must read the same models");
      const double d = t.parameters.number("density", others[k]);
      if (&t == &first) density[k] = d;
      RETUNE_CHECK(d == density[k],
                   "trim_scope model: model {} has density {} at {} but {} at {}; one density "
                   "per model",
                   plan.models[t.inputs[others[k]].model]->label(), density[k], first.name, d,
                   t.name);
      n[k] += static_cast<uint64_t>(t.shape.numel());
    }
  }
  std::vector<Histogram> upper(others.size(), Histogram(65536, 0));
  histogram_pass(plan, true, {}, upper);
  std::vector<uint32_t> bins(others.size());
  std::vector<uint64_t> ranks(others.size());
  for (size_t k = 0; k < others.size(); ++k) {
    const auto keep =
        static_cast<uint64_t>(magnitude_keep_count(density[k], static_cast<int64_t>(n[k])));
    std::tie(bins[k], ranks[k]) = find_bin(upper[k], keep);
  }
  std::vector<Histogram> lower(others.size(), Histogram(65536, 0));
  histogram_pass(plan, false, bins, lower);
  ModelThresholds out(others.size());
  for (size_t k = 0; k < others.size(); ++k) {
    const uint32_t low = find_bin(lower[k], ranks[k]).first;
    // density 1 keeps everything.
    out[k] = density[k] >= 1 ? 0.0f : std::bit_cast<float>((bins[k] << 16) | low);
  }
  return out;
}

}  // namespace retune::merge
