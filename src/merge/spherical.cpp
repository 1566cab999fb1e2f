#include "merge/spherical.h"

#include <algorithm>
#include <cmath>
#include <span>

#include "core/error.h"

namespace retune::merge {
namespace {

// A strided vector of a tensor: entries offset + k * stride, k < length.
struct VectorView {
  size_t offset = 0;
  size_t stride = 1;
  size_t length = 0;
  size_t at(size_t k) const { return offset + k * stride; }
};

double norm(const std::vector<float>& values, const VectorView& v) {
  double sum = 0;
  for (size_t k = 0; k < v.length; ++k) {
    const double x = values[v.at(k)];
    sum += x * x;
  }
  return std::sqrt(sum);
}

// nuslerp of one vector pair into `out` (mergekit's nuslerp, vectors along the last axis).
void nuslerp_vector(float t, const std::vector<float>& a, const std::vector<float>& b,
                    const VectorView& v, std::vector<float>& out) {
  const auto norm_a = static_cast<float>(std::max(norm(a, v), 1e-7));
  const auto norm_b = static_cast<float>(std::max(norm(b, v), 1e-7));
  double dot = 0;
  for (size_t k = 0; k < v.length; ++k) {
    dot += static_cast<double>(a[v.at(k)] / norm_a) * static_cast<double>(b[v.at(k)] / norm_b);
  }
  const float cos_theta = std::clamp(static_cast<float>(dot), -1.0f, 1.0f);
  const bool colinear = (1 - cos_theta * cos_theta) <= 1e-16f;
  if (colinear) {
    const float keep = 1 - t;
    for (size_t k = 0; k < v.length; ++k) out[v.at(k)] = keep * a[v.at(k)] + t * b[v.at(k)];
    return;
  }
  const float theta = std::acos(cos_theta);
  const float sin_theta = std::sin(theta);
  const float ca = std::sin((1 - t) * theta);
  const float cb = std::sin(t * theta);
  for (size_t k = 0; k < v.length; ++k) {
    out[v.at(k)] = (ca * a[v.at(k)] + cb * b[v.at(k)]) / sin_theta;
  }
}

}  // namespace

std::vector<float> slerp_merge(TensorGroup& group) {
  RETUNE_CHECK(group.base && group.inputs.size() == 2, "{}: slerp takes a base and one model",
               group.name);
  const std::vector<float>& a = group.inputs[*group.base];
  const std::vector<float>& b = group.inputs[1 - *group.base];
  const auto t = static_cast<float>(group.parameters.number("t"));
  const size_t n = a.size();
  const VectorView all{0, 1, n};
  constexpr double kEps = 1e-8;
  double norm_a = norm(a, all);
  double norm_b = norm(b, all);
  const auto fa = static_cast<float>(norm_a);
  const auto fb = static_cast<float>(norm_b);
  const float na = fa > kEps ? fa : 1.0f;
  const float nb = fb > kEps ? fb : 1.0f;
  double dot = 0;
  for (size_t i = 0; i < n; ++i) {
    dot += static_cast<double>(a[i] / na) * static_cast<double>(b[i] / nb);
  }
  const float d = std::clamp(static_cast<float>(dot), -1.0f, 1.0f);
  float coef_a = 1 - t;
  float coef_b = t;
  if (std::fabs(d) <= 0.9995f) {
    const float theta = std::acos(d);
    const float sin_theta = std::sin(theta);
    coef_a = std::sin((1 - t) * theta) / sin_theta;
    coef_b = std::sin(t * theta) / sin_theta;
  }
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = coef_a * a[i] + coef_b * b[i];
  return out;
}

std::vector<float> nuslerp_merge(TensorGroup& group) {
  std::vector<size_t> others;
  for (size_t i = 0; i < group.inputs.size(); ++i) {
    if (!group.base || i != *group.base) others.push_back(i);
  }
  RETUNE_CHECK(others.size() == 2, "{}: nuslerp takes two models besides the base", group.name);
  const double w0 = group.parameters.number("weight", others[0]);
  const double w1 = group.parameters.number("weight", others[1]);
  const double total = w0 + w1;
  const auto t = static_cast<float>(std::fabs(total) < 1e-6 ? 0.5 : w1 / total);
  std::vector<float>& a = group.inputs[others[0]];
  std::vector<float>& b = group.inputs[others[1]];
  const size_t n = a.size();
  if (group.base) {
    const std::vector<float>& base = group.inputs[*group.base];
    for (size_t i = 0; i < n; ++i) {
      a[i] -= base[i];
      b[i] -= base[i];
    }
  }
  std::vector<float> out(n);
  const bool flatten = group.parameters.flag("nuslerp_flatten");
  const bool row_wise = group.parameters.flag("nuslerp_row_wise");
  const auto last =
      static_cast<size_t>(group.shape.rank() == 0 ? 1 : group.shape[group.shape.rank() - 1]);
  if (flatten || group.shape.rank() <= 1) {
    nuslerp_vector(t, a, b, {0, 1, n}, out);
  } else if (!row_wise) {
    for (size_t row = 0; row < n / last; ++row) nuslerp_vector(t, a, b, {row * last, 1, last}, out);
  } else {
    // Vectors along dimension 0: one per index of the remaining dimensions.
    const auto first = static_cast<size_t>(group.shape[0]);
    const size_t inner = n / first;
    for (size_t j = 0; j < inner; ++j) nuslerp_vector(t, a, b, {j, inner, first}, out);
  }
  if (group.base) {
    const std::vector<float>& base = group.inputs[*group.base];
    for (size_t i = 0; i < n; ++i) out[i] = base[i] + out[i];
  }
  return out;
}

}  // namespace retune::merge
