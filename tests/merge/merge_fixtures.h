// Paths of the mergekit fixtures (tools/fixtures/make_merge_fixtures.py) for the merge tests.
#pragma once

#include <filesystem>
#include <string>

namespace retune::merge {

inline std::filesystem::path merge_fixtures() {
  return std::filesystem::path(RETUNE_FIXTURES_DIR) / "merge";
}
inline std::filesystem::path merge_fixture_config(const std::string& name) {
  return merge_fixtures() / "configs" / (name + ".yaml");
}
inline std::filesystem::path merge_variant(const std::string& name) {
  return merge_fixtures() / "models" / name;
}
inline std::filesystem::path merge_base_model() {
  return std::filesystem::path(RETUNE_FIXTURES_DIR) / "hf" / "models" / "llama_gqa_untied";
}

}  // namespace retune::merge
