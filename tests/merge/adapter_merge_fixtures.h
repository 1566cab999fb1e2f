// The PEFT 0.21 add_weighted_adapter fixtures (tests/fixtures/adapter_merge, made by
// tools/fixtures/make_adapter_merge_fixtures.py) as the adapter-merge tests read them.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/file_contents.h"

namespace retune::merge {

inline std::filesystem::path adapter_merge_fixture(const std::string& name) {
  return std::filesystem::path(RETUNE_FIXTURES_DIR) / "adapter_merge" / name;
}

inline const nlohmann::json& adapter_merge_metadata() {
  static const nlohmann::json metadata = read_json_file(adapter_merge_fixture("metadata.json"));
  return metadata;
}

// Input adapter "a", "b" or "c": the metadata gives a path from the repository root or, for the
// fixture's own, from tests/fixtures/adapter_merge.
inline std::filesystem::path adapter_merge_input(const std::string& name) {
  const std::string path = adapter_merge_metadata()["inputs"][name].get<std::string>();
  const std::filesystem::path fixtures(RETUNE_FIXTURES_DIR);
  return path.starts_with("tests/") ? fixtures.parent_path().parent_path() / path
                                    : adapter_merge_fixture(path);
}

inline std::vector<std::string> adapter_merge_cases() {
  std::vector<std::string> cases;
  for (const auto& [name, _] : adapter_merge_metadata()["cases"].items()) cases.push_back(name);
  return cases;
}

}  // namespace retune::merge
