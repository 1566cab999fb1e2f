#include "cli/model_options.h"

#include "adapters/lora_model.h"

namespace retune::cli {

void add_model_options(CLI::App* command, ModelSource& source) {
  command->add_option("--model", source.model, "a model folder")->type_name("DIR")->required();
  command
      ->add_option("--tokenizer", source.tokenizer,
                   "a tokenizer folder (default: the model folder's)")
      ->type_name("DIR");
  command
      ->add_option("--adapter", source.adapter,
                   "a PEFT LoRA/DoRA adapter folder, applied on the fly")
      ->type_name("DIR");
}

std::unique_ptr<model::CausalLm> load_model(const ModelSource& source) {
  std::unique_ptr<model::CausalLm> model = model::load_causal_lm(source.model);
  if (source.adapter) adapters::load_lora(*model, *source.adapter);
  return model;
}

std::vector<int32_t> end_token_ids(const model::GenerationConfig& config,
                                   const Tokenizer& tokenizer,
                                   std::optional<ChatTemplateKind> chat) {
  std::vector<int32_t> ids = config.eos_token_ids;
  if (tokenizer.eos_id()) ids.push_back(*tokenizer.eos_id());
  if (chat) {
    const auto end_of_turn =
        tokenizer.token_to_id(*chat == ChatTemplateKind::chatml ? "<|im_end|>" : "<|eot_id|>");
    if (end_of_turn) ids.push_back(*end_of_turn);
  }
  return ids;
}

}  // namespace retune::cli
