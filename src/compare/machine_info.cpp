#include "compare/machine_info.h"

#include <unistd.h>

#include <ctime>
#include <fstream>
#include <thread>

namespace retune::compare {

MachineInfo machine_info() {
  MachineInfo info{.cpu = "unknown",
                   .cores = static_cast<int>(std::thread::hardware_concurrency()),
                   .memory_bytes = static_cast<int64_t>(sysconf(_SC_PHYS_PAGES)) *
                                   static_cast<int64_t>(sysconf(_SC_PAGESIZE))};
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    const size_t colon = line.find(": ");
    if (line.starts_with("model name") && colon != std::string::npos) {
      info.cpu = line.substr(colon + 2);
      break;
    }
  }
  return info;
}

std::string utc_timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace retune::compare
