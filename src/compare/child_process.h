// Running another program as a child process and measuring it: its exit, its own peak resident
// memory (wait4's ru_maxrss, not this process's) and its wall time.
//
// Linux carries the spawning process's high-water RSS over exec into the child's ru_maxrss: a
// child spawned by a process that has grown large reports at least that size. Spawn children
// while the calling process is still small (before it loads models).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace retune::compare {

struct ChildRun {
  int exit_code = -1;  // the exit status, or -1 when killed by a signal
  int signal = 0;      // the signal that killed it, or 0
  int64_t peak_rss_bytes = 0;
  double wall_seconds = 0;

  bool succeeded() const { return exit_code == 0; }
  // "exit code 3" or "killed by signal 9 (Killed)".
  std::string describe_failure() const;
};

// Runs `program` with `argv` (argv[0] is what the program sees as its name) in the folder `cwd`
// with the environment of this process, stdout and stderr both going to `log` (created or
// truncated), and waits for it. "/proc/self/exe" runs this program's own file, even when it was
// replaced since this process started. Throws retune::Error when the log cannot be opened or
// the program cannot be started.
ChildRun run_child(const std::filesystem::path& program, const std::vector<std::string>& argv,
                   const std::filesystem::path& cwd, const std::filesystem::path& log);

}  // namespace retune::compare
