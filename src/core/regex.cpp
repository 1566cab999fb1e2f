#include "core/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "core/error.h"

namespace retune {

struct Regex::Compiled {
  pcre2_code* code = nullptr;
  pcre2_match_data* match_data = nullptr;
  ~Compiled() {
    pcre2_match_data_free(match_data);
    pcre2_code_free(code);
  }
};

Regex::Regex(const std::string& pattern, bool literal, const std::string& context)
    : compiled_(std::make_unique<Compiled>()) {
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  uint32_t options = PCRE2_UTF | PCRE2_UCP | (literal ? PCRE2_LITERAL : 0u);
  compiled_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                  options, &error_code, &error_offset, nullptr);
  if (compiled_->code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error_code, message, sizeof(message));
    fail("{}: cannot compile regex {:?} at offset {}: {}", context, pattern, error_offset,
         reinterpret_cast<const char*>(message));
  }
  // JIT is an optimisation only: without it pcre2_match interprets the same pattern.
  pcre2_jit_compile(compiled_->code, PCRE2_JIT_COMPLETE);
  compiled_->match_data = pcre2_match_data_create_from_pattern(compiled_->code, nullptr);
}

Regex::~Regex() = default;
Regex::Regex(Regex&&) noexcept = default;
Regex& Regex::operator=(Regex&&) noexcept = default;

void Regex::split_isolated(std::string_view text, std::vector<std::string_view>& out) {
  auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t gap_start = 0;
  size_t offset = 0;
  uint32_t options = PCRE2_NO_UTF_CHECK;
  while (offset <= text.size()) {
    int rc = pcre2_match(compiled_->code, subject, text.size(), offset, options,
                         compiled_->match_data, nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) fail("regex split failed with PCRE2 error {}", rc);
    PCRE2_SIZE* vector = pcre2_get_ovector_pointer(compiled_->match_data);
    size_t begin = vector[0];
    size_t end = vector[1];
    if (begin > gap_start) out.push_back(text.substr(gap_start, begin - gap_start));
    if (end > begin) {
      out.push_back(text.substr(begin, end - begin));
      gap_start = end;
      offset = end;
    } else {
      // An empty match: step over one code point so the scan always advances.
      gap_start = begin;
      if (begin == text.size()) break;
      offset = begin + 1;
      while (offset < text.size() && (static_cast<uint8_t>(text[offset]) & 0xC0) == 0x80) ++offset;
    }
  }
  if (gap_start < text.size()) out.push_back(text.substr(gap_start));
}

bool Regex::full_match(std::string_view text) {
  const int rc = pcre2_match(
      compiled_->code, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), 0,
      PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_NO_UTF_CHECK, compiled_->match_data, nullptr);
  if (rc == PCRE2_ERROR_NOMATCH) return false;
  if (rc < 0) fail("regex match failed with PCRE2 error {}", rc);
  return true;
}

}  // namespace retune
