// StreamDecoder: the text of a growing token sequence, piece by piece, for printing generated
// text as it comes.
//
// push(id) returns the text that became final with that token: the decoding of every token so
// far, less what earlier calls returned, less what may still change — the text of trailing
// fallback byte tokens (Tokenizer::is_fallback_byte), trailing U+FFFD characters (byte-level
// BPE: the bytes of an incomplete UTF-8 character whose other bytes may come next) and a tail
// that could be the start of a stop string. Once the text contains a stop string, push returns
// the text before it and stopped() is true; later pushes return nothing. finish() returns the
// rest held back at the end, up to a stop string in it.
//
// Each push decodes the whole sequence again (as transformers' TextStreamer does): linear in
// the tokens so far, negligible beside a model's forward.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace retune {

class StreamDecoder {
 public:
  // `tokenizer` must outlive the decoder. Empty stop strings are ignored.
  StreamDecoder(const Tokenizer& tokenizer, bool skip_special_tokens,
                std::vector<std::string> stop_strings = {});

  std::string push(int32_t id);
  std::string finish();
  bool stopped() const { return stopped_; }

 private:
  // The bytes at the end of `pending` that may still change.
  size_t unsettled_tail(const std::string& pending) const;
  // Returns `pending` (the text after what was returned) up to a stop string, or when there is
  // none and not `final`, without its unsettled tail; counts it as returned.
  std::string take(const std::string& pending, bool final);

  const Tokenizer& tokenizer_;
  bool skip_special_tokens_;
  std::vector<std::string> stop_strings_;
  std::vector<int32_t> ids_;
  size_t emitted_ = 0;  // bytes of the decoded text returned so far
  bool stopped_ = false;
};

}  // namespace retune
