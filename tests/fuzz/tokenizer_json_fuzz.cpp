// Fuzz target: a tokenizer.json. Loading it must give a tokenizer that encodes and decodes
// text, or throw retune::Error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "scratch_file.h"
#include "tokenizer/tokenizer.h"

namespace {

constexpr std::string_view kTexts[] = {
    "Hello world! It's 12:30, isn't it?",
    "Grüße aus München — ça coûte 12€. 你好，世界！",
    "  leading spaces\n\ttabs and\r\nnewlines  ",
    "<|endoftext|><s></s>[UNK] special-looking text",
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  retune::fuzz::write_scratch_file("tokenizer.json", data, size);
  try {
    auto tokenizer = retune::Tokenizer::load(retune::fuzz::scratch_folder());
    for (const auto text : kTexts) {
      for (const bool special : {true, false}) {
        const auto ids = tokenizer.encode(text, special);
        (void)tokenizer.decode(ids, false);
        (void)tokenizer.decode(ids, true);
      }
    }
  } catch (const retune::Error&) {
  }
  return 0;
}
