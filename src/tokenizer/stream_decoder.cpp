#include "tokenizer/stream_decoder.h"

#include <algorithm>
#include <string_view>
#include <utility>

namespace retune {
namespace {

constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

}  // namespace

StreamDecoder::StreamDecoder(const Tokenizer& tokenizer, bool skip_special_tokens,
                             std::vector<std::string> stop_strings)
    : tokenizer_(tokenizer), skip_special_tokens_(skip_special_tokens) {
  for (std::string& stop : stop_strings) {
    if (!stop.empty()) stop_strings_.push_back(std::move(stop));
  }
}

size_t StreamDecoder::unsettled_tail(const std::string& pending) const {
  std::string_view settled = pending;
  while (settled.ends_with(kReplacementCharacter)) {
    settled.remove_suffix(kReplacementCharacter.size());
  }
  // The longest end of `settled` that begins a stop string.
  size_t prefix = 0;
  for (const std::string& stop : stop_strings_) {
    for (size_t n = std::min(stop.size() - 1, settled.size()); n > prefix; --n) {
      if (settled.ends_with(std::string_view(stop).substr(0, n))) {
        prefix = n;
        break;
      }
    }
  }
  return pending.size() - settled.size() + prefix;
}

std::string StreamDecoder::take(const std::string& pending, bool final) {
  size_t stop_at = std::string::npos;
  for (const std::string& stop : stop_strings_) stop_at = std::min(stop_at, pending.find(stop));
  if (stop_at != std::string::npos) {
    stopped_ = true;
    return pending.substr(0, stop_at);
  }
  const size_t ready = final ? pending.size() : pending.size() - unsettled_tail(pending);
  emitted_ += ready;
  return pending.substr(0, ready);
}

std::string StreamDecoder::push(int32_t id) {
  if (stopped_) return {};
  ids_.push_back(id);
  auto settled_end = ids_.end();
  while (settled_end != ids_.begin() && tokenizer_.is_fallback_byte(*(settled_end - 1))) {
    --settled_end;
  }
  const std::vector<int32_t> settled(ids_.begin(), settled_end);
  return take(tokenizer_.decode(settled, skip_special_tokens_).substr(emitted_), false);
}

std::string StreamDecoder::finish() {
  if (stopped_) return {};
  return take(tokenizer_.decode(ids_, skip_special_tokens_).substr(emitted_), true);
}

}  // namespace retune
