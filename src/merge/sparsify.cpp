#include "merge/sparsify.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "core/error.h"
#include "core/rng.h"

namespace retune::merge {
namespace {

double l1_norm(std::span<const float> values) {
  double sum = 0;
  for (float v : values) sum += std::fabs(v);
  return sum;
}

// mergekit's rescaled_masked_tensor with the L1 norm: `masked` (δ with dropped entries zeroed)
// times ||δ||₁ / ||masked||₁, unless either norm is below 1e-7.
void rescale_l1(std::span<float> masked, double before) {
  const double after = l1_norm(masked);
  if (before < 1e-7 || after < 1e-7) return;
  const auto scale = static_cast<float>(before / after);
  for (float& v : masked) v *= scale;
}

// Indices ordered by |δ| ascending (ties by index).
std::vector<int64_t> by_magnitude(std::span<const float> delta) {
  std::vector<int64_t> order(delta.size());
  std::iota(order.begin(), order.end(), int64_t{0});
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return std::fabs(delta[static_cast<size_t>(a)]) < std::fabs(delta[static_cast<size_t>(b)]);
  });
  return order;
}

// The value at ascending position `rank` of |δ| (nth_element on a copy of the magnitudes,
// left in `magnitudes` for a later call on the part above it).
float magnitude_at(std::vector<float>& magnitudes, size_t rank, size_t from = 0) {
  std::nth_element(magnitudes.begin() + static_cast<std::ptrdiff_t>(from),
                   magnitudes.begin() + static_cast<std::ptrdiff_t>(rank), magnitudes.end());
  return magnitudes[rank];
}

// Keeps the entries at ascending magnitude positions [begin, end) of the order that sorts by
// |δ| and then by index (a stable argsort), zeroing the rest; one f32 copy of the magnitudes.
void keep_magnitude_positions(std::span<float> delta, size_t begin, size_t end) {
  if (begin >= end) {
    std::fill(delta.begin(), delta.end(), 0.0f);
    return;
  }
  std::vector<float> magnitudes(delta.size());
  for (size_t i = 0; i < delta.size(); ++i) magnitudes[i] = std::fabs(delta[i]);
  const float low = magnitude_at(magnitudes, begin);
  const float high = magnitude_at(magnitudes, end - 1, begin);
  magnitudes.clear();
  magnitudes.shrink_to_fit();
  // Entries equal to a boundary value are placed by their index among equals.
  size_t below_low = 0;
  size_t below_high = 0;
  for (float v : delta) {
    below_low += std::fabs(v) < low;
    below_high += std::fabs(v) < high;
  }
  size_t seen_low = 0;
  size_t seen_high = 0;
  for (float& v : delta) {
    const float m = std::fabs(v);
    bool keep = m > low && m < high;
    if (m == low || m == high) {
      const size_t position = m == low ? below_low + seen_low++ : below_high + seen_high++;
      keep = position >= begin && position < end;
    }
    if (!keep) v = 0;
  }
}

// Keeps the k entries of largest |δ|, ties at the cut going to the lower indices.
void keep_largest(std::span<float> delta, size_t k) {
  std::vector<float> magnitudes(delta.size());
  for (size_t i = 0; i < delta.size(); ++i) magnitudes[i] = std::fabs(delta[i]);
  const float cut = magnitude_at(magnitudes, delta.size() - k);
  magnitudes.clear();
  magnitudes.shrink_to_fit();
  size_t above = 0;
  for (float v : delta) above += std::fabs(v) > cut;
  size_t equal_kept = 0;
  for (float& v : delta) {
    const float m = std::fabs(v);
    if (m > cut) continue;
    if (m == cut && above + equal_kept < k) {
      ++equal_kept;
      continue;
    }
    v = 0;
  }
}

