// StreamDecoder on the fixture tokenizers: the pieces add up to the whole decoding, no piece
// shows a character that is still incomplete, and stop strings end the text.
#include "tokenizer/stream_decoder.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/files.h"

namespace retune {
namespace {

std::filesystem::path fixture(const std::string& name) {
  return std::filesystem::path(RETUNE_FIXTURES_DIR) / "hf" / "tokenizers" / name;
}

// The reference ids of every case of a fixture tokenizer.
std::vector<std::vector<int32_t>> reference_ids(const std::string& name) {
  const auto reference = nlohmann::json::parse(read_file(fixture(name) / "reference.json"));
  std::vector<std::vector<int32_t>> ids;
  for (const auto& test_case : reference.at("cases")) {
    ids.push_back(test_case.at("ids").get<std::vector<int32_t>>());
  }
  return ids;
}

// The pieces of `ids` pushed one at a time, then finish()'s rest.
std::vector<std::string> stream(StreamDecoder& decoder, const std::vector<int32_t>& ids) {
  std::vector<std::string> pieces;
  for (const int32_t id : ids) pieces.push_back(decoder.push(id));
  pieces.push_back(decoder.finish());
  return pieces;
}

std::string joined(const std::vector<std::string>& pieces) {
  std::string text;
  for (const std::string& piece : pieces) text += piece;
  return text;
}

class StreamDecoderFixture : public testing::TestWithParam<std::string> {};

// Byte-level tokens split multi-byte characters (emoji, CJK) and the SentencePiece fixture
// falls back to byte tokens for rare characters: no piece may show their U+FFFD placeholders.
TEST_P(StreamDecoderFixture, PiecesAddUpToTheDecodedText) {
  const Tokenizer tokenizer = Tokenizer::load(fixture(GetParam()));
  for (const std::vector<int32_t>& ids : reference_ids(GetParam())) {
    const std::string whole = tokenizer.decode(ids, true);
    StreamDecoder decoder(tokenizer, true);
    const std::vector<std::string> pieces = stream(decoder, ids);
    EXPECT_EQ(joined(pieces), whole);
    if (whole.find("\xEF\xBF\xBD") != std::string::npos) continue;
    for (const std::string& piece : pieces)
      EXPECT_EQ(piece.find("\xEF\xBF\xBD"), std::string::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(TokenizerHf, StreamDecoderFixture,
                         testing::Values("bytelevel_gpt2", "bytelevel_llama3", "bytelevel_qwen2",
                                         "sentencepiece_bpe"));

TEST(StreamDecoder, StopsBeforeTheFirstStopStringAndHoldsItsPrefixes) {
  Tokenizer tokenizer = Tokenizer::load(fixture("bytelevel_gpt2"));
  const std::string text = "Hello, world! I'm here; you're there.";
  const std::vector<int32_t> ids = tokenizer.encode(text, false);
  StreamDecoder decoder(tokenizer, true, {"", "you're", "ere;"});
  std::string seen;
  for (const int32_t id : ids) {
    seen += decoder.push(id);
    // Nothing that could begin a stop string is shown before it is known not to.
    EXPECT_FALSE(seen.ends_with("e") && !decoder.stopped() && seen.size() > 30) << seen;
  }
  EXPECT_TRUE(decoder.stopped());
  EXPECT_EQ(seen + decoder.finish(), "Hello, world! I'm h");
  EXPECT_EQ(decoder.push(ids[0]), "");
}

TEST(StreamDecoder, WithoutStopStringsFinishReturnsTheHeldTail) {
  Tokenizer tokenizer = Tokenizer::load(fixture("bytelevel_gpt2"));
  const std::vector<int32_t> ids = tokenizer.encode("abc you", false);
  StreamDecoder decoder(tokenizer, true, {"you're"});
  const std::vector<std::string> pieces = stream(decoder, ids);
  EXPECT_FALSE(decoder.stopped());
  EXPECT_EQ(pieces.back(), "you");  // held: it could have begun "you're"
  EXPECT_EQ(joined(pieces), "abc you");
}

}  // namespace
}  // namespace retune
