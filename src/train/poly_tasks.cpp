#include "train/poly_tasks.h"

#include "core/error.h"

namespace retune::train {

std::vector<int32_t> example_tasks(const std::vector<Example>& examples,
                                   const adapters::PolyModel& poly,
                                   const std::optional<std::string>& fallback) {
  std::vector<int32_t> tasks;
  tasks.reserve(examples.size());
  for (const Example& example : examples) {
    if (example.task) {
      tasks.push_back(poly.task_id(*example.task, example.source + ": field \"task\""));
    } else if (fallback) {
      tasks.push_back(poly.task_id(*fallback, "--task"));
    } else {
      RETUNE_CHECK(poly.n_tasks() == 1,
                   "{}: field \"task\" is missing: the Poly adapter has n_tasks {}, so every "
                   "example needs its task (an id or a name; or pass --task)",
                   example.source, poly.n_tasks());
      tasks.push_back(0);
    }
  }
  return tasks;
}

void set_example_tasks(const std::vector<Example>& examples, std::vector<TokenizedExample>& tokens,
                       const adapters::PolyModel& poly,
                       const std::optional<std::string>& fallback) {
  const std::vector<int32_t> tasks = example_tasks(examples, poly, fallback);
  RETUNE_CHECK(tasks.size() == tokens.size(), "{} examples but {} tokenized", tasks.size(),
               tokens.size());
  for (size_t i = 0; i < tasks.size(); ++i) tokens[i].task = tasks[i];
}

std::unique_ptr<adapters::PolyModel> start_poly(const TrainConfig& config, model::CausalLm& model) {
  const ForgettingSettings& forgetting = config.forgetting;
  RETUNE_CHECK(config.data.retain.empty() && forgetting.replay == 0 && forgetting.ewc == 0 &&
                   forgetting.l2sp == 0 && forgetting.distill == 0 && forgetting.fpf_every == 0 &&
                   !config.data.exact_match && !config.ist.enabled && !config.sparse.mask,
               "method poly: data.retain, data.exact_match, forgetting.*, ist and sparse.mask are "
               "not supported (their rows carry no task)");
  const PolySettings& settings = config.poly;
  if (!config.adapter) {
    RETUNE_CHECK(settings.train == "all",
                 "poly.train router (MHR-z) trains the routers of an existing Poly adapter: set "
                 "adapter to its folder");
    return std::make_unique<adapters::PolyModel>(
        adapters::attach_poly(model, settings.config, config.training.seed, settings.tasks));
  }
  auto poly = std::make_unique<adapters::PolyModel>(adapters::load_poly(model, *config.adapter));
  // poly.n_tasks, or the count of poly.tasks (train_config.h).
  if (settings.n_tasks_set || !settings.tasks.empty()) {
    poly->add_tasks(settings.config.shape.n_tasks, config.training.seed, settings.tasks);
  }
  if (settings.train == "router") poly->train_router_only();
  return poly;
}

std::function<void(const Batch&)> batch_router(adapters::PolyModel* poly) {
  if (poly == nullptr) return {};
  return [poly](const Batch& batch) { poly->route(batch.tasks); };
}

}  // namespace retune::train
