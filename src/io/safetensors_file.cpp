#include "io/safetensors_file.h"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "core/error.h"
#include "io/safetensors_dtype.h"

namespace retune {

namespace {

using Json = nlohmann::json;

// A safetensors header nests three levels: the header object, a tensor entry, its shape.
constexpr int kMaxJsonDepth = 3;

// Parses the header, refusing duplicate keys (JSON allows them, a header must not), deeper
// nesting than a header has and more than kMaxTensors tensors (while parsing, before they cost
// memory). Returns the top-level keys in file order in `order`.
Json parse_header(const std::string& where, std::string_view text,
                  std::vector<std::string>& order) {
  std::vector<std::unordered_set<std::string>> keys;  // one set per open object
  size_t tensors = 0;
  Json::parser_callback_t check = [&](int depth, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        if (depth >= kMaxJsonDepth) {
          fail("{}: header nests deeper than a safetensors header ({} levels)", where,
               kMaxJsonDepth);
        }
        if (event == Json::parse_event_t::object_start) keys.emplace_back();
        break;
      case Json::parse_event_t::object_end:
        keys.pop_back();
        break;
      case Json::parse_event_t::key: {
        const auto& key = parsed.get_ref<const std::string&>();
        if (!keys.back().insert(key).second) fail("{}: header has the key '{}' twice", where, key);
        if (keys.size() != 1) break;
        order.push_back(key);
        if (key != "__metadata__" && ++tensors > SafetensorsFile::kMaxTensors) {
          fail("{}: header lists more than {} tensors", where, SafetensorsFile::kMaxTensors);
        }
        break;
      }
      default:
        break;
    }
    return true;
  };
  try {
    return Json::parse(text.begin(), text.end(), check);
  } catch (const Json::exception& error) {
    fail("{}: header is not valid JSON: {}", where, error.what());
  }
}

// A JSON number that is an integer >= 0 (floats such as 2.0 and negatives are not).
bool is_count(const Json& value) {
  return value.is_number_unsigned();
}

std::map<std::string, std::string> parse_metadata(const std::string& where, const Json& value) {
  RETUNE_CHECK(value.is_object(), "{}: \"__metadata__\" is not a JSON object", where);
  std::map<std::string, std::string> metadata;
  for (const auto& [key, item] : value.items()) {
    RETUNE_CHECK(item.is_string(), "{}: \"__metadata__\" value for '{}' is not a string: {}", where,
                 key, item.dump());
    metadata.emplace(key, item.get<std::string>());
  }
  return metadata;
}

// Checks one tensor entry against itself and the data section's size.
SafetensorsTensorInfo parse_entry(const std::string& where, const std::string& name,
                                  const Json& entry, uint64_t data_start, uint64_t data_bytes) {
  const std::string at = fmt::format("{}: tensor '{}'", where, name);
  RETUNE_CHECK(entry.is_object(), "{}: entry is not a JSON object", at);
  for (const char* field : {"dtype", "shape", "data_offsets"}) {
    RETUNE_CHECK(entry.contains(field), "{}: entry has no \"{}\"", at, field);
  }
  const Json& dtype_json = entry["dtype"];
  const Json& shape_json = entry["shape"];
  const Json& offsets_json = entry["data_offsets"];
  RETUNE_CHECK(dtype_json.is_string(), "{}: \"dtype\" is not a string: {}", at, dtype_json.dump());
  RETUNE_CHECK(shape_json.is_array(), "{}: \"shape\" is not an array: {}", at, shape_json.dump());
  RETUNE_CHECK(offsets_json.is_array() && offsets_json.size() == 2 && is_count(offsets_json[0]) &&
                   is_count(offsets_json[1]),
               "{}: \"data_offsets\" is not an array of two integers >= 0: {}", at,
               offsets_json.dump());

  SafetensorsTensorInfo info;
  const auto& dtype_text = dtype_json.get_ref<const std::string&>();
  const std::optional<DType> dtype = dtype_from_safetensors(dtype_text);
  RETUNE_CHECK(dtype.has_value(),
               "{}: unsupported dtype '{}' (retune reads F32, BF16, F16, I32 and I64)", at,
               dtype_text);
  info.dtype = *dtype;

  RETUNE_CHECK(shape_json.size() <= kMaxRank, "{}: shape {} has {} dimensions; at most {}", at,
               shape_json.dump(), shape_json.size(), kMaxRank);
  int64_t numel = 1;
  for (const Json& dim : shape_json) {
    RETUNE_CHECK(is_count(dim), "{}: shape {} has a dimension that is not an integer >= 0: {}", at,
                 shape_json.dump(), dim.dump());
    const uint64_t size = dim.get<uint64_t>();
    RETUNE_CHECK(size == 0 || (size <= static_cast<uint64_t>(kMaxNumel) &&
                               numel <= kMaxNumel / static_cast<int64_t>(size)),
                 "{}: shape {} has more than {} elements", at, shape_json.dump(), kMaxNumel);
    numel *= static_cast<int64_t>(size);
    info.shape.append(static_cast<int64_t>(size));
  }

  info.begin = offsets_json[0].get<uint64_t>();
  info.end = offsets_json[1].get<uint64_t>();
  RETUNE_CHECK(info.begin <= info.end, "{}: data_offsets [{}, {}] begin after they end", at,
               info.begin, info.end);
  RETUNE_CHECK(info.end <= data_bytes,
               "{}: data_offsets [{}, {}] run past the end of the data section ({} bytes)", at,
               info.begin, info.end, data_bytes);
  const uint64_t element = dtype_size(info.dtype);
  const uint64_t expected = static_cast<uint64_t>(numel) * element;
  RETUNE_CHECK(info.end - info.begin == expected,
               "{}: data_offsets [{}, {}] hold {} bytes, but {} {} needs {}", at, info.begin,
               info.end, info.end - info.begin, dtype_text, info.shape.str(), expected);
  // Typed zero-copy access needs element-aligned data; the mapping itself is page-aligned.
  RETUNE_CHECK((data_start + info.begin) % element == 0,
               "{}: data starts at file byte {}, which is not a multiple of the {}-byte {} "
               "element size",
               at, data_start + info.begin, element, dtype_text);
  return info;
}

}  // namespace

