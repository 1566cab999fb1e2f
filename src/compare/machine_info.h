// The machine a comparison ran on, for its results file: /proc/cpuinfo's CPU model, the cores
// and memory the system reports, and the time in UTC.
#pragma once

#include <cstdint>
#include <string>

namespace retune::compare {

struct MachineInfo {
  std::string cpu;  // /proc/cpuinfo's first "model name", or "unknown"
  int cores = 0;    // std::thread::hardware_concurrency
  int64_t memory_bytes = 0;
};

MachineInfo machine_info();

// "2026-11-27T14:08:00Z".
std::string utc_timestamp();

}  // namespace retune::compare
