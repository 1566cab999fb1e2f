// Which split (train or test) a procedural task's instance belongs to: a pure function of the
// task's name and the prompt, so a train file and a test file never share a prompt whatever
// seeds made them. About kTestPercent percent of the instances are test instances.
#pragma once

#include <cstdint>
#include <string_view>

namespace retune::tasks {

enum class Split { train, test };

inline constexpr uint64_t kTestPercent = 20;

// Test when a 64-bit hash of (task, prompt) falls in the lowest kTestPercent of 100 buckets.
Split split_of(std::string_view task, std::string_view prompt);

// "train" or "test"; an Error naming both for anything else.
Split parse_split(std::string_view name);

std::string_view split_name(Split split);

}  // namespace retune::tasks
