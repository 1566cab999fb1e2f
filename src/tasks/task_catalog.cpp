#include "tasks/task_catalog.h"

#include <fmt/ranges.h>

#include "core/error.h"
#include "tasks/task_instances.h"

namespace retune::tasks {
namespace {

constexpr LengthRange kStringDefault{2, 6};
constexpr LengthRange kStringAllowed{1, 16};
constexpr LengthRange kNumberDefault{1, 2};
constexpr LengthRange kNumberAllowed{1, 9};

std::vector<TaskDefinition> make_definitions() {
  // name, tag, description, example prompt and completion, length unit, default, allowed
  return {
      {{"copy", "cpy", "repeat the letters", "cpy abc=", "abc", "letters", kStringDefault,
        kStringAllowed},
       copy_instance},
      {{"reverse", "rev", "the letters in reverse order", "rev abcd=", "dcba", "letters",
        kStringDefault, kStringAllowed},
       reverse_instance},
      {{"sort", "srt", "the letters in alphabetical order", "srt dbca=", "abcd", "letters",
        kStringDefault, kStringAllowed},
       sort_instance},
      {{"count", "cnt", "how many times the letter before ':' occurs after it (letters a-d)",
        "cnt a:abaca=", "3", "letters after ':'", kStringDefault, kStringAllowed},
       count_instance},
      {{"parity", "par", "1 when the bits hold an odd number of 1s, else 0", "par 1011=", "1",
        "bits", kStringDefault, kStringAllowed},
       parity_instance},
      {{"maximum", "max", "the largest digit", "max 3719=", "9", "digits", kStringDefault,
        kStringAllowed},
       maximum_instance},
      {{"lookup",
        "key",
        "the digit paired with the letter after '?'",
        "key a1b2c3?b=",
        "2",
        "key-value pairs",
        {2, 4},
        {1, 8}},
       lookup_instance},
      {{"brackets",
        "brk",
        "yes when the brackets are balanced, else no (as many ( as ))",
        "brk ())(=",
        "no",
        "bracket pairs",
        {1, 3},
        {1, 9}},
       brackets_instance},
      {{"add", "add", "the sum", "add 17+5=", "22", "digits per operand", kNumberDefault,
        kNumberAllowed},
       add_instance},
      {{"subtract", "sub", "the difference, the larger number first", "sub 17-5=", "12",
        "digits per operand", kNumberDefault, kNumberAllowed},
       subtract_instance},
      {{"multiply", "mul", "the product", "mul 7*8=", "56", "digits per operand", kNumberDefault,
        kNumberAllowed},
       multiply_instance},
  };
}

}  // namespace

const std::vector<TaskDefinition>& task_definitions() {
  static const std::vector<TaskDefinition> definitions = make_definitions();
  return definitions;
}

const std::vector<TaskInfo>& task_list() {
  static const std::vector<TaskInfo> infos = [] {
    std::vector<TaskInfo> list;
    for (const TaskDefinition& task : task_definitions()) list.push_back(task.info);
    return list;
  }();
  return infos;
}

const TaskDefinition& find_task(std::string_view name) {
  std::vector<std::string_view> names;
  for (const TaskDefinition& task : task_definitions()) {
    if (task.info.name == name) return task;
    names.push_back(task.info.name);
  }
  fail("unknown task \"{}\" (expected one of {})", name, fmt::join(names, ", "));
}

}  // namespace retune::tasks
