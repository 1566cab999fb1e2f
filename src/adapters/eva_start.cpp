#include "adapters/eva_start.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <memory>
#include <numeric>
#include <optional>

#include "adapters/linear_input_taps.h"
#include "core/error.h"
#include "core/rng.h"
#include "linalg/incremental_pca.h"

namespace retune::adapters {
namespace {

// One PCA, shared by the targets fed the same input.
struct Pca {
  explicit Pca(int64_t components) : pca(components), converged(components, false) {}
  linalg::IncrementalPca pca;
  std::vector<bool> converged;  // per component, from the last batch it ran on
  bool fitted = false;
  bool active = true;  // still fed batches
};

// Cosine similarity of each row of a and b (k x F, in double as PEFT's float64 PCA state) >= tau.
std::vector<bool> rows_converged(const linalg::Matrix& a, const linalg::Matrix& b, double tau) {
  std::vector<bool> converged(static_cast<size_t>(a.rows));
  for (int64_t i = 0; i < a.rows; ++i) {
    double dot = 0, xx = 0, yy = 0;
    for (int64_t j = 0; j < a.cols; ++j) {
      dot += a(i, j) * b(i, j);
      xx += a(i, j) * a(i, j);
      yy += b(i, j) * b(i, j);
    }
    // torch.nn.functional.cosine_similarity: each norm clamped to eps = 1e-8.
    const double cosine = dot / (std::max(std::sqrt(xx), 1e-8) * std::max(std::sqrt(yy), 1e-8));
    converged[static_cast<size_t>(i)] = cosine >= tau;
  }
  return converged;
}

// A hash of x's shape and values.
uint64_t hash_of(const Tensor& x) {
  uint64_t hash = mix64(static_cast<uint64_t>(x.size(0)) * 0x9e3779b97f4a7c15ull +
                        static_cast<uint64_t>(x.size(1)));
  const Tensor values = x.contiguous();
  const float* v = values.data<float>();
  for (int64_t i = 0; i < values.numel(); ++i) hash = mix64(hash ^ std::bit_cast<uint32_t>(v[i]));
  return hash;
}

bool first_converged(const Pca& pca, int64_t rank) {
  return std::all_of(pca.converged.begin(), pca.converged.begin() + rank, [](bool c) { return c; });
}

}  // namespace

EvaResult eva_starts(model::CausalLm& model, const std::vector<LoraTarget>& targets,
                     const std::vector<CalibrationBatch>& batches, const EvaOptions& options) {
  RETUNE_CHECK(!batches.empty(), "EVA: no calibration batch");
  RETUNE_CHECK(options.rho >= 1, "EVA's rho must be >= 1, got {}", options.rho);
  RETUNE_CHECK(options.tau > 0 && options.tau <= 1, "EVA's tau must be in (0, 1], got {}",
               options.tau);
  std::vector<model::LinearSite> sites;
  for (const LoraTarget& target : targets) sites.push_back(target.site);
  LinearInputTaps taps(model, sites);
  const size_t count = targets.size();
  const auto mask_of = [&](const CalibrationBatch& batch) {
    std::vector<uint8_t> mask = batch.attended;
    if (options.use_label_mask) {
      for (size_t i = 0; i < mask.size(); ++i) mask[i] = mask[i] & batch.labelled[i];
    }
    return mask;
  };

  // The first batch finds the targets that share their input (by a hash of its values, as PEFT
  // finds them); the first of each group owns the PCA, with the most components any of the group
  // keeps.
  std::vector<uint64_t> inputs(count, 0);
  taps.run(batches[0], [&](size_t site, const Tensor& x) { inputs[site] = hash_of(x); });
  EvaResult result{.batches = 1};
  std::vector<size_t> owner(count);
  std::vector<int64_t> components(count);
  int64_t budget = 0;
  for (size_t i = 0; i < count; ++i) {
    owner[i] =
        static_cast<size_t>(std::find(inputs.begin(), inputs.end(), inputs[i]) - inputs.begin());
    components[i] = std::llround(static_cast<double>(targets[i].r) * options.rho);
    budget += targets[i].r;
  }
  for (size_t i = 0; i < count; ++i) {
    components[owner[i]] = std::max(components[owner[i]], components[i]);
  }
  for (size_t i = 0; i < count; ++i) components[i] = components[owner[i]];
  std::vector<std::unique_ptr<Pca>> pcas(count);
  std::vector<size_t> owners;
  for (size_t i = 0; i < count; ++i) {
    if (owner[i] != i) continue;
    pcas[i] = std::make_unique<Pca>(components[i]);
    owners.push_back(i);
  }
  // Pooled in PEFT's order: the owners, then the targets sharing a PCA.
  std::vector<size_t> pooled = owners;
  for (size_t i = 0; i < count; ++i) {
    if (owner[i] != i) pooled.push_back(i);
  }

  std::vector<int64_t> ranks = components;
  const auto redistribute = [&] {
    struct Entry {
      double ratio;
      size_t target;
    };
    std::vector<Entry> entries;
    for (size_t target : pooled) {
      const std::vector<double>& ratios = pcas[owner[target]]->pca.explained_variance_ratio_f64();
      const auto kept = std::min<size_t>(ratios.size(), static_cast<size_t>(components[target]));
      for (size_t c = 0; c < kept; ++c) entries.push_back({ratios[c], target});
    }
    std::stable_sort(entries.begin(), entries.end(),
                     [](const Entry& a, const Entry& b) { return a.ratio > b.ratio; });
    std::fill(ranks.begin(), ranks.end(), 0);
    for (size_t e = 0; e < entries.size() && static_cast<int64_t>(e) < budget; ++e) {
      ++ranks[entries[e].target];
    }
    for (size_t target : pooled) {
      if (owner[target] != target && ranks[owner[target]] < ranks[target]) {
        std::swap(ranks[owner[target]], ranks[target]);
      }
    }
  };

  const auto total = static_cast<int64_t>(batches.size()) * options.max_passes;
  bool done = false;
  for (int64_t step = 0; step < total && !done; ++step) {
    for (size_t i : owners) {
      const bool converged = first_converged(*pcas[i], ranks[i]);
      if (pcas[i]->active && converged) {
        pcas[i]->active = false;
      } else if (!pcas[i]->active && !converged) {
        pcas[i]->active = true;
      }
    }
    done = std::none_of(owners.begin(), owners.end(), [&](size_t i) { return pcas[i]->active; });
    if (done) break;
    const CalibrationBatch& batch = batches[static_cast<size_t>(step) % batches.size()];
    const std::vector<uint8_t> mask = mask_of(batch);
    taps.run(batch, [&](size_t site, const Tensor& x) {
      Pca& pca = *pcas[owner[site]];
      if (owner[site] != site || !pca.active) return;
      const Tensor rows = masked_rows(x, mask);
      if (rows.size(0) < components[site]) return;
      std::optional<linalg::Matrix> previous;
      if (pca.fitted) previous = pca.pca.components_f64();
      pca.pca.partial_fit(rows);
      pca.fitted = true;
      if (previous) {
        pca.converged = rows_converged(pca.pca.components_f64(), *previous, options.tau);
      }
    });
    ++result.batches;
    if (std::all_of(owners.begin(), owners.end(), [&](size_t i) { return pcas[i]->fitted; })) {
      redistribute();
    }
  }
  for (size_t i = 0; i < count; ++i) {
    const std::string& name = targets[i].site.name;
    RETUNE_CHECK(done && first_converged(*pcas[owner[i]], ranks[i]),
                 "EVA: layer {} has not converged after {} passes over the {} calibration "
                 "batches; give more calibration data or lower lora.eva_tau",
                 name, options.max_passes, batches.size());
    result.ranks[name] = ranks[i];
    const double alpha =
        options.adjust_scaling_factors
            ? targets[i].alpha * static_cast<double>(ranks[i]) / static_cast<double>(targets[i].r)
            : targets[i].alpha;
    result.alphas[name] = alpha;
    if (ranks[i] == 0) continue;
    const Tensor& basis = pcas[owner[i]]->pca.components();  // [components, I]
    result.starts[name] = {
        .a = basis.slice(0, 0, ranks[i]).clone(),
        .b = Tensor::zeros({targets[i].site.out_features(), ranks[i]}, DType::f32),
        .residual = false};
  }
  return result;
}

}  // namespace retune::adapters
