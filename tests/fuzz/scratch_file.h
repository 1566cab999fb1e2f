// The file a fuzz target hands to a reader that takes a path: one folder per process under the
// system's temporary folder, rewritten with each input and removed when the process ends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

namespace retune::fuzz {

// The process's scratch folder (made on first use).
const std::filesystem::path& scratch_folder();

// Writes `size` bytes to scratch_folder()/name, replacing what was there; returns the path.
std::filesystem::path write_scratch_file(const std::string& name, const uint8_t* data, size_t size);

}  // namespace retune::fuzz
