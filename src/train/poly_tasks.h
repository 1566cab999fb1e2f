// Task ids for a Poly adapter (adapters/poly_model.h): from the data's "task" fields into the
// tokenized examples, and from each batch's rows into the adapter's routes before its forward.
//
// An example's task is its "task" field (data/dataset_file.h: an id or one of the adapter's task
// names), else `fallback` (the --task option), else task 0 when the adapter has one task; an
// example with none of these is an Error naming its file:line.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/poly_model.h"
#include "data/batch_source.h"
#include "data/dataset_file.h"
#include "data/tokenized_example.h"
#include "model/causal_lm.h"
#include "train/train_config.h"

namespace retune::train {

// The task id of each example, as described above. Errors name the example's source and the
// task (an unknown name, an id >= n_tasks) or the missing field.
std::vector<int32_t> example_tasks(const std::vector<Example>& examples,
                                   const adapters::PolyModel& poly,
                                   const std::optional<std::string>& fallback);

// Sets tokens[i].task to example_tasks(examples, ...)[i]; both lists in the same order.
void set_example_tasks(const std::vector<Example>& examples, std::vector<TokenizedExample>& tokens,
                       const adapters::PolyModel& poly, const std::optional<std::string>& fallback);

// method poly's adapter on `model`: a new one (config.poly, seeded by training.seed), or
// config.adapter's (a "POLY" folder) grown to poly.n_tasks routers rows when that is larger
// (with poly.tasks as its names), training only its routers with poly.train router (MHR-z).
// Refuses the settings whose rows carry no task (data.retain, forgetting.*, data.exact_match,
// ist, sparse.mask).
std::unique_ptr<adapters::PolyModel> start_poly(const TrainConfig& config, model::CausalLm& model);

// What routes each batch's rows (Batch::tasks) to `poly` before its forward; `poly` must
// outlive it. None (an empty function) without a Poly adapter.
std::function<void(const Batch&)> batch_router(adapters::PolyModel* poly);

}  // namespace retune::train
