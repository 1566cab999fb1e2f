#include <algorithm>
#include <string>
#include <utility>

#include "tasks/task_instances.h"

namespace retune::tasks {
namespace {

constexpr std::string_view kLetters = "abcdefgh";
constexpr std::string_view kCountLetters = "abcd";

// `count` symbols drawn uniformly from `alphabet`.
std::string random_string(Rng& rng, int64_t count, std::string_view alphabet) {
  std::string text;
  for (int64_t i = 0; i < count; ++i) {
    text += alphabet[rng.integer(0, static_cast<int64_t>(alphabet.size()) - 1)];
  }
  return text;
}

int64_t random_length(Rng& rng, LengthRange lengths) {
  return rng.integer(lengths.min, lengths.max);
}

std::string random_letters(Rng& rng, LengthRange lengths) {
  return random_string(rng, random_length(rng, lengths), kLetters);
}

// A uniform random permutation of `text` (Fisher-Yates).
void shuffle(Rng& rng, std::string& text) {
  for (int64_t i = static_cast<int64_t>(text.size()) - 1; i > 0; --i) {
    std::swap(text[i], text[rng.integer(0, i)]);
  }
}

// Whether every prefix has at least as many "(" as ")" and the whole has as many of each.
bool balanced(std::string_view brackets) {
  int64_t depth = 0;
  for (const char c : brackets) {
    depth += c == '(' ? 1 : -1;
    if (depth < 0) return false;
  }
  return depth == 0;
}

// `pairs` pairs of brackets, balanced: a random walk that opens while it may and closes while
// anything is open.
std::string balanced_brackets(Rng& rng, int64_t pairs) {
  std::string text;
  int64_t opens_left = pairs;
  int64_t depth = 0;
  while (opens_left > 0 || depth > 0) {
    const bool open = opens_left > 0 && (depth == 0 || rng.integer(0, 1) == 1);
    text += open ? '(' : ')';
    opens_left -= open ? 1 : 0;
    depth += open ? 1 : -1;
  }
  return text;
}

// `pairs` "(" and `pairs` ")" in an order that is not balanced. A shuffle is balanced with
// probability 1/(pairs+1), so this takes at most two shuffles on average.
std::string unbalanced_brackets(Rng& rng, int64_t pairs) {
  std::string text = std::string(pairs, '(') + std::string(pairs, ')');
  do {
    shuffle(rng, text);
  } while (balanced(text));
  return text;
}

}  // namespace

PromptCompletion copy_instance(Rng& rng, LengthRange letters) {
  const std::string text = random_letters(rng, letters);
  return {text + "=", text};
}

PromptCompletion reverse_instance(Rng& rng, LengthRange letters) {
  const std::string text = random_letters(rng, letters);
  return {text + "=", std::string(text.rbegin(), text.rend())};
}

PromptCompletion sort_instance(Rng& rng, LengthRange letters) {
  const std::string text = random_letters(rng, letters);
  std::string sorted = text;
  std::sort(sorted.begin(), sorted.end());
  return {text + "=", sorted};
}

PromptCompletion count_instance(Rng& rng, LengthRange letters) {
  const char letter = random_string(rng, 1, kCountLetters)[0];
  const std::string text = random_string(rng, random_length(rng, letters), kCountLetters);
  return {std::string(1, letter) + ":" + text + "=",
          std::to_string(std::count(text.begin(), text.end(), letter))};
}

PromptCompletion parity_instance(Rng& rng, LengthRange bits) {
  const std::string text = random_string(rng, random_length(rng, bits), "01");
  return {text + "=", std::to_string(std::count(text.begin(), text.end(), '1') % 2)};
}

PromptCompletion maximum_instance(Rng& rng, LengthRange digits) {
  const std::string text = random_string(rng, random_length(rng, digits), "0123456789");
  return {text + "=", std::string(1, *std::max_element(text.begin(), text.end()))};
}

PromptCompletion lookup_instance(Rng& rng, LengthRange pairs) {
  std::string keys(kLetters);
  shuffle(rng, keys);
  keys.resize(random_length(rng, pairs));
  const std::string values = random_string(rng, static_cast<int64_t>(keys.size()), "0123456789");
  std::string prompt;
  for (size_t i = 0; i < keys.size(); ++i) prompt += {keys[i], values[i]};
  const int64_t asked = rng.integer(0, static_cast<int64_t>(keys.size()) - 1);
  return {prompt + "?" + keys[asked] + "=", std::string(1, values[asked])};
}

PromptCompletion brackets_instance(Rng& rng, LengthRange pairs) {
  const int64_t count = random_length(rng, pairs);
  const bool want_balanced = rng.integer(0, 1) == 1;
  const std::string text =
      want_balanced ? balanced_brackets(rng, count) : unbalanced_brackets(rng, count);
  return {text + "=", want_balanced ? "yes" : "no"};
}

}  // namespace retune::tasks
