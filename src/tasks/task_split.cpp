#include "tasks/task_split.h"

#include "core/error.h"
#include "core/rng.h"

namespace retune::tasks {
namespace {

// FNV-1a, continued from `hash` over the bytes.
uint64_t hash_bytes(uint64_t hash, std::string_view bytes) {
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ull;
  }
  return hash;
}

}  // namespace

Split split_of(std::string_view task, std::string_view prompt) {
  constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull;
  // The name, a NUL, the prompt; splitmix64's finaliser so every bit depends on every byte.
  const uint64_t hash = mix64(
      hash_bytes(hash_bytes(hash_bytes(kFnvOffset, task), std::string_view("\0", 1)), prompt));
  return hash % 100 < kTestPercent ? Split::test : Split::train;
}

Split parse_split(std::string_view name) {
  if (name == "train") return Split::train;
  if (name == "test") return Split::test;
  fail("unknown split \"{}\" (expected train or test)", name);
}

std::string_view split_name(Split split) {
  return split == Split::train ? "train" : "test";
}

}  // namespace retune::tasks
