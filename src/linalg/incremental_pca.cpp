#include "linalg/incremental_pca.h"

#include <cmath>
#include <limits>

#include "core/error.h"
#include "linalg/randomized_svd.h"
#include "linalg/svd.h"

namespace retune::linalg {
namespace {

std::vector<double> head(const std::vector<double>& values, int64_t n) {
  return {values.begin(), values.begin() + n};
}

}  // namespace

void svd_flip_rows(Matrix& vt) {
  for (int64_t i = 0; i < vt.rows; ++i) {
    int64_t largest = 0;
    for (int64_t j = 1; j < vt.cols; ++j) {
      if (std::abs(vt(i, j)) > std::abs(vt(i, largest))) largest = j;
    }
    if (vt(i, largest) < 0) {
      for (int64_t j = 0; j < vt.cols; ++j) vt(i, j) = -vt(i, j);
    }
  }
}

IncrementalPca::IncrementalPca(int64_t n_components, IncrementalPcaOptions options)
    : n_components_(n_components), options_(options) {
  RETUNE_CHECK(n_components >= 1, "IncrementalPca: n_components is {}, expected >= 1",
               n_components);
  if (options_.lowrank_q == 0) options_.lowrank_q = 2 * n_components;
  RETUNE_CHECK(options_.lowrank_q >= n_components,
               "IncrementalPca: lowrank_q is {}, expected >= n_components ({}) (or 0 for 2 * "
               "n_components)",
               options_.lowrank_q, n_components);
  RETUNE_CHECK(options_.lowrank_niter >= 0, "IncrementalPca: lowrank_niter is {}, expected >= 0",
               options_.lowrank_niter);
}

void IncrementalPca::partial_fit(const Tensor& x) {
  const char* function = "IncrementalPca::partial_fit";
  const Matrix batch = read_matrix(x, function, "x", "[N, features]");
  const int64_t n = batch.rows, f = batch.cols;
  RETUNE_CHECK(n_components_ <= f, "{}: x is {}, expected at least n_components = {} features",
               function, x.describe(), n_components_);
  RETUNE_CHECK(n_components_ <= n,
               "{}: x is {}, expected at least n_components = {} rows (PEFT refuses such a "
               "batch too; EVA skips it)",
               function, x.describe(), n_components_);
  const bool first = samples_seen_ == 0;
  RETUNE_CHECK(first || f == features_, "{}: x is {}, expected [N, {}] like the first batch",
               function, x.describe(), features_);

  // Running mean and variance (PEFT's _incremental_mean_and_var).
  const auto seen = static_cast<double>(samples_seen_);
  const auto rows = static_cast<double>(n);
  const double total = seen + rows;
  std::vector<double> new_mean(static_cast<size_t>(f)), new_var(static_cast<size_t>(f));
  std::vector<double> batch_mean(static_cast<size_t>(f));
  for (int64_t j = 0; j < f; ++j) {
    const auto col = static_cast<size_t>(j);
    const double last_sum = first ? 0.0 : mean_[col] * seen;
    double new_sum = 0.0;
    for (int64_t i = 0; i < n; ++i) new_sum += batch(i, j);
    new_mean[col] = (last_sum + new_sum) / total;
    batch_mean[col] = new_sum / rows;
    double centred_sum = 0.0, centred_squares = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      const double centred = batch(i, j) - batch_mean[col];
      centred_sum += centred;
      centred_squares += centred * centred;
    }
    const double new_unnormalized = centred_squares - centred_sum * centred_sum / rows;
    if (first) {
      new_var[col] = new_unnormalized / total;
    } else {
      const double last_over_new = seen / rows;
      const double gap = last_sum / last_over_new - new_sum;
      new_var[col] =
          (var_[col] * seen + new_unnormalized + last_over_new / total * gap * gap) / total;
    }
  }

  // The matrix whose SVD updates the components.
  Matrix stacked;
  if (first) {
    stacked = batch;
    for (int64_t j = 0; j < f; ++j) {
      for (int64_t i = 0; i < n; ++i) stacked(i, j) -= new_mean[static_cast<size_t>(j)];
    }
  } else {
    const int64_t k = n_components_;
    stacked = Matrix(k + n + 1, f);
    const double correction = std::sqrt(seen / total * rows);
    for (int64_t j = 0; j < f; ++j) {
      const auto col = static_cast<size_t>(j);
      for (int64_t i = 0; i < k; ++i) {
        stacked(i, j) = singular_values_[static_cast<size_t>(i)] * components_(i, j);
      }
      for (int64_t i = 0; i < n; ++i) stacked(k + i, j) = batch(i, j) - batch_mean[col];
      stacked(k + n, j) = correction * (mean_[col] - batch_mean[col]);
    }
  }
  SvdF64 svd = options_.lowrank ? randomized_svd(stacked, options_.lowrank_q,
                                                 options_.lowrank_niter, options_.lowrank_seed)
                                : thin_svd(std::move(stacked));
  svd_flip_rows(svd.vt);  // u is not kept, so it is not flipped

  double total_variance = 0.0;
  for (double v : new_var) total_variance += v * total;
  std::vector<double> explained(svd.s.size()), ratio(svd.s.size());
  for (size_t i = 0; i < svd.s.size(); ++i) {
    explained[i] = svd.s[i] * svd.s[i] / (total - 1.0);
    ratio[i] = svd.s[i] * svd.s[i] / total_variance;
  }
  if (n_components_ != n && n_components_ != f) {
    double rest = 0.0;
    for (size_t i = static_cast<size_t>(n_components_); i < explained.size(); ++i) {
      rest += explained[i];
    }
    const auto count = static_cast<double>(explained.size()) - static_cast<double>(n_components_);
    noise_variance_ = count > 0 ? rest / count : std::numeric_limits<double>::quiet_NaN();
  } else {
    noise_variance_ = 0.0;
  }

  features_ = f;
  samples_seen_ += n;
  mean_ = std::move(new_mean);
  var_ = std::move(new_var);
  components_ = svd.vt.rows_range(0, n_components_);
  singular_values_ = head(svd.s, n_components_);
  explained_variance_ = head(explained, n_components_);
  explained_variance_ratio_ = head(ratio, n_components_);
}

void IncrementalPca::require_fitted(const char* accessor) const {
  RETUNE_CHECK(fitted(), "IncrementalPca::{}: no partial_fit yet", accessor);
}

Tensor IncrementalPca::components() const {
  return to_tensor(components_f64());
}
Tensor IncrementalPca::singular_values() const {
  return to_tensor(singular_values_f64());
}
Tensor IncrementalPca::explained_variance() const {
  return to_tensor(explained_variance_f64());
}
Tensor IncrementalPca::explained_variance_ratio() const {
  return to_tensor(explained_variance_ratio_f64());
}

Tensor IncrementalPca::mean() const {
  require_fitted("mean");
  return to_tensor(mean_);
}

Tensor IncrementalPca::variance() const {
  require_fitted("variance");
  return to_tensor(var_);
}

double IncrementalPca::noise_variance() const {
  require_fitted("noise_variance");
  return noise_variance_;
}

const Matrix& IncrementalPca::components_f64() const {
  require_fitted("components");
  return components_;
}

const std::vector<double>& IncrementalPca::singular_values_f64() const {
  require_fitted("singular_values");
  return singular_values_;
}

const std::vector<double>& IncrementalPca::explained_variance_f64() const {
  require_fitted("explained_variance");
  return explained_variance_;
}

const std::vector<double>& IncrementalPca::explained_variance_ratio_f64() const {
  require_fitted("explained_variance_ratio");
  return explained_variance_ratio_;
}

}  // namespace retune::linalg
