// One random instance of each procedural task (task_catalog.h has the formats): the prompt
// without its tag ("abcd=") and the answer ("dcba"). Every length drawn lies in `lengths`.
#pragma once

#include "core/rng.h"
#include "data/dataset_file.h"
#include "tasks/task_catalog.h"

namespace retune::tasks {

// Letters, bits and digits (symbol_tasks.cpp).
PromptCompletion copy_instance(Rng& rng, LengthRange letters);
PromptCompletion reverse_instance(Rng& rng, LengthRange letters);
PromptCompletion sort_instance(Rng& rng, LengthRange letters);
PromptCompletion count_instance(Rng& rng, LengthRange letters);
PromptCompletion parity_instance(Rng& rng, LengthRange bits);
PromptCompletion maximum_instance(Rng& rng, LengthRange digits);
PromptCompletion lookup_instance(Rng& rng, LengthRange pairs);
PromptCompletion brackets_instance(Rng& rng, LengthRange pairs);

// Arithmetic on decimal numbers (arithmetic_tasks.cpp).
PromptCompletion add_instance(Rng& rng, LengthRange digits);
PromptCompletion subtract_instance(Rng& rng, LengthRange digits);
PromptCompletion multiply_instance(Rng& rng, LengthRange digits);

}  // namespace retune::tasks