SafetensorsFile SafetensorsFile::open(const std::filesystem::path& path) {
  SafetensorsFile result;
  result.file_ = MappedFile::open(path);
  const std::string where = path.string();
  const uint64_t file_bytes = result.file_->size();
  RETUNE_CHECK(file_bytes >= 8,
               "{}: file of {} bytes is too short for a safetensors header length (8 bytes)", where,
               file_bytes);
  uint64_t header_bytes = 0;
  for (int i = 7; i >= 0; --i) {
    header_bytes = header_bytes << 8 | std::to_integer<uint64_t>(result.file_->data()[i]);
  }
  RETUNE_CHECK(header_bytes <= kMaxHeaderBytes,
               "{}: header length {} exceeds the limit of {} bytes", where, header_bytes,
               kMaxHeaderBytes);
  RETUNE_CHECK(header_bytes <= file_bytes - 8,
               "{}: header length {} runs past the end of the file ({} bytes)", where, header_bytes,
               file_bytes);
  result.data_start_ = 8 + header_bytes;
  const uint64_t data_bytes = file_bytes - result.data_start_;

  std::vector<std::string> order;
  const std::string_view text(reinterpret_cast<const char*>(result.file_->data()) + 8,
                              header_bytes);
  const Json header = parse_header(where, text, order);
  RETUNE_CHECK(header.is_object(), "{}: header is not a JSON object but {}", where,
               header.type_name());

  const size_t tensors = order.size() - (header.contains("__metadata__") ? 1 : 0);
  result.names_.reserve(tensors);
  result.infos_.reserve(tensors);
  for (const std::string& key : order) {
    if (key == "__metadata__") {
      result.metadata_ = parse_metadata(where, header[key]);
      continue;
    }
    result.infos_.emplace(key,
                          parse_entry(where, key, header[key], result.data_start_, data_bytes));
    result.names_.push_back(key);
  }

  // No two tensors may share bytes (empty tensors occupy none): sorted by where they begin,
  // each must end before the next begins.
  struct Range {
    uint64_t begin, end;
    const std::string* name;
  };
  std::vector<Range> ranges;
  for (const std::string& name : result.names_) {
    const SafetensorsTensorInfo& info = result.infos_.at(name);
    if (info.end > info.begin) ranges.push_back({info.begin, info.end, &name});
  }
  std::sort(ranges.begin(), ranges.end(),
            [](const Range& a, const Range& b) { return a.begin < b.begin; });
  for (size_t i = 1; i < ranges.size(); ++i) {
    const Range& previous = ranges[i - 1];
    const Range& current = ranges[i];
    RETUNE_CHECK(previous.end <= current.begin,
                 "{}: tensors '{}' [{}, {}) and '{}' [{}, {}) overlap in the data section", where,
                 *previous.name, previous.begin, previous.end, *current.name, current.begin,
                 current.end);
  }
  return result;
}

const SafetensorsTensorInfo& SafetensorsFile::info(const std::string& name) const {
  const auto found = infos_.find(name);
  if (found == infos_.end()) fail("{}: no tensor named '{}'", path().string(), name);
  return found->second;
}

Tensor SafetensorsFile::tensor(const std::string& name) const {
  const SafetensorsTensorInfo& entry = info(name);
  return Tensor::on_storage(file_->region(data_start_ + entry.begin, entry.end - entry.begin), 0,
                            entry.shape, entry.dtype);
}

}  // namespace retune
