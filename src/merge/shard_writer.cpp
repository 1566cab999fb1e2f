#include "merge/shard_writer.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <numeric>
#include <span>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/safetensors_dtype.h"

namespace retune::merge {
namespace {

namespace fs = std::filesystem;

void write_all(int fd, const void* data, size_t bytes, uint64_t offset, const fs::path& file) {
  const auto* p = static_cast<const char*>(data);
  while (bytes > 0) {
    const ssize_t n = ::pwrite(fd, p, bytes, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("{}: cannot write: {}", file.string(), std::strerror(errno));
    p += n;
    bytes -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
}

}  // namespace

ShardWriter::ShardWriter(const fs::path& folder, const std::vector<ShardTensor>& tensors,
                         uint64_t max_shard_bytes,
                         const std::map<std::string, std::string>& metadata)
    : folder_(folder), tensors_(tensors), placements_(tensors.size()) {
  // Greedy in the given order (huggingface_hub's split_torch_state_dict_into_shards).
  std::vector<std::vector<size_t>> groups;
  uint64_t current = 0;
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const uint64_t bytes = tensors_[i].bytes();
    if (groups.empty() || (current > 0 && current + bytes > max_shard_bytes)) {
      groups.emplace_back();
      current = 0;
    }
    groups.back().push_back(i);
    current += bytes;
  }
  if (groups.empty()) groups.emplace_back();
  for (size_t s = 0; s < groups.size(); ++s) {
    Shard shard;
    shard.file = groups.size() == 1
                     ? "model.safetensors"
                     : fmt::format("model-{:05d}-of-{:05d}.safetensors", s + 1, groups.size());
    std::vector<size_t> order = groups[s];
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      const int ra = safetensors_dtype_rank(tensors_[a].dtype);
      const int rb = safetensors_dtype_rank(tensors_[b].dtype);
      return ra != rb ? ra > rb : tensors_[a].name < tensors_[b].name;
    });
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!metadata.empty()) header["__metadata__"] = metadata;
    uint64_t offset = 0;
    for (size_t i : order) {
      const ShardTensor& t = tensors_[i];
      std::vector<int64_t> dims;
      for (int d = 0; d < t.shape.rank(); ++d) dims.push_back(t.shape[d]);
      header[t.name] = {{"dtype", std::string(safetensors_dtype_name(t.dtype))},
                        {"shape", dims},
                        {"data_offsets", {offset, offset + t.bytes()}}};
      placements_[i] = {s, offset, t.bytes(), false};
      offset += t.bytes();
    }
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' ');
    const fs::path path = folder_ / shard.file;
    shard.fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (shard.fd < 0) fail("{}: cannot create: {}", path.string(), std::strerror(errno));
    shards_.push_back(shard);
    unsigned char length[8];
    for (size_t b = 0; b < 8; ++b) length[b] = static_cast<unsigned char>(text.size() >> (8 * b));
    write_all(shard.fd, length, 8, 0, path);
    write_all(shard.fd, text.data(), text.size(), 8, path);
    shards_.back().data_start = 8 + text.size();
    if (::ftruncate(shard.fd, static_cast<off_t>(8 + text.size() + offset)) != 0) {
      fail("{}: cannot size: {}", path.string(), std::strerror(errno));
    }
  }
}

ShardWriter::~ShardWriter() {
  for (const Shard& shard : shards_) {
    if (shard.fd >= 0) ::close(shard.fd);
  }
}

void ShardWriter::write(size_t index, const void* data, size_t nbytes) {
  RETUNE_CHECK(index < placements_.size(), "shard writer: no tensor {}", index);
  Placement& p = placements_[index];
  RETUNE_CHECK(nbytes == p.bytes, "shard writer: tensor {} has {} bytes, {} given",
               tensors_[index].name, p.bytes, nbytes);
  const Shard& shard = shards_[p.shard];
  write_all(shard.fd, data, nbytes, shard.data_start + p.offset, folder_ / shard.file);
  const std::lock_guard<std::mutex> lock(mutex_);
  p.written = true;
}

void ShardWriter::finish() {
  RETUNE_CHECK(!finished_, "shard writer: finished twice");
  for (size_t i = 0; i < placements_.size(); ++i) {
    RETUNE_CHECK(placements_[i].written, "shard writer: tensor {} was not written",
                 tensors_[i].name);
  }
  for (Shard& shard : shards_) {
    const fs::path path = folder_ / shard.file;
    if (::fsync(shard.fd) != 0) fail("{}: cannot sync: {}", path.string(), std::strerror(errno));
    if (::close(shard.fd) != 0) fail("{}: cannot close: {}", path.string(), std::strerror(errno));
    shard.fd = -1;
  }
  if (shards_.size() > 1) {
    nlohmann::json weight_map = nlohmann::json::object();
    uint64_t total = 0;
    for (size_t i = 0; i < tensors_.size(); ++i) {
      weight_map[tensors_[i].name] = shards_[placements_[i].shard].file;
      total += tensors_[i].bytes();
    }
    const nlohmann::json index = {{"metadata", {{"total_size", total}}},
                                  {"weight_map", weight_map}};
    const std::string text = index.dump(2, ' ', true) + "\n";
    AtomicFile file(folder_ / "model.safetensors.index.json");
    file.write(std::as_bytes(std::span(text)));
    file.commit();
  }
  finished_ = true;
}

std::vector<std::string> ShardWriter::files() const {
  std::vector<std::string> out;
  for (const Shard& shard : shards_) out.push_back(shard.file);
  return out;
}

uint64_t parse_shard_size(const std::string& text) {
  std::string s;
  for (char c : text) s += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  uint64_t unit = 1;
  if (s.size() >= 2 && s.back() == 'B' &&
      std::string("KMG").find(s[s.size() - 2]) != std::string::npos) {
    s.pop_back();
  }
  if (!s.empty() && (s.back() == 'K' || s.back() == 'M' || s.back() == 'B' || s.back() == 'G')) {
    unit = s.back() == 'K' ? 1000ull : s.back() == 'M' ? 1000'000ull : 1000'000'000ull;
    s.pop_back();
  }
  const bool digits =
      !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  RETUNE_CHECK(digits && s.size() < 12,
               "shard size \"{}\" must be a whole number of bytes with an optional K, M or B "
               "(G) suffix, like 5B or 500M",
               text);
  const uint64_t value = std::stoull(s) * unit;
  RETUNE_CHECK(value > 0, "shard size \"{}\" must be > 0", text);
  return value;
}

}  // namespace retune::merge
