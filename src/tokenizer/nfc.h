// Unicode NFC, partly: retune does not carry the Unicode composition tables, so its NFC
// normalizer accepts text that NFC provably leaves unchanged (no combining marks, no code point
// that composes or decomposes, nothing unassigned in Unicode 14) and refuses anything else.
#pragma once

#include <string_view>

namespace retune::tokenizer {

// Throws an Error naming the first code point that NFC might change (or the first ill-formed
// UTF-8 byte); returns when NFC(text) == text is certain.
void check_nfc(std::string_view text);

}  // namespace retune::tokenizer
