#include "core/stop_request.h"

#include <atomic>
#include <csignal>

namespace retune {
namespace {

std::atomic<int> requested{0};
static_assert(std::atomic<int>::is_always_lock_free,
              "a signal handler may only use lock-free atomics");

extern "C" void on_stop_signal(int signal) {
  if (requested.exchange(signal) == 0) return;
  // Asked twice: the signal's default action (termination), now.
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

}  // namespace

void install_stop_handlers() {
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
}

int stop_signal() {
  return requested.load();
}

const char* stop_signal_name(int signal) {
  if (signal == SIGINT) return "SIGINT";
  if (signal == SIGTERM) return "SIGTERM";
  return "a signal";
}

}  // namespace retune
