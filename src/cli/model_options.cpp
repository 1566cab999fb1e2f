#include "cli/model_options.h"

#include "adapters/lora_model.h"
#include "adapters/sparse_diff.h"

namespace retune::cli {

void add_model_options(CLI::App* command, ModelSource& source) {
  command->add_option("--model", source.model, "a model folder")->type_name("DIR")->required();
  command
      ->add_option("--tokenizer", source.tokenizer,
                   "a tokenizer folder (default: the model folder's)")
      ->type_name("DIR");
  command
      ->add_option("--adapter", source.adapter,
                   "a PEFT LoRA/DoRA adapter folder or a sparse difference, applied on the fly")
      ->type_name("DIR");
}

std::unique_ptr<model::CausalLm> load_model(const ModelSource& source) {
  std::unique_ptr<model::CausalLm> model = model::load_causal_lm(source.model);
  if (source.adapter && adapters::is_sparse_diff(*source.adapter)) {
    adapters::apply_sparse_diff(*model, *source.adapter);
  } else if (source.adapter) {
    adapters::load_lora(*model, *source.adapter);
  }
  return model;
}

}  // namespace retune::cli
