// UTF-8 helpers for the tokenizer: walking code points, encoding one, and Rust's
// String::from_utf8_lossy (what Hugging Face decoders use to turn bytes back into text).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace retune::tokenizer {

// The length in bytes of the well-formed UTF-8 sequence starting at text[pos], or 0 where the
// bytes there are not one (bad lead byte, bad or missing continuation, overlong, surrogate).
size_t utf8_sequence_length(std::string_view text, size_t pos);

// The code point of the well-formed sequence of `length` bytes at text[pos].
char32_t utf8_decode(std::string_view text, size_t pos, size_t length);

// Appends the UTF-8 encoding of code point cp (<= U+10FFFF) to out.
void utf8_append(std::string& out, char32_t cp);

// Whether the whole text is well-formed UTF-8.
bool utf8_valid(std::string_view text);

// The bytes as text, with each maximal ill-formed subsequence replaced by U+FFFD.
std::string utf8_lossy(std::string_view bytes);

}  // namespace retune::tokenizer
