// Where atomic writes (io/atomic_file.h, io/atomic_folder.h) put their bytes before the rename:
// `<path>.tmp-<pid>` beside the path. A process killed mid-write leaves that behind; it is never
// read as output, and the next write of the same path removes it.
#pragma once

#include <filesystem>

namespace retune {

// `<path>.tmp-<this process's pid>`.
std::filesystem::path temporary_beside(const std::filesystem::path& path);

// Removes every `<path>.tmp-<pid>` beside `path` left by a process that no longer runs (this
// process's own included, from a killed run that had the same pid). Best effort: what cannot be
// removed stays.
void remove_stale_temporaries(const std::filesystem::path& path);

}  // namespace retune
