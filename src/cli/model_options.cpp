#include "cli/model_options.h"

#include "adapters/poly_model.h"
#include "adapters/sparse_diff.h"
#include "adapters/trained_adapter.h"
#include "core/device.h"
#include "core/error.h"
#include "model/trainable_weights.h"

namespace retune::cli {

void add_model_options(CLI::App* command, ModelSource& source) {
  command->add_option("--model", source.model, "a model folder")->type_name("DIR")->required();
  command
      ->add_option("--tokenizer", source.tokenizer,
                   "a tokenizer folder (default: the model folder's)")
      ->type_name("DIR");
  command
      ->add_option("--adapter", source.adapter,
                   "a PEFT adapter folder (LoRA, DoRA, IA3, Poly) or a sparse difference, "
                   "applied on the fly")
      ->type_name("DIR");
  command
      ->add_option("--task", source.task,
                   "a Poly adapter's task (an id or a name) for inputs that name none")
      ->type_name("ID|NAME");
}

std::unique_ptr<model::CausalLm> load_model(const ModelSource& source,
                                            std::unique_ptr<adapters::TrainedAdapter>* adapter) {
  std::unique_ptr<model::CausalLm> model = model::load_causal_lm(source.model);
  std::unique_ptr<adapters::TrainedAdapter> loaded;
  if (source.adapter && adapters::is_sparse_diff(*source.adapter)) {
    adapters::apply_sparse_diff(*model, *source.adapter);
  } else if (source.adapter) {
    loaded = adapters::load_adapter(*model, *source.adapter);
  }
  if (source.task) {
    auto* poly = dynamic_cast<adapters::PolyModel*>(loaded.get());
    RETUNE_CHECK(poly, "--task {}: only a Poly adapter (peft_type \"POLY\") takes a task",
                 *source.task);
    poly->route_all(poly->task_id(*source.task, "--task"));
  }
  if (adapter) *adapter = std::move(loaded);
  return model;
}

void use_device(model::CausalLm& model, adapters::TrainedAdapter* adapter, Device device) {
  if (device.is_cpu()) return;
  activate_device(device);
  model::move_weights(model, device);
  if (adapter) adapter->move_to(model, device);
}

}  // namespace retune::cli
