// Regex: one compiled PCRE2 pattern (8-bit, UTF + Unicode properties, JIT where available),
// used by the Split and ByteLevel pre-tokenizers and by PEFT's module-name patterns
// (adapters/lora_targets.h). Owns the compiled code; not thread-safe
// (it keeps one match-data block between calls).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace retune {

class Regex {
 public:
  // Compiles `pattern` (literally when `literal`); throws an Error naming `context` (the file)
  // and the pattern when PCRE2 rejects it.
  Regex(const std::string& pattern, bool literal, const std::string& context);
  ~Regex();
  Regex(Regex&&) noexcept;
  Regex& operator=(Regex&&) noexcept;

  // Splits text into pieces where every match is a piece of its own and so is every non-empty
  // gap between matches (Hugging Face's "Isolated" behaviour); appends them to out. Views
  // point into text. The text must be valid UTF-8.
  void split_isolated(std::string_view text, std::vector<std::string_view>& out);

  // Whether the pattern matches the whole text (Python's re.fullmatch). Valid UTF-8 only.
  bool full_match(std::string_view text);

 private:
  struct Compiled;
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace retune
