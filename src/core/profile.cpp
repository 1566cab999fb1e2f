#include "core/profile.h"

#include <omp.h>

#include <utility>

#include "core/error.h"

namespace retune::profile {
namespace {

using Clock = std::chrono::steady_clock;

struct State {
  bool running = false;
  Phase phase = Phase::unphased;
  bool in_op = false;
  Totals totals;
  std::function<void()> settle;
  bool stages = false;
  Stage* stage = nullptr;  // the innermost running stage
  std::map<std::string, StageTotal> stage_totals;
};

State& state() {
  static State s;
  return s;
}

// The clock, once the queued work is done (Profile's settle).
Clock::time_point settled_now() {
  if (state().settle) state().settle();
  return Clock::now();
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(settled_now() - start).count();
}

}  // namespace

std::string_view phase_name(Phase phase) {
  static constexpr std::array<std::string_view, kPhases> kNames = {
      "forward", "output_head", "backward", "optimizer", "unphased"};
  return kNames[static_cast<size_t>(phase)];
}

std::string_view op_name(Op op) {
  static constexpr std::array<std::string_view, kOps> kNames = {"matmul", "attention",
                                                                "output_head"};
  return kNames[static_cast<size_t>(op)];
}

double Totals::other(Phase p) const {
  const auto i = static_cast<size_t>(p);
  double rest = phase[i];
  for (const double seconds : op[i]) rest -= seconds;
  return rest;
}

Totals& Totals::operator+=(const Totals& more) {
  for (size_t p = 0; p < kPhases; ++p) {
    phase[p] += more.phase[p];
    for (size_t o = 0; o < kOps; ++o) op[p][o] += more.op[p][o];
  }
  return *this;
}

Profile::Profile(std::function<void()> settle, bool stages) {
  RETUNE_CHECK(!state().running, "profile::Profile: another profile is running");
  state() = State{.running = true, .settle = std::move(settle), .stages = stages};
}

Profile::~Profile() {
  state() = State{};
}

Totals Profile::totals() const {
  return state().totals;
}

std::map<std::string, StageTotal> Profile::stages() const {
  return state().stage_totals;
}

void Profile::reset() {
  state().totals = Totals{};
  state().stage_totals.clear();
}

PhaseScope::PhaseScope(Phase phase)
    : active_(state().running && !omp_in_parallel()), outer_(state().phase) {
  if (!active_) return;
  state().phase = phase;
  start_ = settled_now();
}

PhaseScope::~PhaseScope() {
  if (!active_) return;
  const double seconds = seconds_since(start_);
  State& s = state();
  s.totals.phase[static_cast<size_t>(s.phase)] += seconds;
  if (outer_ != Phase::unphased) {
    s.totals.phase[static_cast<size_t>(outer_)] -= seconds;  // the outer phase's clock ran on
  }
  s.phase = outer_;
}

OpScope::OpScope(Op op)
    : active_(state().running && !state().in_op && !omp_in_parallel()), op_(op) {
  if (!active_) return;
  state().in_op = true;
  start_ = settled_now();
}

OpScope::~OpScope() {
  if (!active_) return;
  State& s = state();
  s.totals.op[static_cast<size_t>(s.phase)][static_cast<size_t>(op_)] += seconds_since(start_);
  s.in_op = false;
}

bool Stage::wanted() {
  return state().running && state().stages && !omp_in_parallel();
}

void Stage::start(std::string label) {
  label_ = std::move(label);
  outer_ = state().stage;
  state().stage = this;
  start_ = settled_now();
}

Stage::~Stage() {
  if (!active_) return;
  const double seconds = seconds_since(start_);
  State& s = state();
  StageTotal& total = s.stage_totals[label_];
  total.seconds += seconds - inner_seconds_;
  ++total.calls;
  if (outer_) outer_->inner_seconds_ += seconds;
  s.stage = outer_;
}

}  // namespace retune::profile
