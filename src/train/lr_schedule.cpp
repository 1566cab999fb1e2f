#include "train/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/error.h"

namespace retune::train {
namespace {

// Wr: rewarm_steps, or 1% of the steps left after R rounded up.
int64_t rewarm_length(const LrSchedule& s) {
  return s.rewarm_steps.value_or((s.total_steps - *s.rewarm_at + 99) / 100);
}

// lr / peak at local step `step` of one pass of the schedule's kind (not infinite) over `total`
// steps, whose warmup rises linearly over `warmup` steps from `warmup_from` (a fraction of the
// peak).
double lambda(const LrSchedule& s, int64_t total, int64_t warmup, double warmup_from,
              int64_t step) {
  const double r = s.min_lr_ratio;
  if (step < warmup) {
    const double q = static_cast<double>(step) / static_cast<double>(warmup);
    return q * (1.0 - warmup_from) + warmup_from;
  }
  auto progress = [](int64_t done, int64_t steps) {
    return std::min(1.0,
                    static_cast<double>(done) / static_cast<double>(std::max<int64_t>(1, steps)));
  };
  auto cosine = [](double p) { return 0.5 * (1.0 + std::cos(std::numbers::pi * p)); };
  if (s.kind == LrScheduleKind::constant) return 1.0;
  if (s.kind == LrScheduleKind::linear) {
    return std::max(0.0, static_cast<double>(total - step) /
                             static_cast<double>(std::max<int64_t>(1, total - warmup)));
  }
  if (s.kind == LrScheduleKind::cosine) {
    return cosine(progress(step - warmup, total - warmup)) * (1.0 - r) + r;
  }
  // warmup_stable_decay
  const int64_t decay_start = total - s.decay_steps;
  if (step < decay_start) return 1.0;
  if (step >= total) return r;
  const double p = progress(step - decay_start, s.decay_steps);
  const double f = s.decay_shape == DecayShape::cosine   ? cosine(p)
                   : s.decay_shape == DecayShape::linear ? 1.0 - p
                                                         : 1.0 - std::sqrt(p);
  return f * (1.0 - r) + r;
}

// int(T * fraction), as infinite_lr computes its phase ends.
int64_t phase_end(int64_t steps, double fraction) {
  return static_cast<int64_t>(std::floor(static_cast<double>(steps) * fraction));
}

// infinite_lr of Pauljanson002/MAE-1 infinite_scheduler.py, in its operation order.
double infinite_lr(const LrSchedule& s, int64_t step) {
  const InfiniteSchedule& inf = s.infinite;
  const double peak = s.peak_lr;
  const double constant = peak * inf.constant_lr_ratio;
  const double floor_lr = peak * s.min_lr_ratio;
  const int64_t start = inf.task_start;
  if (start == 0) {
    const int64_t warmup_end = phase_end(s.total_steps, inf.warmup_end);
    const int64_t cooldown_end = phase_end(s.total_steps, inf.cooldown_end);
    if (step < warmup_end) {
      return (static_cast<double>(step) / static_cast<double>(warmup_end)) * peak;
    }
    if (step < cooldown_end) {
      const double p =
          static_cast<double>(step - warmup_end) / static_cast<double>(cooldown_end - warmup_end);
      switch (inf.cooldown) {
        case CooldownShape::cosine:
          return constant + (peak - constant) / 2.0 * (std::cos(std::numbers::pi * p) + 1);
        case CooldownShape::inverse_sqrt: {
          auto g = [&](double x) { return 1 / std::sqrt(1 + inf.timescale * x) - 1; };
          return peak + (constant - peak) / g(1) * g(p);
        }
        case CooldownShape::linear:
          return peak - (peak - constant) * p;
      }
    }
  }
  const int64_t anneal_start = start + phase_end(s.total_steps - start, inf.constant_end);
  if (step < anneal_start) return constant;
  const int64_t anneal_steps = s.total_steps - anneal_start;
  const double k =
      std::log(constant / floor_lr) / static_cast<double>(std::max<int64_t>(1, anneal_steps));
  return constant * std::exp(-k * static_cast<double>(std::min(step - anneal_start, anneal_steps)));
}

void validate_infinite(const LrSchedule& s) {
  const InfiniteSchedule& inf = s.infinite;
  if (s.warmup_steps != 0 || s.warmup_fraction != 0) {
    fail(
        "schedule.warmup_steps must be 0 for the infinite schedule (its warmup ends at "
        "infinite.warmup_end), got {}",
        s.warmup_steps != 0 ? static_cast<double>(s.warmup_steps) : s.warmup_fraction);
  }
  if (!(s.min_lr_ratio > 0)) {
    fail(
        "schedule.min_lr_ratio must be > 0 for the infinite schedule (it anneals "
        "exponentially to it), got {}",
        s.min_lr_ratio);
  }
  if (!(inf.constant_lr_ratio >= s.min_lr_ratio && inf.constant_lr_ratio <= 1)) {
    fail("schedule.infinite.constant_lr_ratio must be in [min_lr_ratio ({}), 1], got {}",
         s.min_lr_ratio, inf.constant_lr_ratio);
  }
  if (!(inf.warmup_end >= 0 && inf.warmup_end <= inf.cooldown_end)) {
    fail("schedule.infinite.warmup_end must be in [0, cooldown_end ({})], got {}", inf.cooldown_end,
         inf.warmup_end);
  }
  if (!(inf.cooldown_end <= inf.constant_end)) {
    fail("schedule.infinite.cooldown_end must be <= constant_end ({}), got {}", inf.constant_end,
         inf.cooldown_end);
  }
  if (!(inf.constant_end <= 1)) {
    fail("schedule.infinite.constant_end must be <= 1, got {}", inf.constant_end);
  }
  if (!(inf.timescale > 0 && std::isfinite(inf.timescale))) {
    fail("schedule.infinite.timescale must be > 0, got {}", inf.timescale);
  }
  if (inf.task_start < 0 || inf.task_start >= s.total_steps) {
    fail("schedule.infinite.task_start must be in [0, total steps ({})), got {}", s.total_steps,
         inf.task_start);
  }
  if (s.rewarm_at) {
    fail(
        "schedule.rewarm_at cannot be used with the infinite schedule (a later task sets "
        "infinite.task_start)");
  }
}

void validate_rewarm(const LrSchedule& s) {
  if (!s.rewarm_at) {
    if (s.rewarm_steps) fail("schedule.rewarm_steps needs schedule.rewarm_at");
    return;
  }
  const int64_t at = *s.rewarm_at;
  if (at < 0 || at >= s.total_steps) {
    fail("schedule.rewarm_at must be in [0, total steps ({})), got {}", s.total_steps, at);
  }
  const int64_t steps = rewarm_length(s);
  const bool wsd = s.kind == LrScheduleKind::warmup_stable_decay;
  const int64_t room = s.total_steps - at - (wsd ? s.decay_steps : 0);
  if (steps < 0 || steps > room) {
    fail("schedule.rewarm_steps must be in [0, {}] (the steps after rewarm_at{}), got {}", room,
         wsd ? " less decay_steps" : "", steps);
  }
  if (!(s.rewarm_peak_ratio > 0 && std::isfinite(s.rewarm_peak_ratio))) {
    fail("schedule.rewarm_peak_ratio must be > 0, got {}", s.rewarm_peak_ratio);
  }
}

}  // namespace

int64_t warmup_steps_of(const LrSchedule& s) {
  if (s.warmup_fraction == 0) return s.warmup_steps;
  return static_cast<int64_t>(std::ceil(static_cast<double>(s.total_steps) * s.warmup_fraction));
}

void validate_lr_schedule(const LrSchedule& s) {
  if (s.total_steps < 1) fail("schedule.total_steps must be >= 1, got {}", s.total_steps);
  if (!(s.peak_lr > 0 && std::isfinite(s.peak_lr))) {
    fail("schedule.peak_lr must be > 0, got {}", s.peak_lr);
  }
  if (s.warmup_steps < 0) fail("schedule.warmup_steps must be >= 0, got {}", s.warmup_steps);
  if (s.warmup_steps > s.total_steps) {
    fail("schedule.warmup_steps must be <= total steps ({}), got {}", s.total_steps,
         s.warmup_steps);
  }
  if (!(s.warmup_fraction >= 0 && s.warmup_fraction < 1)) {
    fail("schedule.warmup_steps as a fraction of the steps must be in [0, 1), got {}",
         s.warmup_fraction);
  }
  if (s.warmup_fraction != 0 && s.warmup_steps != 0) {
    fail("schedule: warmup_steps {} and a warmup fraction {}: give one", s.warmup_steps,
         s.warmup_fraction);
  }
  if (!(s.min_lr_ratio >= 0 && s.min_lr_ratio <= 1)) {
    fail("schedule.min_lr_ratio must be in [0, 1], got {}", s.min_lr_ratio);
  }
  if (s.kind == LrScheduleKind::warmup_stable_decay &&
      (s.decay_steps < 0 || s.decay_steps > s.total_steps - warmup_steps_of(s))) {
    fail("schedule.decay_steps must be in [0, total steps minus warmup steps ({})], got {}",
         s.total_steps - warmup_steps_of(s), s.decay_steps);
  }
  if (s.kind == LrScheduleKind::infinite) validate_infinite(s);
  validate_rewarm(s);
}

double learning_rate(const LrSchedule& s, int64_t step) {
  validate_lr_schedule(s);
  if (step < 0) fail("learning_rate: step must be >= 0, got {}", step);
  if (s.kind == LrScheduleKind::infinite) return infinite_lr(s, step);
  const double warmup_from = s.kind == LrScheduleKind::warmup_stable_decay ? s.min_lr_ratio : 0.0;
  if (!s.rewarm_at || step < *s.rewarm_at) {
    return s.peak_lr * lambda(s, s.total_steps, warmup_steps_of(s), warmup_from, step);
  }
  const int64_t at = *s.rewarm_at;
  const double reached = s.peak_lr * lambda(s, s.total_steps, warmup_steps_of(s), warmup_from, at);
  const double peak = s.peak_lr * s.rewarm_peak_ratio;
  return peak * lambda(s, s.total_steps - at, rewarm_length(s), reached / peak, step - at);
}

}  // namespace retune::train
