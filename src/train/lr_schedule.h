// LrSchedule: the learning rate of every optimizer step, as a value type and a pure function.
//
// learning_rate(schedule, s) is the lr of optimizer step s, 0-based: s steps have been taken
// before it. That is transformers' convention: Trainer calls lr_scheduler.step() after each
// optimizer step, so step s runs with peak_lr * lr_lambda(s). Below, P = peak_lr, N =
// total_steps, W = warmup_steps, r = min_lr_ratio, and every "HF" name is a function of
// transformers 5.24.0 src/transformers/optimization.py, the lambda computed as there.
//
// Warmup (every kind but infinite), s < W:  P * (s / W)
//   (HF's float(s) / float(max(1, W)); warmup_stable_decay: P * ((s / W) * (1 - r) + r).)
//
//   constant:  P.  HF get_constant_schedule_with_warmup (W = 0: get_constant_schedule).
//   linear:    P * max(0, (N - s) / max(1, N - W)), reaching 0 at s = N.
//              HF get_linear_schedule_with_warmup.
//   cosine:    P * (f * (1 - r) + r), f = 0.5 * (1 + cos(pi * p)), p = (s - W) / max(1, N - W).
//              HF get_cosine_schedule_with_warmup with num_cycles 0.5 when r = 0,
//              get_cosine_with_min_lr_schedule_with_warmup with min_lr_rate r otherwise.
//   warmup_stable_decay: with D = decay_steps, P until s = N - D; then over the last D steps
//              P * (f * (1 - r) + r), p = (s - (N - D)) / max(1, D), f = decay_shape:
//              cosine 0.5 * (1 + cos(pi * p)), linear 1 - p, one_minus_sqrt 1 - sqrt(p).
//              HF get_wsd_schedule as get_scheduler("warmup_stable_decay", num_warmup_steps W,
//              num_training_steps N, num_decay_steps D, decay_type, min_lr_ratio r) builds it:
//              warmup_type "linear", num_cycles 0.5; its warmup starts at r * P, not 0.
//   infinite:  METHODS.md B2, Pauljanson002/MAE-1 infinite_scheduler.py infinite_lr (decay_style
//              cosine_cooldown_infinite / inverse_sqrt_infinite / constant_infinite), computed
//              as there. No HF equivalent. See InfiniteSchedule.
//
// For s >= N every kind keeps its value at the end (p is clamped to 1): 0 for linear, r * P for
// cosine and warmup_stable_decay, the anneal's floor for infinite. (HF's cosine rises again past
// N; a trainer never asks.)
//
// Re-warm (METHODS.md B1, re-warming and re-decaying for continual pre-training): with
// rewarm_at = R, steps before R follow the schedule above unchanged. From R on the schedule
// starts again over the N - R steps left, with peak P' = P * rewarm_peak_ratio, and with its
// warmup replaced by a linear rise over Wr = rewarm_steps steps from the lr it reached at R,
// a = lr(R) of the schedule without re-warm, to P':
//   R <= s < R + Wr:  P' * (q * (1 - a / P') + a / P'),  q = (s - R) / Wr
//   s >= R + Wr:      the kind's post-warmup formula above with P -> P', s -> s - R,
//                     N -> N - R, W -> Wr (r, decay_steps, decay_shape unchanged), so cosine
//                     re-decays to r * P', linear to 0 at N, warmup_stable_decay decays over
//                     the last D steps, constant stays at P'.
// The lr is continuous at R (q = 0 gives a). B1's recipe is kind cosine with min_lr_ratio 0.1
// and rewarm_at the first step on the new data; Wr defaults to 1% of the steps left, rounded
// up ("about 1% of D1 steps"). The infinite schedule takes no re-warm (B2's point is that it
// needs none): a later task sets infinite.task_start instead.
#pragma once

#include <cstdint>
#include <optional>

