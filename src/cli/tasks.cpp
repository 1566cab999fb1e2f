// `retune tasks list [--json]`: the procedural tasks (tasks/task_catalog.h), a line each with an
// example prompt → completion, the lengths and a description; with --json an array of
// {"name", "tag", "description", "example": {"prompt", "completion"}, "length": {"unit",
// "default_min", "default_max", "min", "max"}}.
//
// `retune tasks generate NAME --n N --seed S --out FILE.jsonl [--split train|test]
// [--min-len A] [--max-len B]`: N examples of the task as prompt/completion JSONL
// (tasks/task_generation.h); a bad argument writes nothing.
#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.h"
#include "tasks/task_catalog.h"
#include "tasks/task_generation.h"

namespace retune::cli {

namespace {

struct TasksOptions {
  bool json = false;
  std::string name;
  tasks::TaskOptions generate;
  std::string split = "train";
  std::string out;
};

nlohmann::ordered_json to_json(const tasks::TaskInfo& task) {
  return {{"name", task.name},
          {"tag", task.tag},
          {"description", task.description},
          {"example", {{"prompt", task.example_prompt}, {"completion", task.example_completion}}},
          {"length",
           {{"unit", task.length_unit},
            {"default_min", task.default_lengths.min},
            {"default_max", task.default_lengths.max},
            {"min", task.allowed_lengths.min},
            {"max", task.allowed_lengths.max}}}};
}

int list_tasks(bool json) {
  if (json) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const tasks::TaskInfo& task : tasks::task_list()) list.push_back(to_json(task));
    fmt::print("{}\n", list.dump(2));
    return 0;
  }
  fmt::print("{:<10} {:<24} {:<34} {}\n", "name", "example", "length (default; allowed)",
             "description");
  for (const tasks::TaskInfo& task : tasks::task_list()) {
    const std::string example = task.example_prompt + " → " + task.example_completion;
    const std::string length =
        fmt::format("{} {}..{}; {}..{}", task.length_unit, task.default_lengths.min,
                    task.default_lengths.max, task.allowed_lengths.min, task.allowed_lengths.max);
    fmt::print("{:<10} {:<24} {:<34} {}\n", task.name, example, length, task.description);
  }
  return 0;
}

int generate(TasksOptions& options) {
  options.generate.split = tasks::parse_split(options.split);
  const std::vector<Example> examples = tasks::generate_task(options.name, options.generate);
  tasks::write_task_jsonl(examples, options.out);
  fmt::print("wrote {} {} examples of {} to {}\n", examples.size(),
             tasks::split_name(options.generate.split), options.name, options.out);
  return 0;
}

}  // namespace

Command add_tasks_command(CLI::App& app) {
  auto options = std::make_shared<TasksOptions>();
  CLI::App* command =
      app.add_subcommand("tasks", "list or generate procedural tasks with exact answers");
  command->require_subcommand(1);
  CLI::App* list = command->add_subcommand("list", "the tasks, with an example of each");
  list->add_flag("--json", options->json, "print a JSON array instead of a table");
  CLI::App* generate_command =
      command->add_subcommand("generate", "write a task's examples as prompt/completion JSONL");
  generate_command->add_option("name", options->name, "the task (see `retune tasks list`)")
      ->required();
  generate_command->add_option("--n", options->generate.n, "how many examples")
      ->type_name("N")
      ->required();
  generate_command->add_option("--seed", options->generate.seed, "the random seed")
      ->type_name("S")
      ->required();
  generate_command->add_option("--out", options->out, "the JSONL file to write")
      ->type_name("FILE")
      ->required();
  generate_command
      ->add_option("--split", options->split,
                   "train or test: disjoint sets of prompts, about 4:1 (default train)")
      ->type_name("NAME");
  generate_command
      ->add_option("--min-len", options->generate.min_len,
                   "the shortest length, in the task's unit (default: the task's)")
      ->type_name("A");
  generate_command
      ->add_option("--max-len", options->generate.max_len,
                   "the longest length, in the task's unit (default: the task's)")
      ->type_name("B");
  return {command, [options, list] {
            return list->parsed() ? list_tasks(options->json) : generate(*options);
          }};
}

}  // namespace retune::cli
