// The procedural tasks: small algorithmic problems with one exact answer, as prompt/completion
// pairs short enough for a character-level model trained from scratch in seconds, so that
// learning and forgetting can be measured exactly.
//
// Every prompt is the task's three-letter tag, a space, the problem and "="; the completion is
// the answer with no leading space (training appends the tokenizer's eos after it). Letters are
// lowercase a-h, numbers are decimal without leading zeros. The formats, with their length
// (what --min-len/--max-len count; each instance draws its own within the range):
//
//   name      prompt → completion    length unit                default  allowed
//   copy      cpy abc=      → abc    letters                    2..6     1..16
//   reverse   rev abcd=     → dcba   letters                    2..6     1..16
//   sort      srt dbca=     → abcd   letters                    2..6     1..16
//   count     cnt a:abaca=  → 3      letters after ":"          2..6     1..16
//   parity    par 1011=     → 1      bits                       2..6     1..16
//   maximum   max 3719=     → 9      digits                     2..6     1..16
//   lookup    key a1b2c3?b= → 2      key-value pairs            2..4     1..8
//   brackets  brk ())(=     → no     bracket pairs              1..3     1..9
//   add       add 17+5=     → 22     digits of each operand     1..2     1..9
//   subtract  sub 17-5=     → 12     digits of each operand     1..2     1..9
//   multiply  mul 7*8=      → 56     digits of each operand     1..2     1..9
//
// count: how often the letter before ":" occurs after it, all letters a-d. parity: 1 when the
// bits hold an odd number of 1s, else 0. lookup: keys are distinct letters, values digits; the
// answer is the value of the key after "?". brackets: `length` "(" and `length` ")", balanced
// ("yes") half of the time, else "no". Arithmetic: each operand's digit count is drawn within
// the range; subtract puts the larger operand first.
//
// The largest allowed lengths keep every prompt within 24 characters.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/rng.h"
#include "data/dataset_file.h"

namespace retune::tasks {

// An inclusive range of lengths, in the task's unit.
struct LengthRange {
  int64_t min = 0;
  int64_t max = 0;
};

struct TaskInfo {
  std::string name;         // "reverse": what generate_task and the CLI take
  std::string tag;          // "rev": the prompt's first word
  std::string description;  // one line
  std::string example_prompt;
  std::string example_completion;
  std::string length_unit;  // what a length counts: "letters", "digits per operand", ...
  LengthRange default_lengths;
  LengthRange allowed_lengths;  // the lengths the task can draw
};

// A task: its description and how one random instance is drawn. `draw` returns the prompt
// without the tag and its space ("abcd=" → "dcba"), each length it uses within `lengths`.
struct TaskDefinition {
  TaskInfo info;
  PromptCompletion (*draw)(Rng& rng, LengthRange lengths);
};

// Every task, in the order of the table above.
const std::vector<TaskDefinition>& task_definitions();

// The tasks' descriptions, in the same order.
const std::vector<TaskInfo>& task_list();

// The task called `name`; an Error listing the known names for anything else.
const TaskDefinition& find_task(std::string_view name);

}  // namespace retune::tasks
