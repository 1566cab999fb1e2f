// PolyLinear: Polytropon / multi-head routing (Poly, MHR) on one frozen linear layer, as PEFT
// 0.21's poly.Linear and PolyRouter compute it (huggingface/peft src/peft/tuners/poly/layer.py,
// router.py): an inventory of n_skills LoRA pairs, each cut into n_splits blocks, mixed per
// sequence by a learned routing table indexed by the sequence's task.
//
//   q = n_splits, s = n_skills, r the rank, I / O the linear's in / out features (both divisible
//   by q). Parameters (owned f32, PEFT's names and shapes):
//     poly_lora_A                 [q, s, I/q, r]
//     poly_lora_B                 [q, s, r, O/q]
//     poly_router.module_logits   Z [n_tasks, q*s]
//   For a sequence of task t, with Z_t viewed as [q, s]:
//     eval (apply()):             u = sigmoid(Z_t)
//     train (forward()):          u = sigmoid(Z_t + log(e) - log(1 - e)), e uniform in
//                                 [eps, 1 - eps] (eps = 2^-23, torch's clamp_probs): a
//                                 RelaxedBernoulli(temperature 1, logits Z_t).rsample()
//     w[p, k] = u[p, k] / (sum_k u[p, k] + 1e-12)             normalised over skills per split
//     A_t = concat over splits p (along I) of sum_k w[p, k] A[p, k]      [I, r]
//     B_t = concat over splits p (along O) of sum_k w[p, k] B[p, k]      [r, O]
//     z <- z + (x A_t) B_t / r                                 (scale 1/r, no alpha)
//   The uniforms of the k-th forward() come from counter_uniform(seed, offset + index), offset
//   advancing by (sequences * q * s) per forward(): sample_offset() / set_sample_offset() let a
//   resumed run draw what an uninterrupted one would.
//   With sample_routing(false) forward() routes as apply() does (PEFT's eval mode, which its
//   gradient fixtures use).
//
// Rows and tasks: x [N, I] and z [N, O] (f32 contiguous, on the parameters' device: the CPU, or a
// GPU after move_to) hold N = R * T rows, R sequences of T rows each in order; the routes
// (PolyRoutes, shared by every module of an adapter) give the task of each sequence. No routes:
// every row takes task 0 when n_tasks is 1, else an Error.
//
// Initialisation (PEFT's reset_poly_parameters with init_weights true): every A[p, k] drawn as
// kaiming_uniform(a = sqrt(5)) of an [r, I/q] matrix (uniform in +-1/sqrt(I/q)), B = 0, Z uniform
// in [-1e-3, 1e-3]; each from Rng(seed), in that order.
//
// Backward, per sequence with g = dz / r: dB_t = h^T g with h = x A_t (recomputed from x),
// dh = g B_t^T, dA_t = x^T dh, dx (+)= dh A_t^T; dA[p, k] += w[p, k] dA_t(block p) and likewise
// dB; dw[p, k] = <A[p, k], dA_t(block p)> + <B[p, k], dB_t(block p)>, then through the
// normalisation and the sigmoid into dZ_t (the noise is a constant). With train_skills(false)
// (MHR-z) dA and dB are not computed. The base product's gradient is dz itself.
// Every product, the mixing of the skills and dw's inner products included, is a (batched)
// ops::matmul on the parameters' device (on a GPU in bf16 with f32 sums: w, A, B and dw then carry
// bf16's rounding); the routing weights (R q s numbers) and dw's way into dZ are computed on the
// host, which on a GPU reads the logits back after each change of them and dw once per backward.
//
// Memory: from forward() to backward() only the routing weights (R * q * s floats) are kept.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "adapters/adapter_parameter.h"
#include "model/linear_adapter.h"

namespace retune::adapters {

// The task of each sequence of the rows the next forward or apply runs on.
struct PolyRoutes {
  std::vector<int32_t> sequence_tasks;  // empty: no task given
};

struct PolyShape {
  int64_t r = 8;
  int64_t n_tasks = 1;
  int64_t n_skills = 4;
  int64_t n_splits = 1;
};

// One RelaxedBernoulli(temperature 1, logits `logit`) draw from a uniform in [0, 1):
// sigmoid(logit + log(e) - log(1 - e)), e the uniform clamped to [eps, 1 - eps].
float relaxed_bernoulli(float logit, float uniform);

class PolyLinear final : public model::LinearAdapter {
 public:
  // weight: the frozen [O, I] weight in nn.Linear layout (for Conv1D its transpose), viewed.
  // Throws an Error naming `name` when I or O is not divisible by n_splits or a size is < 1.
  PolyLinear(const std::string& name, Tensor weight, const PolyShape& shape, uint64_t seed,
             std::shared_ptr<const PolyRoutes> routes);

