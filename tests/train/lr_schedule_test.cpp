// Learning-rate schedules: values at key steps worked out by hand, every step against the lambda
// of transformers 5.24.0 src/transformers/optimization.py (transcribed below) or against
// Pauljanson002/MAE-1 infinite_scheduler.py infinite_lr, monotonicity, continuity across phase
// boundaries, re-warm, and the rejected parameters.
#include "train/lr_schedule.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numbers>

#include "support/error_of.h"

namespace retune::train {
namespace {

constexpr double kPeak = 1e-3;

// --- transformers 5.24.0 src/transformers/optimization.py, line for line ---

// _get_constant_schedule_with_warmup_lr_lambda
double hf_constant_with_warmup(int64_t step, int64_t warmup) {
  if (step < warmup) return static_cast<double>(step) / std::max(1.0, static_cast<double>(warmup));
  return 1.0;
}

// _get_linear_schedule_with_warmup_lr_lambda
double hf_linear(int64_t step, int64_t warmup, int64_t total) {
  if (step < warmup)
    return static_cast<double>(step) / static_cast<double>(std::max<int64_t>(1, warmup));
  return std::max(0.0, static_cast<double>(total - step) /
                           static_cast<double>(std::max<int64_t>(1, total - warmup)));
}

// _get_cosine_schedule_with_warmup_lr_lambda, the definition taking min_lr_rate (the module's
// second one, which both get_cosine_schedule_with_warmup and
// get_cosine_with_min_lr_schedule_with_warmup call), num_cycles 0.5.
double hf_cosine(int64_t step, int64_t warmup, int64_t total, double min_lr_rate) {
  if (step < warmup)
    return static_cast<double>(step) / static_cast<double>(std::max<int64_t>(1, warmup));
  const double progress = static_cast<double>(step - warmup) /
                          static_cast<double>(std::max<int64_t>(1, total - warmup));
  double factor = 0.5 * (1.0 + std::cos(std::numbers::pi * 0.5 * 2.0 * progress));
  factor = factor * (1 - min_lr_rate) + min_lr_rate;
  return std::max(0.0, factor);
}

// _get_wsd_scheduler_lambda with warmup_type "linear", num_cycles 0.5, and num_stable_steps as
// get_wsd_schedule derives it from num_training_steps.
double hf_wsd(int64_t step, int64_t warmup, int64_t total, int64_t decay, DecayShape shape,
              double min_lr_ratio) {
  const int64_t stable = total - warmup - decay;
  if (step < warmup) {
    const double progress =
        static_cast<double>(step) / static_cast<double>(std::max<int64_t>(1, warmup));
    return std::max(0.0, progress * (1.0 - min_lr_ratio) + min_lr_ratio);
  }
  if (step < warmup + stable) return 1.0;
  if (step < warmup + stable + decay) {
    const double progress = static_cast<double>(step - warmup - stable) /
                            static_cast<double>(std::max<int64_t>(1, decay));
    double factor = 0;
    if (shape == DecayShape::linear) factor = 1.0 - progress;
    if (shape == DecayShape::cosine) {
      factor = 0.5 * (1.0 + std::cos(std::numbers::pi * 0.5 * 2.0 * progress));
    }
    if (shape == DecayShape::one_minus_sqrt) factor = 1.0 - std::sqrt(progress);
    return std::max(0.0, factor * (1.0 - min_lr_ratio) + min_lr_ratio);
  }
  return min_lr_ratio;
}

// Pauljanson002/MAE-1 infinite_scheduler.py infinite_lr, line for line (one epoch, so
// actual_current_iter = current_iter and total_iterations = total_iters; its `<=` boundaries).
double mae_infinite_lr(int64_t current_iter, int64_t total_iterations, int current_task,
                       CooldownShape decay_style, double start_lr = 1e-3, double constant_lr = 1e-4,
                       double min_lr = 1e-5) {
  const double warmup_ratio = 0.05, cooldown_ratio = 0.15, constant_ratio = 0.80, timescale = 10;
  auto int_of = [](double x) { return static_cast<int64_t>(x); };
  const double iter = static_cast<double>(current_iter);
  const int64_t constant_iters = int_of(static_cast<double>(total_iterations) * constant_ratio);
  const int64_t decay_iters = total_iterations - constant_iters;
  if (current_task == 0) {
    const int64_t warmup_iters = int_of(static_cast<double>(total_iterations) * warmup_ratio);
    const int64_t cooldown_iters = int_of(static_cast<double>(total_iterations) * cooldown_ratio);
    if (current_iter <= warmup_iters) return (iter / static_cast<double>(warmup_iters)) * start_lr;
    if (current_iter <= cooldown_iters) {
      const double p = (iter - static_cast<double>(warmup_iters)) /
                       static_cast<double>(cooldown_iters - warmup_iters);
      if (decay_style == CooldownShape::linear) return start_lr - ((start_lr - constant_lr) * p);
      if (decay_style == CooldownShape::inverse_sqrt) {
        auto inv_f = [&](double t) { return (1 / std::sqrt(1 + (timescale * t))) - 1; };
        return start_lr + ((constant_lr - start_lr) / inv_f(1) * inv_f(p));
      }
      return constant_lr + ((start_lr - constant_lr) / 2.0 * (std::cos(std::numbers::pi * p) + 1));
    }
    if (current_iter <= constant_iters) return constant_lr;
    const double exp_factor =
        -std::log(min_lr / constant_lr) / static_cast<double>(total_iterations - constant_iters);
    return constant_lr *
           std::exp(-1 * exp_factor * static_cast<double>(current_iter - constant_iters));
  }
  if (current_iter <= constant_iters) return constant_lr;
  const double exp_factor = std::log(constant_lr / min_lr) / static_cast<double>(decay_iters);
  return constant_lr * std::exp(-exp_factor * static_cast<double>(current_iter - constant_iters));
}

// Every step of [begin, end) of `schedule` against peak * reference(step).
void expect_matches(const LrSchedule& schedule, int64_t begin, int64_t end,
                    const std::function<double(int64_t)>& reference) {
  for (int64_t s = begin; s < end; ++s) {
    ASSERT_NEAR(learning_rate(schedule, s), reference(s), 1e-15) << "step " << s;
  }
}

// The largest |lr(s + 1) - lr(s)| over the schedule's steps.
double largest_jump(const LrSchedule& schedule) {
  double jump = 0;
  for (int64_t s = 0; s + 1 < schedule.total_steps; ++s) {
    jump = std::max(jump, std::abs(learning_rate(schedule, s + 1) - learning_rate(schedule, s)));
  }
  return jump;
}

// lr is non-decreasing on [begin, end) when `up`, non-increasing otherwise.
void expect_monotone(const LrSchedule& schedule, int64_t begin, int64_t end, bool up) {
  for (int64_t s = begin; s + 1 < end; ++s) {
    const double a = learning_rate(schedule, s), b = learning_rate(schedule, s + 1);
    ASSERT_TRUE(up ? b >= a : b <= a) << "steps " << s << ", " << s + 1 << ": " << a << ", " << b;
  }
}

TEST(LrSchedule, ConstantWithWarmupMatchesHf) {
  const LrSchedule s{
      .kind = LrScheduleKind::constant, .peak_lr = kPeak, .total_steps = 100, .warmup_steps = 10};
  EXPECT_EQ(learning_rate(s, 0), 0.0);  // HF's first step runs at lr 0 after a warmup
  EXPECT_DOUBLE_EQ(learning_rate(s, 5), 5e-4);
  EXPECT_DOUBLE_EQ(learning_rate(s, 10), kPeak);
  EXPECT_DOUBLE_EQ(learning_rate(s, 99), kPeak);
  expect_matches(s, 0, 100, [](int64_t t) { return kPeak * hf_constant_with_warmup(t, 10); });
  LrSchedule flat = s;
  flat.warmup_steps = 0;  // HF get_constant_schedule
  EXPECT_DOUBLE_EQ(learning_rate(flat, 0), kPeak);
}

TEST(LrSchedule, LinearMatchesHf) {
  const LrSchedule s{
      .kind = LrScheduleKind::linear, .peak_lr = kPeak, .total_steps = 100, .warmup_steps = 10};
  EXPECT_DOUBLE_EQ(learning_rate(s, 5), 5e-4);
  EXPECT_DOUBLE_EQ(learning_rate(s, 10), kPeak);
  EXPECT_DOUBLE_EQ(learning_rate(s, 55), kPeak / 2);  // (100 - 55) / 90
  EXPECT_DOUBLE_EQ(learning_rate(s, 99), kPeak / 90);
  EXPECT_EQ(learning_rate(s, 100), 0.0);
  EXPECT_EQ(learning_rate(s, 150), 0.0);
  expect_matches(s, 0, 200, [](int64_t t) { return kPeak * hf_linear(t, 10, 100); });
}

// A warmup fraction (HF's warmup_steps below 1) is ceil(N * fraction) steps: 0.03 of 250 steps
// is 8 (7.5 rounded up), as HF's get_warmup_steps.
TEST(LrSchedule, AWarmupFractionIsItsShareOfTheStepsRoundedUp) {
  const LrSchedule s{.kind = LrScheduleKind::linear,
                     .peak_lr = kPeak,
                     .total_steps = 250,
                     .warmup_fraction = 0.03};
  EXPECT_EQ(warmup_steps_of(s), 8);
  expect_matches(s, 0, 250, [](int64_t t) { return kPeak * hf_linear(t, 8, 250); });
  LrSchedule steps = s;
  steps.warmup_fraction = 0;
  steps.warmup_steps = 8;
  EXPECT_EQ(warmup_steps_of(steps), 8);
}

TEST(LrSchedule, CosineMatchesHfCosineAndCosineWithMinLr) {
  LrSchedule s{
      .kind = LrScheduleKind::cosine, .peak_lr = kPeak, .total_steps = 110, .warmup_steps = 10};
  EXPECT_DOUBLE_EQ(learning_rate(s, 10), kPeak);
  EXPECT_DOUBLE_EQ(learning_rate(s, 60), kPeak / 2);  // half-way: cos(pi / 2) = 0
  EXPECT_NEAR(learning_rate(s, 110), 0.0, 1e-19);
  expect_matches(s, 0, 110, [](int64_t t) { return kPeak * hf_cosine(t, 10, 110, 0.0); });

  s.min_lr_ratio = 0.1;
  EXPECT_DOUBLE_EQ(learning_rate(s, 60), 0.55 * kPeak);
  EXPECT_DOUBLE_EQ(learning_rate(s, 110), 0.1 * kPeak);
  EXPECT_DOUBLE_EQ(learning_rate(s, 500), 0.1 * kPeak);  // kept past the end (HF rises again)
  expect_matches(s, 0, 110, [](int64_t t) { return kPeak * hf_cosine(t, 10, 110, 0.1); });
}

TEST(LrSchedule, WarmupStableDecayMatchesHfForEveryDecayShape) {
  // Warmup 10 (from 0.1 P, as HF's), stable to step 80, decay over the last 20.
  LrSchedule s{.kind = LrScheduleKind::warmup_stable_decay,
               .peak_lr = kPeak,
               .total_steps = 100,
               .warmup_steps = 10,
               .min_lr_ratio = 0.1,
               .decay_steps = 20};
  const double at_90[] = {0.55, 0.55, 0.36360389693210715};  // 1 - sqrt(1/2) = 0.29289...
  for (DecayShape shape : {DecayShape::cosine, DecayShape::linear, DecayShape::one_minus_sqrt}) {
    SCOPED_TRACE(static_cast<int>(shape));
    s.decay_shape = shape;
    EXPECT_DOUBLE_EQ(learning_rate(s, 0), 0.1 * kPeak);
    EXPECT_DOUBLE_EQ(learning_rate(s, 5), 0.55 * kPeak);
    EXPECT_DOUBLE_EQ(learning_rate(s, 10), kPeak);
    EXPECT_DOUBLE_EQ(learning_rate(s, 80), kPeak);
    EXPECT_DOUBLE_EQ(learning_rate(s, 90), at_90[static_cast<int>(shape)] * kPeak);
    EXPECT_DOUBLE_EQ(learning_rate(s, 100), 0.1 * kPeak);
    expect_matches(s, 0, 130,
                   [&](int64_t t) { return kPeak * hf_wsd(t, 10, 100, 20, shape, 0.1); });
    expect_monotone(s, 0, 10, true);
    expect_monotone(s, 10, 130, false);
  }
  s.decay_steps = 0;  // no decay: P to the end, then HF's min_lr_ratio
  EXPECT_DOUBLE_EQ(learning_rate(s, 99), kPeak);
  EXPECT_DOUBLE_EQ(learning_rate(s, 100), 0.1 * kPeak);
}

LrSchedule infinite(int64_t total, CooldownShape cooldown, int64_t task_start = 0) {
  return {.kind = LrScheduleKind::infinite,
          .peak_lr = kPeak,
          .total_steps = total,
          .min_lr_ratio = 0.01,
          .infinite = {.cooldown = cooldown, .task_start = task_start}};
}

TEST(LrSchedule, InfiniteFollowsTheB2Phases) {
  // T = 1000: warmup to 50, cooldown to 150, constant 1e-4 to 800, anneal to 1e-5 at 1000.
  const LrSchedule s = infinite(1000, CooldownShape::cosine);
  EXPECT_EQ(learning_rate(s, 0), 0.0);
  EXPECT_DOUBLE_EQ(learning_rate(s, 25), 5e-4);
  EXPECT_DOUBLE_EQ(learning_rate(s, 50), kPeak);
  EXPECT_DOUBLE_EQ(learning_rate(s, 100), 5.5e-4);  // c + (P - c) / 2 at p = 1/2
  EXPECT_DOUBLE_EQ(learning_rate(s, 150), 1e-4);
  EXPECT_DOUBLE_EQ(learning_rate(s, 800), 1e-4);
  EXPECT_DOUBLE_EQ(learning_rate(s, 900), 1e-4 / std::sqrt(10.0));  // c (m / c)^(1/2)
  EXPECT_DOUBLE_EQ(learning_rate(s, 1000), 1e-5);
  EXPECT_DOUBLE_EQ(learning_rate(s, 5000), 1e-5);

  EXPECT_DOUBLE_EQ(learning_rate(infinite(1000, CooldownShape::linear), 100), 5.5e-4);
  // P + (c - P) g(1/2) / g(1), g(p) = 1 / sqrt(1 + 10 p) - 1.
  EXPECT_DOUBLE_EQ(learning_rate(infinite(1000, CooldownShape::inverse_sqrt), 100),
                   0.0002375301524967779);

  for (CooldownShape shape :
       {CooldownShape::cosine, CooldownShape::inverse_sqrt, CooldownShape::linear}) {
    SCOPED_TRACE(static_cast<int>(shape));
    const LrSchedule t = infinite(1000, shape);
    expect_matches(t, 0, 1000, [&](int64_t i) { return mae_infinite_lr(i, 1000, 0, shape); });
    expect_monotone(t, 0, 50, true);
    expect_monotone(t, 50, 1200, false);
    // Continuous: no step moves more than the steepest phase (the inverse-sqrt cooldown's start,
    // 0.9 P * 5 / 0.6985 / 100 = 0.064 P), far below any jump between phases.
    EXPECT_LT(largest_jump(t), 0.065 * kPeak);
  }
}

TEST(LrSchedule, InfiniteLaterTaskStaysConstantThenAnneals) {
  // Task 2 from step 400 to 1000: c until 400 + floor(600 * 0.8) = 880, then anneal to m.
  const LrSchedule s = infinite(1000, CooldownShape::cosine, 400);
  EXPECT_DOUBLE_EQ(learning_rate(s, 400), 1e-4);
  EXPECT_DOUBLE_EQ(learning_rate(s, 880), 1e-4);
  EXPECT_DOUBLE_EQ(learning_rate(s, 940), 1e-4 / std::sqrt(10.0));
  EXPECT_DOUBLE_EQ(learning_rate(s, 1000), 1e-5);
  // infinite_lr for current_task 1 counts iterations from the task's start.
  expect_matches(s, 400, 1000,
                 [](int64_t i) { return mae_infinite_lr(i - 400, 600, 1, CooldownShape::cosine); });
}

TEST(LrSchedule, DecayingKindsAreMonotoneAndContinuous) {
  for (LrScheduleKind kind : {LrScheduleKind::linear, LrScheduleKind::cosine}) {
    SCOPED_TRACE(static_cast<int>(kind));
    const LrSchedule s{.kind = kind,
                       .peak_lr = kPeak,
                       .total_steps = 1000,
                       .warmup_steps = 100,
                       .min_lr_ratio = 0.1};
    expect_monotone(s, 0, 100, true);
    expect_monotone(s, 100, 1100, false);
    EXPECT_LE(largest_jump(s), kPeak / 100 * (1 + 1e-12));  // the warmup's slope is the steepest
  }
}

TEST(LrSchedule, RewarmRisesFromTheLrReachedThenDecaysOverTheRest) {
  // B1: cosine to 0.1 P over 1000 steps; at 600 re-warm over 40 steps to P' = P / 2, then a
  // cosine from P' to 0.1 P' over the 360 steps left.
  LrSchedule base{.kind = LrScheduleKind::cosine,
                  .peak_lr = kPeak,
                  .total_steps = 1000,
                  .warmup_steps = 100,
                  .min_lr_ratio = 0.1};
  LrSchedule s = base;
  s.rewarm_at = 600;
  s.rewarm_steps = 40;
  s.rewarm_peak_ratio = 0.5;
  const double reached = learning_rate(base, 600);
  for (int64_t t : {0, 50, 100, 599}) EXPECT_EQ(learning_rate(s, t), learning_rate(base, t));
  EXPECT_DOUBLE_EQ(learning_rate(s, 600), reached);  // continuous at the re-warm
  EXPECT_DOUBLE_EQ(learning_rate(s, 620), (reached + 0.5 * kPeak) / 2);
  EXPECT_DOUBLE_EQ(learning_rate(s, 640), 0.5 * kPeak);
  EXPECT_DOUBLE_EQ(learning_rate(s, 820), 0.55 * 0.5 * kPeak);  // half-way through 640..1000
  EXPECT_DOUBLE_EQ(learning_rate(s, 1000), 0.1 * 0.5 * kPeak);
  expect_monotone(s, 600, 640, true);
  expect_monotone(s, 640, 1000, false);
  // The re-decay is the cosine schedule itself, restarted over the steps after rewarm_at.
  const LrSchedule rest{.kind = LrScheduleKind::cosine,
                        .peak_lr = 0.5 * kPeak,
                        .total_steps = 400,
                        .warmup_steps = 40,
                        .min_lr_ratio = 0.1};
  expect_matches(s, 640, 1000, [&](int64_t t) { return learning_rate(rest, t - 600); });

  // Default length: 1% of the 401 steps left, rounded up (5); the default peak is P.
  s.rewarm_at = 599;
  s.rewarm_steps.reset();
  s.rewarm_peak_ratio = 1.0;
  EXPECT_DOUBLE_EQ(learning_rate(s, 603), learning_rate(base, 599) * 0.2 + kPeak * 0.8);
  EXPECT_DOUBLE_EQ(learning_rate(s, 604), kPeak);

  // Linear re-decays to 0 at the end; warmup_stable_decay holds P' and decays over the last D.
  LrSchedule linear{.kind = LrScheduleKind::linear,
                    .peak_lr = kPeak,
                    .total_steps = 100,
                    .rewarm_at = 50,
                    .rewarm_steps = 10};
  EXPECT_DOUBLE_EQ(learning_rate(linear, 60), kPeak);
  EXPECT_DOUBLE_EQ(learning_rate(linear, 80), kPeak / 2);
  EXPECT_EQ(learning_rate(linear, 100), 0.0);
  LrSchedule wsd{.kind = LrScheduleKind::warmup_stable_decay,
                 .peak_lr = kPeak,
                 .total_steps = 100,
                 .decay_steps = 20,
                 .rewarm_at = 50,
                 .rewarm_steps = 10};
  EXPECT_DOUBLE_EQ(learning_rate(wsd, 79), kPeak);
  EXPECT_DOUBLE_EQ(learning_rate(wsd, 90), kPeak / 2);
  EXPECT_EQ(learning_rate(wsd, 100), 0.0);
}

TEST(LrSchedule, RejectsBadParametersNamingTheField) {
  // The message for `s` changed by `edit`.
  auto error = [](LrSchedule s, auto edit) {
    edit(s);
    return error_of([&] { validate_lr_schedule(s); });
  };
  const LrSchedule ok{.kind = LrScheduleKind::cosine, .peak_lr = kPeak, .total_steps = 100};
  auto with = [&](auto edit) { return error(ok, edit); };
  EXPECT_EQ(with([](LrSchedule&) {}), "no error");
  EXPECT_EQ(with([](LrSchedule& s) { s.total_steps = 0; }),
            "schedule.total_steps must be >= 1, got 0");
  EXPECT_EQ(with([](LrSchedule& s) { s.peak_lr = 0; }), "schedule.peak_lr must be > 0, got 0");
  EXPECT_EQ(with([](LrSchedule& s) { s.peak_lr = NAN; }), "schedule.peak_lr must be > 0, got nan");
  EXPECT_EQ(with([](LrSchedule& s) { s.warmup_steps = 150; }),
            "schedule.warmup_steps must be <= total steps (100), got 150");
  EXPECT_EQ(with([](LrSchedule& s) { s.warmup_steps = -1; }),
            "schedule.warmup_steps must be >= 0, got -1");
  EXPECT_EQ(with([](LrSchedule& s) { s.warmup_fraction = 1; }),
            "schedule.warmup_steps as a fraction of the steps must be in [0, 1), got 1");
  EXPECT_EQ(with([](LrSchedule& s) {
              s.warmup_fraction = 0.1;
              s.warmup_steps = 3;
            }),
            "schedule: warmup_steps 3 and a warmup fraction 0.1: give one");
  EXPECT_EQ(with([](LrSchedule& s) { s.min_lr_ratio = 1.5; }),
            "schedule.min_lr_ratio must be in [0, 1], got 1.5");
  EXPECT_EQ(with([](LrSchedule& s) {
              s.kind = LrScheduleKind::warmup_stable_decay;
              s.warmup_steps = 20;
              s.decay_steps = 90;
            }),
            "schedule.decay_steps must be in [0, total steps minus warmup steps (80)], got 90");
  EXPECT_EQ(with([](LrSchedule& s) { s.rewarm_at = 100; }),
            "schedule.rewarm_at must be in [0, total steps (100)), got 100");
  EXPECT_EQ(with([](LrSchedule& s) {
              s.rewarm_at = 90;
              s.rewarm_steps = 11;
            }),
            "schedule.rewarm_steps must be in [0, 10] (the steps after rewarm_at), got 11");
  EXPECT_EQ(with([](LrSchedule& s) { s.rewarm_steps = 5; }),
            "schedule.rewarm_steps needs schedule.rewarm_at");
  EXPECT_EQ(with([](LrSchedule& s) {
              s.rewarm_at = 10;
              s.rewarm_peak_ratio = 0;
            }),
            "schedule.rewarm_peak_ratio must be > 0, got 0");

  auto inf = [&](auto edit) { return error(infinite(100, CooldownShape::cosine), edit); };
  EXPECT_EQ(inf([](LrSchedule&) {}), "no error");
  EXPECT_EQ(inf([](LrSchedule& s) { s.warmup_steps = 5; }),
            "schedule.warmup_steps must be 0 for the infinite schedule (its warmup ends at "
            "infinite.warmup_end), got 5");
  EXPECT_EQ(inf([](LrSchedule& s) { s.min_lr_ratio = 0; }),
            "schedule.min_lr_ratio must be > 0 for the infinite schedule (it anneals "
            "exponentially to it), got 0");
  EXPECT_EQ(inf([](LrSchedule& s) { s.infinite.constant_lr_ratio = 0.001; }),
            "schedule.infinite.constant_lr_ratio must be in [min_lr_ratio (0.01), 1], got 0.001");
  EXPECT_EQ(inf([](LrSchedule& s) { s.infinite.warmup_end = 0.2; }),
            "schedule.infinite.warmup_end must be in [0, cooldown_end (0.15)], got 0.2");
  EXPECT_EQ(inf([](LrSchedule& s) { s.infinite.cooldown_end = 0.9; }),
            "schedule.infinite.cooldown_end must be <= constant_end (0.8), got 0.9");
  EXPECT_EQ(inf([](LrSchedule& s) { s.infinite.constant_end = 1.1; }),
            "schedule.infinite.constant_end must be <= 1, got 1.1");
  EXPECT_EQ(inf([](LrSchedule& s) { s.infinite.timescale = 0; }),
            "schedule.infinite.timescale must be > 0, got 0");
  EXPECT_EQ(inf([](LrSchedule& s) { s.infinite.task_start = 100; }),
            "schedule.infinite.task_start must be in [0, total steps (100)), got 100");
  EXPECT_EQ(inf([](LrSchedule& s) { s.rewarm_at = 10; }),
            "schedule.rewarm_at cannot be used with the infinite schedule (a later task sets "
            "infinite.task_start)");

  EXPECT_EQ(error_of([&] { learning_rate(ok, -1); }), "learning_rate: step must be >= 0, got -1");
}

}  // namespace
}  // namespace retune::train
