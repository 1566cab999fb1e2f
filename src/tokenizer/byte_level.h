// GPT-2's byte-to-unicode mapping: every byte 0..255 is shown as one printable code point
// (printable Latin-1 bytes as themselves, the rest as U+0100 onwards), so byte-level BPE
// vocabularies are plain text. Tables are built once and shared (static storage).
#pragma once

#include <string>
#include <string_view>

namespace retune::tokenizer {

// Appends the mapped form (UTF-8 of each byte's code point) of `bytes` to out.
void append_byte_level(std::string& out, std::string_view bytes);

// Appends the bytes that the mapped `token` stands for to out. A token holding any code point
// outside the mapping is appended unchanged (as Hugging Face's ByteLevel decoder does, so that
// added tokens such as "<|endoftext|>" come out as written).
void append_unmapped_bytes(std::string& out, std::string_view token);

}  // namespace retune::tokenizer
