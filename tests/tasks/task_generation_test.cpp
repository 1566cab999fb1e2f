// The procedural tasks: every answer checked by an independent solver (task_answers.h), sizes,
// determinism per seed, disjoint train and test splits, the JSONL file, and refused options.
#include "tasks/task_generation.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "support/error_of.h"
#include "support/files.h"
#include "support/temp_dir.h"
#include "tasks/task_answers.h"
#include "tasks/task_catalog.h"

namespace retune::tasks {
namespace {

const PromptCompletion& pair_of(const Example& example) {
  return std::get<PromptCompletion>(example.content);
}

std::vector<std::string> prompts_of(const std::vector<Example>& examples) {
  std::vector<std::string> prompts;
  for (const Example& example : examples) prompts.push_back(pair_of(example).prompt);
  return prompts;
}

// Checks every example of `task` against the independent answers and the lengths.
void expect_correct(const TaskInfo& task, const std::vector<Example>& examples,
                    LengthRange lengths) {
  for (const Example& example : examples) {
    const auto& [prompt, completion] = pair_of(example);
    SCOPED_TRACE(prompt);
    EXPECT_EQ(prompt.rfind(task.tag + " ", 0), 0u);
    EXPECT_LE(prompt.size(), 24u);
    EXPECT_EQ(completion, independent_answer(task.name, prompt));
    for (const int64_t length : instance_lengths(task.name, prompt)) {
      EXPECT_GE(length, lengths.min);
      EXPECT_LE(length, lengths.max);
    }
  }
}

TEST(ProceduralTasks, EveryAnswerIsRightAtDefaultAndLargestLengths) {
  ASSERT_EQ(task_list().size(), 11u);
  std::set<std::string> tags;
  for (const TaskInfo& task : task_list()) {
    SCOPED_TRACE(task.name);
    tags.insert(task.tag);
    EXPECT_EQ(task.example_completion, independent_answer(task.name, task.example_prompt));
    for (const Split split : {Split::train, Split::test}) {
      expect_correct(task, generate_task(task.name, {.n = 300, .seed = 7, .split = split}),
                     task.default_lengths);
      const LengthRange largest{task.allowed_lengths.max, task.allowed_lengths.max};
      expect_correct(task,
                     generate_task(task.name, {.n = 100,
                                               .seed = 7,
                                               .split = split,
                                               .min_len = largest.min,
                                               .max_len = largest.max}),
                     largest);
    }
  }
  EXPECT_EQ(tags.size(), task_list().size());  // one model tells the tasks apart by their tags
}

TEST(ProceduralTasks, DefaultSizesAreShortAndDrawEveryLength) {
  for (const TaskInfo& task : task_list()) {
    SCOPED_TRACE(task.name);
    std::set<int64_t> seen;
    for (const Example& example : generate_task(task.name, {.n = 400, .seed = 1})) {
      EXPECT_LE(pair_of(example).prompt.size(), 24u);
      EXPECT_LE(pair_of(example).completion.size(), 12u);
      for (const int64_t length : instance_lengths(task.name, pair_of(example).prompt)) {
        seen.insert(length);
      }
    }
    EXPECT_EQ(*seen.begin(), task.default_lengths.min);
    EXPECT_EQ(*seen.rbegin(), task.default_lengths.max);
    EXPECT_EQ(static_cast<int64_t>(seen.size()),
              task.default_lengths.max - task.default_lengths.min + 1);
  }
}

TEST(ProceduralTasks, LookupKeysAreDistinctAndBracketsCountsMatch) {
  for (const Example& example : generate_task("lookup", {.n = 300, .seed = 3, .max_len = 8})) {
    const std::string& prompt = pair_of(example).prompt;
    std::set<char> keys;
    for (size_t i = 4; prompt[i] != '?'; i += 2) keys.insert(prompt[i]);
    EXPECT_EQ(keys.size() * 2, prompt.find('?') - 4) << prompt;
  }
  std::set<std::string> answers;
  for (const Example& example : generate_task("brackets", {.n = 300, .seed = 3})) {
    const std::string& prompt = pair_of(example).prompt;
    EXPECT_EQ(std::count(prompt.begin(), prompt.end(), '('),
              std::count(prompt.begin(), prompt.end(), ')'))
        << prompt;
    answers.insert(pair_of(example).completion);
  }
  EXPECT_EQ(answers, (std::set<std::string>{"no", "yes"}));
}

TEST(ProceduralTasks, SameSeedSameExamplesOtherSeedOthers) {
  const TaskOptions options{.n = 50, .seed = 11, .split = Split::test};
  const std::vector<Example> first = generate_task("add", options);
  const std::vector<Example> again = generate_task("add", options);
  EXPECT_EQ(prompts_of(first), prompts_of(again));
  EXPECT_EQ(first.front().source, "add:1");
  EXPECT_EQ(first.back().source, "add:50");
  TaskOptions other = options;
  other.seed = 12;
  EXPECT_NE(prompts_of(first), prompts_of(generate_task("add", other)));
  // Two tasks with one seed draw unrelated letters.
  std::vector<std::string> copied, reversed;
  for (const std::string& p : prompts_of(generate_task("copy", options)))
    copied.push_back(p.substr(4));
  for (const std::string& p : prompts_of(generate_task("reverse", options)))
    reversed.push_back(p.substr(4));
  EXPECT_NE(copied, reversed);
}

TEST(ProceduralTasks, TrainAndTestNeverShareAPrompt) {
  // One-digit additions: 100 prompts, so many seeds cover both splits entirely.
  std::set<std::string> train, test;
  for (uint64_t seed = 0; seed < 4; ++seed) {
    for (const Split split : {Split::train, Split::test}) {
      for (const std::string& prompt : prompts_of(generate_task(
               "add", {.n = 300, .seed = seed, .split = split, .min_len = 1, .max_len = 1}))) {
        EXPECT_EQ(split_of("add", prompt), split) << prompt;
        (split == Split::train ? train : test).insert(prompt);
      }
    }
  }
  EXPECT_EQ(train.size() + test.size(), 100u);
  for (const std::string& prompt : test) EXPECT_FALSE(train.contains(prompt)) << prompt;
  EXPECT_GE(test.size(), 10u);  // about kTestPercent of them
  EXPECT_LE(test.size(), 30u);
}

TEST(ProceduralTasks, SplitIsAFunctionOfTaskAndPrompt) {
  EXPECT_EQ(split_of("add", "add 1+2="), split_of("add", "add 1+2="));
  int64_t test = 0;
  for (int i = 0; i < 10000; ++i) {
    test += split_of("copy", "cpy " + std::to_string(i) + "=") == Split::test;
  }
  EXPECT_NEAR(test / 10000.0, kTestPercent / 100.0, 0.02);
  EXPECT_EQ(parse_split("train"), Split::train);
  EXPECT_EQ(parse_split("test"), Split::test);
  EXPECT_EQ(split_name(Split::test), "test");
  EXPECT_EQ(error_of([] { parse_split("dev"); }), "unknown split \"dev\" (expected train or test)");
}

TEST(ProceduralTasks, RefusesBadOptions) {
  EXPECT_EQ(error_of([] { generate_task("rot13", {.n = 1}); }),
            "unknown task \"rot13\" (expected one of copy, reverse, sort, count, parity, "
            "maximum, lookup, brackets, add, subtract, multiply)");
  EXPECT_EQ(error_of([] { generate_task("copy", {.n = 0}); }),
            "task copy: the number of examples must be at least 1, got 0");
  EXPECT_EQ(error_of([] { generate_task("copy", {.n = 1, .min_len = 5, .max_len = 3}); }),
            "task copy: min length 5 is greater than max length 3 (defaults 2..6)");
  EXPECT_EQ(error_of([] { generate_task("copy", {.n = 1, .max_len = 1}); }),
            "task copy: min length 2 is greater than max length 1 (defaults 2..6)");
  EXPECT_EQ(error_of([] { generate_task("add", {.n = 1, .max_len = 10}); }),
            "task add: length 10 is outside 1..9 (digits per operand)");
  EXPECT_EQ(error_of([] { generate_task("lookup", {.n = 1, .min_len = -1}); }),
            "task lookup: length -1 is outside 1..8 (key-value pairs)");
}

TEST(ProceduralTasks, ASplitWithoutInstancesFailsInsteadOfLooping) {
  // The largest of one digit: ten prompts, all train (fixed by the hash).
  for (char digit = '0'; digit <= '9'; ++digit) {
    ASSERT_EQ(split_of("maximum", std::string("max ") + digit + "="), Split::train);
  }
  const TaskOptions one_digit{.n = 50, .split = Split::train, .min_len = 1, .max_len = 1};
  EXPECT_EQ(generate_task("maximum", one_digit).size(), 50u);  // repeats within the split
  TaskOptions test = one_digit;
  test.split = Split::test;
  EXPECT_EQ(error_of([&] { generate_task("maximum", test); }),
            "task maximum: no test instance with lengths 1..1 in 100000 draws; allow longer "
            "ones");
}

TEST(ProceduralTasks, WritesJsonlThatReadsBack) {
  TempDir dir;
  const std::vector<Example> examples = generate_task("lookup", {.n = 20, .seed = 5});
  write_task_jsonl(examples, dir / "lookup.jsonl");
  const std::string text = read_file(dir / "lookup.jsonl");
  EXPECT_EQ(text.substr(0, 11), "{\"prompt\":\"");
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 20);
  const std::vector<Example> back = read_examples(dir / "lookup.jsonl", DataFormat::detect);
  ASSERT_EQ(back.size(), examples.size());
  for (size_t i = 0; i < back.size(); ++i) {
    EXPECT_EQ(pair_of(back[i]).prompt, pair_of(examples[i]).prompt);
    EXPECT_EQ(pair_of(back[i]).completion, pair_of(examples[i]).completion);
  }
}

TEST(ProceduralTasks, WritesOnlyPromptCompletionPairs) {
  TempDir dir;
  const std::vector<Example> text{{"notes.txt", PlainText{"hello"}}};
  EXPECT_EQ(error_of([&] { write_task_jsonl(text, dir / "out.jsonl"); }),
            "notes.txt: writing " + (dir / "out.jsonl").string() +
                ": only prompt/completion examples can be written");
  EXPECT_TRUE(folder_listing(dir.path()).empty());
}

}  // namespace
}  // namespace retune::tasks
