#include "compare/trained_model.h"

#include "adapters/sparse_diff.h"
#include "adapters/trained_adapter.h"
#include "core/error.h"

namespace retune::compare {

std::unique_ptr<model::CausalLm> load_trained_model(const std::filesystem::path& base,
                                                    const std::filesystem::path& output) {
  if (std::filesystem::is_regular_file(output / "config.json")) {
    return model::load_causal_lm(output);
  }
  std::unique_ptr<model::CausalLm> model = model::load_causal_lm(base);
  if (adapters::is_sparse_diff(output)) {
    adapters::apply_sparse_diff(*model, output);
  } else if (std::filesystem::is_regular_file(output / "adapter_config.json")) {
    adapters::load_adapter(*model, output);
  } else {
    fail(
        "{}: neither an adapter folder (adapter_config.json), a sparse difference "
        "(sparse_config.json) nor a model folder (config.json)",
        output.string());
  }
  return model;
}

}  // namespace retune::compare