void magnitude(std::span<float> delta, const SparsifyOptions& o) {
  const double before = o.rescale == Rescale::l1 ? l1_norm(delta) : 0;
  if (o.use_threshold) {
    for (float& v : delta) {
      if (!(std::fabs(v) >= o.threshold)) v = 0;
    }
  } else {
    // The k largest |δ| (ties: lower index first, as a stable argsort(descending)[:k]).
    const auto n = static_cast<int64_t>(delta.size());
    const int64_t k = magnitude_keep_count(o.density, n);
    keep_largest(delta, static_cast<size_t>(k));
  }
  if (o.rescale == Rescale::l1) rescale_l1(delta, before);
}

void magnitude_outliers(std::span<float> delta, const SparsifyOptions& o) {
  const auto n = static_cast<int64_t>(delta.size());
  const auto target = static_cast<int64_t>(o.density * static_cast<double>(n));
  const auto top = static_cast<int64_t>(o.gamma * static_cast<double>(n));
  const int64_t bottom = std::max<int64_t>(0, n - target - top);
  const double before = o.rescale == Rescale::l1 ? l1_norm(delta) : 0;
  keep_magnitude_positions(delta, static_cast<size_t>(bottom),
                           static_cast<size_t>(std::min(n, bottom + target)));
  if (o.rescale == Rescale::l1) rescale_l1(delta, before);
}

// Keeps entry i with probability p(i) (a draw of counter_uniform(seed, i) below it).
template <typename Probability>
void random_mask(std::span<float> delta, const SparsifyOptions& o, Probability p) {
  const double before = o.rescale == Rescale::l1 ? l1_norm(delta) : 0;
  for (size_t i = 0; i < delta.size(); ++i) {
    const float keep_probability = p(i);
    if (counter_uniform(o.seed, i) < keep_probability) {
      if (o.rescale == Rescale::inverse) delta[i] /= keep_probability;
    } else {
      delta[i] = 0;
    }
  }
  if (o.rescale == Rescale::l1) rescale_l1(delta, before);
}

void della_magprune(std::span<float> delta, const SparsifyOptions& o) {
  const auto density = static_cast<float>(o.density);
  const auto epsilon = static_cast<float>(o.epsilon);
  const auto columns = static_cast<size_t>(o.columns);
  RETUNE_CHECK(columns > 0 && delta.size() % columns == 0, "della: {} entries in rows of {}",
               delta.size(), columns);
  // rank_norm[i]: the entry's ascending magnitude rank in its row, scaled to [0, 1] (mergekit:
  // (rank - min rank) / (max rank - min rank); a row of one entry divides 0 by 0).
  std::vector<float> probability(delta.size());
  for (size_t row = 0; row < delta.size() / columns; ++row) {
    const std::span<float> values = delta.subspan(row * columns, columns);
    const std::vector<int64_t> order = by_magnitude(values);
    for (size_t rank = 0; rank < columns; ++rank) {
      const float scaled =
          columns == 1 ? 0.0f : static_cast<float>(rank) / static_cast<float>(columns - 1);
      probability[row * columns + static_cast<size_t>(order[rank])] =
          (density - epsilon) + scaled * 2 * epsilon;
    }
  }
  random_mask(delta, o, [&](size_t i) { return probability[i]; });
}

}  // namespace

int64_t magnitude_keep_count(double density, int64_t n) {
  return std::max<int64_t>(1, static_cast<int64_t>(density * static_cast<double>(n)));
}

void sparsify(std::span<float> delta, const SparsifyOptions& options) {
  if (delta.empty() || options.method == Sparsification::none) return;
  if (options.density >= 1 && !options.use_threshold) return;
  switch (options.method) {
    case Sparsification::none:
      return;
    case Sparsification::magnitude:
      return magnitude(delta, options);
    case Sparsification::magnitude_outliers:
      return magnitude_outliers(delta, options);
    case Sparsification::random: {
      const auto density = static_cast<float>(options.density);
      return random_mask(delta, options, [&](size_t) { return density; });
    }
    case Sparsification::della_magprune:
      return della_magprune(delta, options);
  }
}

}  // namespace retune::merge
