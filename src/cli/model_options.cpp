#include "cli/model_options.h"

namespace retune::cli {

void add_model_options(CLI::App* command, ModelSource& source) {
  command->add_option("--model", source.model, "a model folder")->type_name("DIR")->required();
  command
      ->add_option("--tokenizer", source.tokenizer,
                   "a tokenizer folder (default: the model folder's)")
      ->type_name("DIR");
}

}  // namespace retune::cli
