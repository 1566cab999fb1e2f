#include "tokenizer/byte_level.h"

#include <array>

#include "tokenizer/utf8.h"

namespace retune::tokenizer {
namespace {

struct ByteTables {
  std::array<std::string, 256> byte_to_text;  // UTF-8 of each byte's code point
  std::array<int, 512> code_to_byte;          // code point (< 512) -> byte, or -1
};

const ByteTables& tables() {
  static const ByteTables built = [] {
    ByteTables t;
    t.code_to_byte.fill(-1);
    char32_t next = 256;
    for (int byte = 0; byte < 256; ++byte) {
      bool printable =
          (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) || byte >= 0xAE;
      char32_t cp = printable ? static_cast<char32_t>(byte) : next++;
      utf8_append(t.byte_to_text[static_cast<size_t>(byte)], cp);
      t.code_to_byte[cp] = byte;
    }
    return t;
  }();
  return built;
}

}  // namespace

void append_byte_level(std::string& out, std::string_view bytes) {
  const ByteTables& t = tables();
  for (char byte : bytes) out += t.byte_to_text[static_cast<uint8_t>(byte)];
}

void append_unmapped_bytes(std::string& out, std::string_view token) {
  const ByteTables& t = tables();
  size_t start = out.size();
  for (size_t pos = 0; pos < token.size();) {
    size_t length = utf8_sequence_length(token, pos);
    char32_t cp = length == 0 ? 0x10FFFF : utf8_decode(token, pos, length);
    if (cp >= t.code_to_byte.size() || t.code_to_byte[cp] < 0) {
      out.resize(start);
      out.append(token);
      return;
    }
    out.push_back(static_cast<char>(t.code_to_byte[cp]));
    pos += length;
  }
}

}  // namespace retune::tokenizer
