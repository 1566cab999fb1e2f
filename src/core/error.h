// Errors: library code never exits or aborts on bad input; it throws retune::Error with a
// message that names the file, tensor, line or field and what was expected. The CLI prints
// the message on one line and exits non-zero.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>
#include <utility>

namespace retune {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Throws Error with a fmt-formatted message.
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

// Checks a condition that callers must guarantee; the message says which and what was expected.
#define RETUNE_CHECK(condition, ...)               \
  do {                                             \
    if (!(condition)) ::retune::fail(__VA_ARGS__); \
  } while (false)

}  // namespace retune
