#include "merge/adapter_combination.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "core/error.h"
#include "core/rng.h"
#include "linalg/matrix.h"
#include "linalg/qr.h"
#include "linalg/svd.h"

namespace retune::merge {
namespace {

using Combination = AdapterCombination;

struct CombinationRow {
  Combination combination;
  const char* name;
  Sparsification sparsification;
  bool ties;
  bool factorised;
};

constexpr std::array<CombinationRow, 11> kCombinations = {{
    {Combination::linear, "linear", Sparsification::none, false, false},
    {Combination::cat, "cat", Sparsification::none, false, false},
    {Combination::svd, "svd", Sparsification::none, false, true},
    {Combination::ties, "ties", Sparsification::magnitude, true, false},
    {Combination::ties_svd, "ties_svd", Sparsification::magnitude, true, true},
    {Combination::dare_linear, "dare_linear", Sparsification::random, false, false},
    {Combination::dare_linear_svd, "dare_linear_svd", Sparsification::random, false, true},
    {Combination::dare_ties, "dare_ties", Sparsification::random, true, false},
    {Combination::dare_ties_svd, "dare_ties_svd", Sparsification::random, true, true},
    {Combination::magnitude_prune, "magnitude_prune", Sparsification::magnitude, false, false},
    {Combination::magnitude_prune_svd, "magnitude_prune_svd", Sparsification::magnitude, false,
     true},
}};

const CombinationRow& row_of(Combination combination) {
  return kCombinations[static_cast<size_t>(combination)];
}

TaskMerge task_merge(const CombinationOptions& options) {
  const CombinationRow& row = row_of(options.combination);
  return {.sparsification = row.sparsification,
          .ties = row.ties,
          .majority_sign = options.majority_sign,
          .density = options.density.value_or(1)};
}

std::vector<float> flat(const Tensor& t) {
  return t.to(DType::f32).contiguous().to_f32_vector();
}

Tensor row_major(const Shape& shape, const std::vector<float>& values) {
  return Tensor::from_vector(shape, DType::f32, std::span<const float>(values));
}

// PEFT's cat: the scaled A_t stacked by rows, the B_t by columns, zero past their ranks.
MergedFactors concatenate(const std::vector<LoraFactors>& inputs, int64_t new_rank) {
  const int64_t in = inputs.front().a.size(1);
  const int64_t out = inputs.front().b.size(0);
  std::vector<float> a(static_cast<size_t>(new_rank * in), 0.0f);
  std::vector<float> b(static_cast<size_t>(out * new_rank), 0.0f);
  int64_t row = 0;
  for (const LoraFactors& input : inputs) {
    const int64_t r = input.a.size(0);
    RETUNE_CHECK(row + r <= new_rank, "cat: ranks add up to more than {}", new_rank);
    const std::vector<float> a_t = flat(input.a);
    const std::vector<float> b_t = flat(input.b);
    // In f32, weight first, as PEFT's A * weight * scaling: the same values to the bit.
    const auto weight = static_cast<float>(input.weight);
    const auto scaling = static_cast<float>(input.scaling);
    for (int64_t k = 0; k < r * in; ++k) {
      a[static_cast<size_t>(row * in + k)] = a_t[static_cast<size_t>(k)] * weight * scaling;
    }
    for (int64_t o = 0; o < out; ++o) {
      for (int64_t k = 0; k < r; ++k) {
        b[static_cast<size_t>(o * new_rank + row + k)] = b_t[static_cast<size_t>(o * r + k)];
      }
    }
    row += r;
  }
  return {row_major({new_rank, in}, a), row_major({out, new_rank}, b)};
}

// A and B merged separately, with √|w s| on both and the sign of w s on A.
MergedFactors merge_factors(const std::vector<LoraFactors>& inputs, const TaskMerge& merge,
                            uint64_t seed) {
  std::vector<std::vector<float>> a_tasks, b_tasks;
  std::vector<double> a_weights, b_weights;
  std::vector<uint64_t> a_seeds, b_seeds;
  for (size_t t = 0; t < inputs.size(); ++t) {
    const double weighted = inputs[t].weight * inputs[t].scaling;
    const double root = std::sqrt(std::fabs(weighted));
    a_weights.push_back(weighted >= 0 ? root : -root);
    b_weights.push_back(root);
    a_tasks.push_back(flat(inputs[t].a));
    b_tasks.push_back(flat(inputs[t].b));
    a_seeds.push_back(mix64(seed ^ (2 * t)));
    b_seeds.push_back(mix64(seed ^ (2 * t + 1)));
  }
  const Shape a_shape = inputs.front().a.shape();
  const Shape b_shape = inputs.front().b.shape();
  return {row_major(a_shape, merge_task_tensors(a_tasks, a_weights, a_seeds, merge)),
          row_major(b_shape, merge_task_tensors(b_tasks, b_weights, b_seeds, merge))};
}

// s B A [out, in], row-major f32 (PEFT's get_delta_weight).
std::vector<float> delta_weight(const LoraFactors& input, const std::string& module) {
  const linalg::Matrix product =
      linalg::multiply(linalg::read_matrix(input.b, "merge-adapters", module.c_str(), "[out, r]"),
                       linalg::read_matrix(input.a, "merge-adapters", module.c_str(), "[r, in]"));
  std::vector<float> delta(product.values.size());
  for (int64_t i = 0; i < product.rows; ++i) {
    for (int64_t j = 0; j < product.cols; ++j) {
      delta[static_cast<size_t>(i * product.cols + j)] =
          static_cast<float>(input.scaling * product(i, j));
    }
  }
  return delta;
}

void clamp_factors(linalg::Matrix& b, linalg::Matrix& a, double q) {
  std::vector<double> values = b.values;
  values.insert(values.end(), a.values.begin(), a.values.end());
  const double high = linear_quantile(std::move(values), q);
  for (linalg::Matrix* m : {&b, &a}) {
    for (double& v : m->values) v = std::min(std::max(v, -high), high);
  }
}

// The thin SVD of the merged ΔW [out, in] (row-major), computed whole.
linalg::SvdF64 full_svd(const std::vector<float>& merged, int64_t out, int64_t in) {
  linalg::Matrix delta(out, in);
  for (int64_t i = 0; i < out; ++i) {
    for (int64_t j = 0; j < in; ++j) delta(i, j) = merged[static_cast<size_t>(i * in + j)];
  }
  return linalg::thin_svd(std::move(delta));
}

// The thin SVD of Σ_t w_t s_t B_t A_t = B·A with B = [B_1, ...] [out, R] and A = [w_1 s_1 A_1;
// ...] [R, in], R = Σ r_t < min(out, in), without forming ΔW: B = Q_b R_b, Aᵀ = Q_a R_a, and the
// SVD U_c σ V_cᵀ of the R × R core R_b R_aᵀ gives U = Q_b U_c, Vᵀ = V_cᵀ Q_aᵀ (R columns).
linalg::SvdF64 low_rank_svd(const std::vector<LoraFactors>& inputs, int64_t rank,
                            const std::string& module) {
  const int64_t in = inputs.front().a.size(1);
  const int64_t out = inputs.front().b.size(0);
  linalg::Matrix b(out, rank), a_transposed(in, rank);
  int64_t column = 0;
  for (const LoraFactors& input : inputs) {
    const linalg::Matrix b_t =
        linalg::read_matrix(input.b, "merge-adapters", module.c_str(), "[out, r]");
    const linalg::Matrix a_t =
        linalg::read_matrix(input.a, "merge-adapters", module.c_str(), "[r, in]");
    const double factor = input.weight * input.scaling;
    for (int64_t k = 0; k < b_t.cols; ++k, ++column) {
      for (int64_t i = 0; i < out; ++i) b(i, column) = b_t(i, k);
      for (int64_t j = 0; j < in; ++j) a_transposed(j, column) = factor * a_t(k, j);
    }
  }
  const linalg::QrF64 qb = linalg::reduced_qr(std::move(b));
  const linalg::QrF64 qa = linalg::reduced_qr(std::move(a_transposed));
  linalg::SvdF64 core = linalg::thin_svd(linalg::multiply(qb.r, qa.r, false, true));
  return {linalg::multiply(qb.q, core.u), std::move(core.s),
          linalg::multiply(core.vt, qa.q, false, true)};
}

// ΔW_t merged with weights w_t, then its best rank-new_rank factorisation.
MergedFactors factorise(const std::vector<LoraFactors>& inputs, int64_t new_rank,
                        const CombinationOptions& options, uint64_t seed,
                        const std::string& module) {
  const int64_t in = inputs.front().a.size(1);
  const int64_t out = inputs.front().b.size(0);
  RETUNE_CHECK(new_rank <= std::min(out, in),
               "{}: rank {} exceeds the module's min(out, in) = min({}, {}); choose a lower "
               "--svd-rank",
               module, new_rank, out, in);
  int64_t summed_rank = 0;
  for (const LoraFactors& input : inputs) summed_rank += input.a.size(0);
  linalg::SvdF64 svd;
  if (options.combination == Combination::svd && new_rank <= summed_rank &&
      summed_rank < std::min(out, in)) {
    svd = low_rank_svd(inputs, summed_rank, module);
  } else {
    std::vector<std::vector<float>> deltas;
    std::vector<double> weights;
    std::vector<uint64_t> seeds;
    for (size_t t = 0; t < inputs.size(); ++t) {
      deltas.push_back(delta_weight(inputs[t], module));
      weights.push_back(inputs[t].weight);
      seeds.push_back(mix64(seed ^ t));
    }
    svd = full_svd(merge_task_tensors(deltas, weights, seeds, task_merge(options)), out, in);
  }
  linalg::Matrix b = svd.u.columns(0, new_rank);
  for (int64_t k = 0; k < new_rank; ++k) {
    for (int64_t i = 0; i < out; ++i) b(i, k) *= svd.s[static_cast<size_t>(k)];
  }
  linalg::Matrix a = svd.vt.rows_range(0, new_rank);
  if (options.svd_clamp) clamp_factors(b, a, *options.svd_clamp);
  return {linalg::to_tensor(a), linalg::to_tensor(b)};
}

}  // namespace

AdapterCombination parse_adapter_combination(const std::string& name) {
  std::string names;
  for (const CombinationRow& row : kCombinations) {
    if (name == row.name) return row.combination;
    names += names.empty() ? row.name : std::string(", ") + row.name;
  }
  fail("combination \"{}\" is not supported; supported: {}", name, names);
}

const char* adapter_combination_name(AdapterCombination combination) {
  return row_of(combination).name;
}

bool uses_density(AdapterCombination combination) {
  return row_of(combination).sparsification != Sparsification::none;
}

bool uses_majority_sign(AdapterCombination combination) {
  return row_of(combination).ties;
}

bool factorises(AdapterCombination combination) {
  return row_of(combination).factorised;
}

bool needs_equal_ranks(AdapterCombination combination) {
  return combination != Combination::cat && !factorises(combination);
}

MergedFactors combine_lora_module(const std::vector<LoraFactors>& inputs, int64_t new_rank,
                                  const CombinationOptions& options, uint64_t seed,
                                  const std::string& module) {
  RETUNE_CHECK(!inputs.empty(), "{}: no adapter has this module", module);
  if (options.combination == Combination::cat) return concatenate(inputs, new_rank);
  if (factorises(options.combination)) {
    return factorise(inputs, new_rank, options, seed, module);
  }
  return merge_factors(inputs, task_merge(options), seed);
}

double linear_quantile(std::vector<double> values, double q) {
  RETUNE_CHECK(!values.empty() && q >= 0 && q <= 1, "quantile {} of {} values", q, values.size());
  std::sort(values.begin(), values.end());
  const double position = q * static_cast<double>(values.size() - 1);
  const auto below = static_cast<size_t>(std::floor(position));
  const size_t above = std::min(below + 1, values.size() - 1);
  const double fraction = position - static_cast<double>(below);
  return values[below] + fraction * (values[above] - values[below]);
}

}  // namespace retune::merge
