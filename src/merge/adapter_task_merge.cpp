#include "merge/adapter_task_merge.h"

#include "core/error.h"
#include "merge/sparsify.h"

namespace retune::merge {
namespace {

int sign_of(float v) {
  return (v > 0) - (v < 0);
}

// PEFT's calculate_majority_sign_mask and disjoint_merge, entry by entry.
std::vector<float> ties_merge(const std::vector<std::vector<float>>& tasks,
                              std::span<const double> weights, MajoritySign majority_sign) {
  const size_t n = tasks.front().size();
  std::vector<float> merged(n);
  for (size_t i = 0; i < n; ++i) {
    double election = 0;
    for (const std::vector<float>& task : tasks) {
      election += majority_sign == MajoritySign::total ? task[i] : sign_of(task[i]);
    }
    const int elected = election >= 0 ? 1 : -1;
    double sum = 0;
    int agreeing = 0;
    for (size_t t = 0; t < tasks.size(); ++t) {
      if (sign_of(tasks[t][i]) != elected) continue;
      sum += weights[t] * tasks[t][i];
      ++agreeing;
    }
    merged[i] = static_cast<float>(agreeing > 0 ? sum / agreeing : 0.0);
  }
  return merged;
}

std::vector<float> weighted_sum(const std::vector<std::vector<float>>& tasks,
                                std::span<const double> weights) {
  std::vector<float> merged(tasks.front().size());
  for (size_t i = 0; i < merged.size(); ++i) {
    double sum = 0;
    for (size_t t = 0; t < tasks.size(); ++t) sum += weights[t] * tasks[t][i];
    merged[i] = static_cast<float>(sum);
  }
  return merged;
}

}  // namespace

std::vector<float> merge_task_tensors(std::vector<std::vector<float>>& tasks,
                                      std::span<const double> weights,
                                      std::span<const uint64_t> seeds, const TaskMerge& merge) {
  RETUNE_CHECK(!tasks.empty() && weights.size() == tasks.size() && seeds.size() == tasks.size(),
               "merge_task_tensors: {} tasks, {} weights, {} seeds", tasks.size(), weights.size(),
               seeds.size());
  for (size_t t = 0; t < tasks.size(); ++t) {
    RETUNE_CHECK(tasks[t].size() == tasks.front().size(),
                 "merge_task_tensors: task {} has {} entries, task 0 {}", t, tasks[t].size(),
                 tasks.front().size());
    sparsify(tasks[t], {.method = merge.sparsification,
                        .density = merge.density,
                        .rescale = Rescale::inverse,
                        .seed = seeds[t]});
  }
  return merge.ties ? ties_merge(tasks, weights, merge.majority_sign)
                    : weighted_sum(tasks, weights);
}

}  // namespace retune::merge
