// The step profile: phases and ops add their wall time only while a Profile runs, an op inside an
// op counts once, a phase inside a phase is charged to the inner one, reset clears it, and a
// settle hook runs before every clock read.
#include "core/profile.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "support/error_of.h"

namespace retune::profile {
namespace {

void sleep_ms(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

size_t at(Phase p) {
  return static_cast<size_t>(p);
}
size_t at(Op o) {
  return static_cast<size_t>(o);
}

TEST(Profile, ChargesPhasesAndOpsOnlyWhileRunning) {
  {
    const PhaseScope idle(Phase::forward);  // no profile yet: nothing is recorded
    sleep_ms(5);
  }
  Profile profile;
  EXPECT_EQ(profile.totals().phase[at(Phase::forward)], 0.0);
  const auto start = std::chrono::steady_clock::now();
  {
    const PhaseScope forward(Phase::forward);
    sleep_ms(20);
    {
      const OpScope matmul(Op::matmul);
      const OpScope inner(Op::attention);  // inside an op: counted as the outer one
      sleep_ms(20);
    }
    {
      const PhaseScope head(Phase::output_head);  // nested: charged to the head only
      sleep_ms(20);
    }
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const Totals t = profile.totals();
  EXPECT_GE(t.phase[at(Phase::forward)], 0.040);
  EXPECT_GE(t.phase[at(Phase::output_head)], 0.020);
  // The head's time is not also in the forward's: together they are the block's wall time.
  EXPECT_NEAR(t.phase[at(Phase::forward)] + t.phase[at(Phase::output_head)], wall, 0.002);
  EXPECT_GE(t.op[at(Phase::forward)][at(Op::matmul)], 0.020);
  EXPECT_EQ(t.op[at(Phase::forward)][at(Op::attention)], 0.0);
  EXPECT_NEAR(t.other(Phase::forward),
              t.phase[at(Phase::forward)] - t.op[at(Phase::forward)][at(Op::matmul)], 1e-12);
  EXPECT_EQ(error_of([] { Profile another; }), "profile::Profile: another profile is running");
  profile.reset();
  EXPECT_EQ(profile.totals().phase[at(Phase::forward)], 0.0);
  EXPECT_EQ(phase_name(Phase::output_head), "output_head");
  EXPECT_EQ(op_name(Op::attention), "attention");
}

// A GPU's kernels run after the host queued them: with settle waiting for the queued work,
// each scope is charged the work it queued, not the host's time to queue it.
TEST(Profile, SettlesQueuedWorkBeforeEveryClockRead) {
  int queued_ms = 0;
  int settles = 0;
  Profile profile([&] {
    sleep_ms(queued_ms);
    queued_ms = 0;
    ++settles;
  });
  {
    const PhaseScope backward(Phase::backward);
    {
      const OpScope attention(Op::attention);
      queued_ms = 30;  // queued, not yet run: the op's end waits for it
    }
    queued_ms = 10;  // the rest of the phase
  }
  const Totals t = profile.totals();
  EXPECT_GE(t.op[at(Phase::backward)][at(Op::attention)], 0.030);
  EXPECT_LT(t.op[at(Phase::backward)][at(Op::attention)], 0.040);
  EXPECT_GE(t.other(Phase::backward), 0.010);
  EXPECT_EQ(settles, 4);  // a start and an end per scope
}

// Stages are timed by label only in a profile that keeps them, exclusively of the stages inside
// them, also inside an op; their labels are made only then.
TEST(Profile, StagesChargeTheirLabelsExclusively) {
  int labels_made = 0;
  const auto label = [&](std::string text) {
    return [&labels_made, text] {
      ++labels_made;
      return text;
    };
  };
  {
    Profile without_stages;
    const Stage stage(label("unseen"));
    EXPECT_TRUE(without_stages.stages().empty());
  }
  EXPECT_EQ(labels_made, 0);
  Profile profile(nullptr, true);
  for (int call = 0; call < 2; ++call) {
    const OpScope op(Op::matmul);
    const Stage outer(label("matmul [4, 4]"));
    sleep_ms(10);
    {
      const Stage inner(label("pack [4, 4]"));
      sleep_ms(20);
    }
  }
  const std::map<std::string, StageTotal> stages = profile.stages();
  ASSERT_EQ(stages.size(), 2u);
  EXPECT_EQ(stages.at("matmul [4, 4]").calls, 2);
  EXPECT_EQ(stages.at("pack [4, 4]").calls, 2);
  EXPECT_GE(stages.at("pack [4, 4]").seconds, 0.040);
  EXPECT_GE(stages.at("matmul [4, 4]").seconds, 0.020);
  EXPECT_LT(stages.at("matmul [4, 4]").seconds, 0.040);  // without the packs' 40 ms
  EXPECT_EQ(labels_made, 4);
  profile.reset();
  EXPECT_TRUE(profile.stages().empty());
}

}  // namespace
}  // namespace retune::profile
