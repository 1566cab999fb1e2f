// run_retune(args): runs the retune binary built beside the tests (RETUNE_BINARY) through the
// shell and returns its exit code and what it printed, for end-to-end tests of the CLI.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace retune {

struct RetuneRun {
  int exit_code = -1;
  std::string out;  // stdout, and stderr too when run with merge_stderr
};

// `args` goes to the shell as written: quote what needs quoting.
inline RetuneRun run_retune(const std::string& args, bool merge_stderr = false) {
  const std::string command =
      std::string(RETUNE_BINARY) + " " + args + (merge_stderr ? " 2>&1" : " 2>/dev/null");
  RetuneRun run;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return run;
  std::array<char, 4096> buffer;
  for (size_t n; (n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0;) {
    run.out.append(buffer.data(), n);
  }
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

// Whether `out` says the run stopped for want of `device` ("cuda:7"): the machine lacks it, or the
// build has no CUDA backend. Tests of what a device accepts run on a device no machine here has.
inline bool refused_for_want_of(const std::string& out, const std::string& device) {
  return out.find(device + " does not exist") != std::string::npos ||
         out.find("no CUDA backend") != std::string::npos;
}

// The text between single quotes for the shell ('it'\''s').
inline std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (const char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace retune
