#include "io/temporary_path.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <string>
#include <string_view>
#include <system_error>

namespace retune {

std::filesystem::path temporary_beside(const std::filesystem::path& path) {
  return path.string() + ".tmp-" + std::to_string(::getpid());
}

void remove_stale_temporaries(const std::filesystem::path& path) {
  const std::filesystem::path folder = path.parent_path().empty() ? "." : path.parent_path();
  const std::string prefix = path.filename().string() + ".tmp-";
  std::error_code error;
  std::filesystem::directory_iterator entries(folder, error);
  if (error) return;
  for (const std::filesystem::directory_entry& entry : entries) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(prefix)) continue;
    const std::string_view digits = std::string_view(name).substr(prefix.size());
    pid_t pid = 0;
    const auto [end, parsed] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
    if (parsed != std::errc() || end != digits.data() + digits.size() || pid <= 0) continue;
    const bool running = pid != ::getpid() && (::kill(pid, 0) == 0 || errno == EPERM);
    if (!running) std::filesystem::remove_all(entry.path(), error);
  }
}

}  // namespace retune
