#include "pretrain/initial_model_folder.h"

#include <system_error>

#include "core/error.h"
#include "data/pad_token.h"
#include "io/atomic_file.h"
#include "io/atomic_folder.h"
#include "io/file_contents.h"
#include "pretrain/initial_weights.h"
#include "pretrain/tokenizer_files.h"
#include "tokenizer/tokenizer.h"

namespace retune::pretrain {

TokenizerWriter copy_tokenizer_from(const std::filesystem::path& tokenizer_folder) {
  return [tokenizer_folder](const std::filesystem::path& folder) {
    const std::filesystem::path tokenizer_json = tokenizer_folder / "tokenizer.json";
    RETUNE_CHECK(std::filesystem::is_regular_file(tokenizer_json), "{}: no such file",
                 tokenizer_json.string());
    for (const char* name : {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                             "chat_template.jinja"}) {
      const std::filesystem::path source = tokenizer_folder / name;
      if (!std::filesystem::is_regular_file(source)) continue;
      std::error_code error;
      std::filesystem::copy_file(source, folder / name, error);
      if (error) fail("{}: cannot copy: {}", source.string(), error.message());
    }
  };
}

ModelSpec write_initial_model_folder(const std::filesystem::path& out, ModelSpec spec,
                                     uint64_t seed, const TokenizerWriter& write_tokenizer) {
  spec.vocab = 1;  // checked below once the tokenizer gives it
  validate_model_spec(spec);
  AtomicFolder folder(out);
  write_tokenizer(folder.temp_path());

  const Tokenizer tokenizer = Tokenizer::load(folder.temp_path());
  const std::filesystem::path tokenizer_json = folder / "tokenizer.json";
  spec.vocab = tokenizer_vocab_size(read_json_file(tokenizer_json), tokenizer_json.string());
  const std::optional<int32_t> eos = tokenizer.eos_id();
  RETUNE_CHECK(eos.has_value(),
               "the tokenizer's tokenizer_config.json names no eos_token (training ends every "
               "document with it)");
  spec.eos_id = *eos;
  spec.bos_id = tokenizer.bos_id().value_or(*eos);
  spec.pad_id = pad_token_id(folder.temp_path(), tokenizer);
  validate_model_spec(spec);

  write_file_atomically(folder / "config.json", hf_config_json(spec).dump(2) + "\n");
  write_file_atomically(folder / "generation_config.json",
                        hf_generation_config_json(spec).dump(2) + "\n");
  write_safetensors(folder / "model.safetensors", initial_weights(spec, seed), {{"format", "pt"}});
  folder.commit();
  return spec;
}

}  // namespace retune::pretrain
