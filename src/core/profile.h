// Where a training step's time goes, for benchmarks: the wall time of phases (forward through
// the layers, the fused output head and loss, backward through the layers, the optimizer) and,
// inside each, of the op kinds that dominate (matrix products, attention, the output head).
// Off unless a Profile is running; then each phase and each op called outside OpenMP parallel
// regions adds its time (an op inside another op counts as the outer one). One Profile at a
// time, on the thread that runs the step.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace retune::profile {

enum class Phase { forward, output_head, backward, optimizer, unphased };
enum class Op { matmul, attention, output_head };
inline constexpr size_t kPhases = 5;
inline constexpr size_t kOps = 3;

std::string_view phase_name(Phase phase);  // "forward", "output_head", ...
std::string_view op_name(Op op);           // "matmul", "attention", "output_head"

// Seconds by phase, and inside each phase by op kind (the rest of a phase is "other": norms,
// activations, residual adds, rope, the adapters' elementwise work, allocation).
struct Totals {
  std::array<double, kPhases> phase{};
  std::array<std::array<double, kOps>, kPhases> op{};
  double other(Phase p) const;
  Totals& operator+=(const Totals& more);
};

// One labelled stage's account (Stage): its seconds, without those of the stages inside it, and
// how often it ran.
struct StageTotal {
  double seconds = 0;
  int64_t calls = 0;
};

// Starts collecting on construction; totals() reads what was collected so far. `settle`, when
// given, runs before every clock read of a scope: a GPU's caller passes a device synchronisation,
// so that each scope is charged the queued device work it launched (and the run is slower).
// With `stages`, the Stage scopes are timed too (stages() reads them by label).
class Profile {
 public:
  explicit Profile(std::function<void()> settle = nullptr, bool stages = false);
  ~Profile();
  Profile(const Profile&) = delete;
  Profile& operator=(const Profile&) = delete;
  Totals totals() const;
  std::map<std::string, StageTotal> stages() const;
  void reset();
};

// Times its scope as `phase` (nested phases: the innermost one is charged, the outer one's
// total excludes it).
class PhaseScope {
 public:
  explicit PhaseScope(Phase phase);
  ~PhaseScope();
  PhaseScope(const PhaseScope&) = delete;
  PhaseScope& operator=(const PhaseScope&) = delete;

 private:
  bool active_;
  Phase outer_;
  std::chrono::steady_clock::time_point start_;
};

// Times its scope as `op` in the current phase.
class OpScope {
 public:
  explicit OpScope(Op op);
  ~OpScope();
  OpScope(const OpScope&) = delete;
  OpScope& operator=(const OpScope&) = delete;

 private:
  bool active_;
  Op op_;
  std::chrono::steady_clock::time_point start_;
};

// Times its scope under a label, an op call and its sizes ("swiglu_forward bf16[8192, 4864]"),
// when the running Profile keeps stages; `label` is called only then. A stage inside another is
// charged to itself alone (the outer one's seconds exclude it). Unlike OpScope, every stage
// counts, also inside an op. Without such a profile a stage costs one check (no label, no
// allocation): ops make one at every call.
class Stage {
 public:
  template <typename Label>  // std::string label()
  explicit Stage(const Label& label) : active_(wanted()) {
    if (active_) start(label());
  }
  ~Stage();
  Stage(const Stage&) = delete;
  Stage& operator=(const Stage&) = delete;

 private:
  static bool wanted();  // a running profile keeps stages (outside OpenMP parallel regions)
  void start(std::string label);

  bool active_;
  std::string label_;
  Stage* outer_ = nullptr;
  double inner_seconds_ = 0;  // of the stages inside this one
  std::chrono::steady_clock::time_point start_;
};

}  // namespace retune::profile