namespace retune::train {

enum class LrScheduleKind { constant, linear, cosine, warmup_stable_decay, infinite };

// warmup_stable_decay's decay: HF decay_type "cosine", "linear", "1-sqrt".
enum class DecayShape { cosine, linear, one_minus_sqrt };

// The infinite schedule's cooldown from the peak to the constant lr, p in [0, 1]:
//   cosine:       c + (P - c) / 2 * (1 + cos(pi * p))
//   inverse_sqrt: P + (c - P) / g(1) * g(p),  g(p) = 1 / sqrt(1 + timescale * p) - 1
//   linear:       P - (P - c) * p
enum class CooldownShape { cosine, inverse_sqrt, linear };

// METHODS.md B2. T = total_steps; the phase ends are floor(T * fraction), as infinite_lr's
// int(total_iterations * ratio). With c = constant_lr_ratio * P, m = min_lr_ratio * P (the
// schedule's min_lr_ratio, which must be > 0 here):
//   first task (task_start = 0):
//     s < Ew = floor(T * warmup_end):                P * s / Ew
//     s < Ec = floor(T * cooldown_end):              the cooldown with p = (s - Ew) / (Ec - Ew)
//     s < Ea = floor(T * constant_end):              c
//     s >= Ea:  c * exp(-ln(c / m) * t / (T - Ea)), t = min(s - Ea, T - Ea): m at s = T
//   later task (task_start = S > 0, no warmup or cooldown): c until
//     Ea = S + floor((T - S) * constant_end), then the same anneal to m at T.
// A later task started from the first task's pre-anneal checkpoint at c is B2's branch; one
// started after the first task's anneal is what infinite_lr does (it restarts at c).
struct InfiniteSchedule {
  double warmup_end = 0.05;    // fractions of T, 0 <= warmup_end <= cooldown_end
  double cooldown_end = 0.15;  //   <= constant_end <= 1
  double constant_end = 0.80;
  double constant_lr_ratio = 0.1;  // c / P, in [min_lr_ratio, 1]
  CooldownShape cooldown = CooldownShape::cosine;
  double timescale = 10;   // tau of the inverse_sqrt cooldown, > 0
  int64_t task_start = 0;  // 0: the first task; > 0: a later task starting at this step
};

struct LrSchedule {
  LrScheduleKind kind = LrScheduleKind::linear;  // HF TrainingArguments' default
  double peak_lr = 5e-5;                         // P (HF learning_rate), > 0
  int64_t total_steps = 0;                       // N, >= 1: the optimizer steps of the run
  int64_t warmup_steps = 0;  // W in [0, N]; 0 for infinite (its warmup is warmup_end)
  // HF TrainingArguments' warmup_steps below 1 (transformers 5, where it replaces warmup_ratio):
  // W = ceil(N * warmup_fraction), in [0, 1); set only with warmup_steps 0.
  double warmup_fraction = 0;
  double min_lr_ratio = 0;  // r in [0, 1]: cosine, warmup_stable_decay, infinite (> 0)
  int64_t decay_steps = 0;  // D in [0, N - W]: warmup_stable_decay
  DecayShape decay_shape = DecayShape::cosine;  // warmup_stable_decay
  InfiniteSchedule infinite;                    // infinite

  std::optional<int64_t> rewarm_at;     // R in [0, N); none: no re-warm
  std::optional<int64_t> rewarm_steps;  // Wr in [0, N - R] (- D for warmup_stable_decay)
  double rewarm_peak_ratio = 1.0;       // P' / P, > 0
};

// W: warmup_steps, or the warmup_fraction of the total steps rounded up (HF's get_warmup_steps).
int64_t warmup_steps_of(const LrSchedule& schedule);

// Throws retune::Error naming the first field out of range, e.g.
// "schedule.warmup_steps must be <= total steps (100), got 150".
void validate_lr_schedule(const LrSchedule& schedule);

// The lr of optimizer step `step` (>= 0). Validates the schedule.
double learning_rate(const LrSchedule& schedule, int64_t step);

}  // namespace retune::train
