// The progress display of the training commands (train, continual, demo): on a terminal one
// line redrawn per step (step/total, loss, lr, gradient norm, tokens/s, time left); otherwise a
// plain line every `log_every` steps and at the last. Notes go to stderr as "retune: ...".
#pragma once

#include <cstdint>
#include <string>

#include "train/training_run.h"

namespace retune::cli {

train::RunEvents progress_events(int64_t log_every);

// "1:02:03" or "2:03".
std::string duration(double seconds);

}  // namespace retune::cli
