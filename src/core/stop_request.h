// Stopping a long run cleanly on SIGINT or SIGTERM: the first signal only records the request,
// which the run answers at its next safe point (training: after the step in progress, with a
// checkpoint written); a second signal ends the process at once, as it would have without the
// handlers.
#pragma once

namespace retune {

// Installs the handlers for SIGINT and SIGTERM (once per process; later calls do nothing new).
void install_stop_handlers();
// The signal that asked to stop (SIGINT or SIGTERM), or 0 when none has.
int stop_signal();
// "SIGINT" or "SIGTERM" ("a signal" for any other).
const char* stop_signal_name(int signal);

}  // namespace retune
