#include "tokenizer/utf8.h"

#include <cstdint>

namespace retune::tokenizer {
namespace {

// The number of bytes a sequence starting with `lead` has (0: not a lead byte), and the valid
// range of its second byte.
struct LeadInfo {
  size_t length;
  uint8_t second_min;
  uint8_t second_max;
};

LeadInfo lead_info(uint8_t lead) {
  if (lead < 0x80) return {1, 0, 0};
  if (lead >= 0xC2 && lead <= 0xDF) return {2, 0x80, 0xBF};
  if (lead == 0xE0) return {3, 0xA0, 0xBF};
  if (lead == 0xED) return {3, 0x80, 0x9F};
  if (lead >= 0xE1 && lead <= 0xEF) return {3, 0x80, 0xBF};
  if (lead == 0xF0) return {4, 0x90, 0xBF};
  if (lead >= 0xF1 && lead <= 0xF3) return {4, 0x80, 0xBF};
  if (lead == 0xF4) return {4, 0x80, 0x8F};
  return {0, 0, 0};
}

// How many bytes from pos belong to a (possibly truncated) well-formed prefix: equal to the
// sequence length when the sequence is complete.
size_t valid_prefix(std::string_view text, size_t pos, const LeadInfo& info) {
  if (info.length == 0) return 0;
  size_t taken = 1;
  while (taken < info.length && pos + taken < text.size()) {
    auto byte = static_cast<uint8_t>(text[pos + taken]);
    bool ok = taken == 1 ? byte >= info.second_min && byte <= info.second_max
                         : byte >= 0x80 && byte <= 0xBF;
    if (!ok) break;
    ++taken;
  }
  return taken;
}

}  // namespace

size_t utf8_sequence_length(std::string_view text, size_t pos) {
  LeadInfo info = lead_info(static_cast<uint8_t>(text[pos]));
  size_t taken = valid_prefix(text, pos, info);
  return taken == info.length ? taken : 0;
}

char32_t utf8_decode(std::string_view text, size_t pos, size_t length) {
  auto byte = [&](size_t i) { return static_cast<char32_t>(static_cast<uint8_t>(text[pos + i])); };
  switch (length) {
    case 1:
      return byte(0);
    case 2:
      return ((byte(0) & 0x1F) << 6) | (byte(1) & 0x3F);
    case 3:
      return ((byte(0) & 0x0F) << 12) | ((byte(1) & 0x3F) << 6) | (byte(2) & 0x3F);
    default:
      return ((byte(0) & 0x07) << 18) | ((byte(1) & 0x3F) << 12) | ((byte(2) & 0x3F) << 6) |
             (byte(3) & 0x3F);
  }
}

void utf8_append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool utf8_valid(std::string_view text) {
  for (size_t pos = 0; pos < text.size();) {
    size_t length = utf8_sequence_length(text, pos);
    if (length == 0) return false;
    pos += length;
  }
  return true;
}

std::string utf8_lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (size_t pos = 0; pos < bytes.size();) {
    LeadInfo info = lead_info(static_cast<uint8_t>(bytes[pos]));
    size_t taken = valid_prefix(bytes, pos, info);
    if (taken != 0 && taken == info.length) {
      out.append(bytes.substr(pos, taken));
      pos += taken;
    } else {
      out.append("\xEF\xBF\xBD");
      pos += taken == 0 ? 1 : taken;
    }
  }
  return out;
}

}  // namespace retune::tokenizer
