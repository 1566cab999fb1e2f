// A BPE vocabulary's ids: negative, fractional or past kMaxVocabulary ids are refused naming the
// token, before any table is sized by them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "support/error_of.h"
#include "tokenizer/bpe.h"

namespace retune::tokenizer {
namespace {

std::string error_with_id(const nlohmann::json& id) {
  const nlohmann::json model = {
      {"type", "BPE"}, {"vocab", {{"a", 0}, {"b", id}}}, {"merges", nlohmann::json::array()}};
  return error_of([&] { Bpe::from_json(model, "tokenizer.json"); });
}

TEST(BpeVocabulary, RefusesIdsOutsideTheBound) {
  const std::string expected =
      "tokenizer.json: vocabulary token \"b\" has id {}, not an integer "
      "in [0, 16777216)";
  EXPECT_EQ(error_with_id(-1), fmt::format(fmt::runtime(expected), "-1"));
  EXPECT_EQ(error_with_id(1.5), fmt::format(fmt::runtime(expected), "1.5"));
  EXPECT_EQ(error_with_id(int64_t{1} << 24), fmt::format(fmt::runtime(expected), "16777216"));
  EXPECT_EQ(error_with_id(int64_t{1} << 40), fmt::format(fmt::runtime(expected), "1099511627776"));
  EXPECT_EQ(error_with_id(1), "no error");
}

}  // namespace
}  // namespace retune::tokenizer
