// Independent answers to the procedural tasks' prompts, for tests: each parses the prompt and
// works the answer out another way than the generators (string arithmetic digit by digit, a
// stack for brackets, tallies for sorting), and measures the instance's lengths in the task's
// unit (task_catalog.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace retune::tasks {

// The answer to `prompt` ("rev abcd=" → "dcba"); an empty string for a prompt that is not well
// formed for the task.
std::string independent_answer(std::string_view task, std::string_view prompt);

// The lengths the instance used, in the task's unit: one for most tasks, one per operand for
// arithmetic.
std::vector<int64_t> instance_lengths(std::string_view task, std::string_view prompt);

}  // namespace retune::tasks