  void apply(const Tensor& x, const Tensor& z) const override;
  void forward(const Tensor& x, const Tensor& z) override;
  Tensor backward(const Tensor& x, const Tensor& dz, const Tensor& dx, bool accumulate_dx) override;

  // poly_lora_A, poly_lora_B, poly_router.module_logits with their gradients.
  std::vector<AdapterParameter> parameters() const;
  // Moves the parameters and their gradients to `device`, where `weight` is the model's moved
  // weight (model::move_weights, in nn.Linear layout), which the adapter views from now on
  // (checked against the current one: adapters/linear_adapter_checks.h). Drops a pending
  // forward().
  void move_to(Device device, const Tensor& weight);
  const PolyShape& shape() const { return shape_; }

  // Appends router rows for tasks n_tasks .. n_tasks - 1, drawn uniform in [-1e-3, 1e-3] from
  // Rng(seed) (PEFT's router init); the existing rows keep their values.
  void add_tasks(int64_t n_tasks, uint64_t seed);

  void sample_routing(bool on) { sample_ = on; }
  void train_skills(bool on) { train_skills_ = on; }
  uint64_t sample_offset() const { return offset_; }
  void set_sample_offset(uint64_t offset) { offset_ = offset; }

  // The routing weights w [q, s] of `task` (eval routing: sigmoid), normalised per split.
  std::vector<float> eval_weights(int64_t task) const;
  // W + (A_t B_t)^T / r [O, I] f32, new storage, with eval routing for `task`.
  Tensor merged_weight(int64_t task) const;
  // A_t [I, r] and B_t [r, O] for routing weights w [q, s], on the parameters' device.
  Tensor mixed_a(const std::vector<float>& w) const;
  Tensor mixed_b(const std::vector<float>& w) const;

 private:
  // The sequences' tasks for `rows` rows, and the rows per sequence.
  std::vector<int32_t> row_tasks(int64_t rows, int64_t* per_sequence) const;
  // u of every sequence [R * q * s], sigmoid of the logits (plus noise from `offset` when
  // sampling).
  std::vector<float> unnormalised(const std::vector<int32_t>& tasks, bool sample,
                                  uint64_t offset) const;
  std::vector<float> normalised(const std::vector<float>& u) const;
  // The logits on the host, read again only after they changed (their storage's version): a GPU
  // is waited for once per optimizer step, not at every forward.
  const std::vector<float>& host_logits() const;
  void run(const Tensor& x, const Tensor& z, const std::vector<int32_t>& tasks,
           int64_t per_sequence, const std::vector<float>& w) const;
  // The routing weights w [R, q, s] of R sequences on the parameters' device, as [R, q, 1, s],
  // or as [R, q, s, 1] (as_column).
  Tensor routing_tensor(const std::vector<float>& w, bool as_column) const;
  // mixed_a and mixed_b for one sequence's routing weights [q, 1, s] on the parameters' device.
  Tensor mixed_a_of(const Tensor& routing) const;
  Tensor mixed_b_of(const Tensor& routing) const;
  // B_t-shaped rows [r, O] as the splits' blocks [q, r O/q] (block p: the columns p O/q ..).
  Tensor b_blocks(const Tensor& rows) const;

  std::string name_;
  Tensor weight_;
  PolyShape shape_;
  int64_t in_ = 0, out_ = 0;
  uint64_t seed_ = 0;
  std::shared_ptr<const PolyRoutes> routes_;
  Tensor a_, a_grad_, b_, b_grad_, logits_, logits_grad_;
  bool sample_ = true;
  bool train_skills_ = true;
  uint64_t offset_ = 0;
  // The last forward(): tasks, rows per sequence, u (before normalisation).
  std::vector<int32_t> tasks_;
  int64_t per_sequence_ = 0;
  std::vector<float> u_;
  mutable std::vector<float> host_logits_;  // host_logits()'s copy, of the version below
  mutable uint64_t host_logits_version_ = 0;
};

}  // namespace retune::adapters
