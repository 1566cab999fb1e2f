// Fuzz target: a tokenizer folder's tokenizer_config.json, beside a fixed tokenizer.json (Qwen2's
// byte-level fixture, RETUNE_FUZZ_TOKENIZER_JSON). Loading the tokenizer, its pad token and its
// chat template, then rendering a conversation, must succeed or throw retune::Error.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

#include "core/error.h"
#include "data/pad_token.h"
#include "scratch_file.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::filesystem::copy_file(RETUNE_FUZZ_TOKENIZER_JSON,
                             retune::fuzz::scratch_folder() / "tokenizer.json",
                             std::filesystem::copy_options::overwrite_existing);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  retune::fuzz::write_scratch_file("tokenizer_config.json", data, size);
  const std::filesystem::path& folder = retune::fuzz::scratch_folder();
  try {
    const auto tokenizer = retune::Tokenizer::load(folder);
    (void)retune::pad_token_id(folder, tokenizer);
    const retune::ChatTemplate format = retune::chat_template(folder, std::nullopt);
    const std::vector<retune::ChatMessage> messages{{"system", "Be brief."},
                                                    {"user", "Hello!"},
                                                    {"assistant", "Hi."},
                                                    {"user", "  And now?  "}};
    (void)retune::render_chat(format, messages, true, "<s>");
  } catch (const retune::Error&) {
  }
  return 0;
}
