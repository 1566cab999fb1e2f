// A pid that no process has now, for tests of what a killed process left behind.
#pragma once

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace retune {

// A child's pid, after the child has ended and been waited for.
inline pid_t ended_pid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  return child;
}

}  // namespace retune
