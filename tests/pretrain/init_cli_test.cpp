// `retune init` end to end: a char-level model made from a corpus, then `retune train` with
// method: full lowers its loss clearly; the BPE and --tokenizer-from routes; one-line errors for
// bad input, with nothing written.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support/files.h"
#include "support/run_retune.h"
#include "support/temp_dir.h"

namespace retune {
namespace {

// 60 short documents, one JSON line each (a .txt file would be one document, cut to seq_len).
std::string repeated_corpus() {
  const char* sentences[] = {"the cat sat on the mat.", "the dog sat on the log.",
                             "a cat and a dog met."};
  std::string lines;
  for (int i = 0; i < 60; ++i) {
    lines += nlohmann::json({{"text", sentences[i % 3]}}).dump() + "\n";
  }
  return lines;
}

// The "loss" of every line of metrics.jsonl that has one.
std::vector<double> logged_losses(const std::filesystem::path& metrics) {
  std::vector<double> losses;
  std::ifstream in(metrics);
  for (std::string line; std::getline(in, line);) {
    const nlohmann::json record = nlohmann::json::parse(line);
    if (record.contains("loss")) losses.push_back(record["loss"].get<double>());
  }
  return losses;
}

TEST(PretrainInitCli, MakesAModelThatFullTrainingTeaches) {
  TempDir dir;
  write_file(dir / "corpus.jsonl", repeated_corpus());
  const std::string model = (dir / "model").string();
  const RetuneRun init =
      run_retune("init --arch llama --out " + model + " --tokenizer char --corpus " +
                 (dir / "corpus.jsonl").string() +
                 " --hidden 32 --intermediate 64 --layers 2 --heads 4 "
                 "--kv-heads 2 --max-positions 64 --seed 1");
  ASSERT_EQ(init.exit_code, 0) << init.out;
  // V = 2 special + 14 characters (space, '.', a c d e g h l m n o s t) = 16; tied.
  // Per layer (C 32, F 64, kv width 16): norms 64, q and o 1024 each, k and v 512 each, MLP
  // 3 * 2048: 9280. Embedding 16 * 32 = 512, final norm 32: 2 * 9280 + 512 + 32.
  EXPECT_EQ(init.out, model +
                          ": llama with 19104 parameters (vocab 16, hidden 32, layers 2, "
                          "seed 1)\n");
  const RetuneRun ids = run_retune("tokenize --tokenizer " + model + " --text 'the cat'");
  EXPECT_EQ(nlohmann::json::parse(ids.out).size(), 7u) << ids.out;

  write_file(dir / "train.yaml", "model: " + model + "\noutput: " + (dir / "run").string() +
                                     "\nmethod: full\n"
                                     "data:\n  train: [" +
                                     (dir / "corpus.jsonl").string() +
                                     "]\n  format: text\n  seq_len: 64\n"
                                     "training:\n  batch_size: 4\n  steps: 40\n  lr: 3.0e-3\n"
                                     "schedule:\n  kind: constant\n"
                                     "log_every: 1\nthreads: 1\n");
  const RetuneRun train = run_retune("train " + (dir / "train.yaml").string(), true);
  ASSERT_EQ(train.exit_code, 0) << train.out;
  EXPECT_NE(train.out.find(" 0 truncated to 64 tokens"), std::string::npos) << train.out;
  const std::vector<double> losses = logged_losses(dir / "run/metrics.jsonl");
  ASSERT_EQ(losses.size(), 40u);
  EXPECT_LT(losses.back(), 0.7 * losses.front()) << losses.front() << " -> " << losses.back();
}

TEST(PretrainInitCli, TrainsABpeTokenizerOrCopiesOne) {
  TempDir dir;
  write_file(dir / "corpus.jsonl",
             "{\"text\": \"the cat sat on the mat\"}\n"
             "{\"prompt\": \"the dog\", \"completion\": \" sat\"}\n");
  const std::string bpe = (dir / "bpe").string();
  const RetuneRun init =
      run_retune("init --arch gpt2 --out " + bpe + " --tokenizer bpe --vocab-size 300 --corpus " +
                     (dir / "corpus.jsonl").string(),
                 true);
  ASSERT_EQ(init.exit_code, 0) << init.out;
  const RetuneRun ids = run_retune("tokenize --tokenizer " + bpe + " --text 'the cat sat'");
  EXPECT_EQ(nlohmann::json::parse(ids.out).size(), 3u) << ids.out;  // the, Ġcat, Ġsat

  const std::string copy = (dir / "copy").string();
  const RetuneRun copied = run_retune(
      "init --arch qwen3 --out " + copy + " --tokenizer-from " + bpe + " --layers 1", true);
  ASSERT_EQ(copied.exit_code, 0) << copied.out;
  EXPECT_EQ(read_file(dir / "copy/tokenizer.json"), read_file(dir / "bpe/tokenizer.json"));
  const nlohmann::json config = nlohmann::json::parse(read_file(dir / "copy/config.json"));
  EXPECT_EQ(config["vocab_size"],
            nlohmann::json::parse(read_file(dir / "bpe/config.json"))["vocab_size"]);
  EXPECT_EQ(config["model_type"], "qwen3");
}

TEST(PretrainInitCli, RefusesBadInputInOneLineWritingNothing) {
  TempDir dir;
  write_file(dir / "corpus.txt", "abc");
  write_file(dir / "empty.jsonl", "{\"text\": \"\"}\n");
  const std::string out = (dir / "out").string();
  const std::string corpus = " --corpus " + (dir / "corpus.txt").string();
  const auto error = [&](const std::string& args) {
    const RetuneRun run = run_retune("init --out " + out + " " + args, true);
    EXPECT_EQ(run.exit_code, 1) << args;
    EXPECT_FALSE(std::filesystem::exists(out)) << args;
    return run.out;
  };
  EXPECT_EQ(error("--arch mamba --tokenizer char" + corpus),
            "retune: error: unknown architecture \"mamba\" (expected llama, qwen2, qwen3 or "
            "gpt2)\n");
  EXPECT_EQ(error("--arch llama --tokenizer char --heads 5" + corpus),
            "retune: error: hidden (64) must be a multiple of heads (5)\n");
  EXPECT_EQ(error("--arch llama --tokenizer char --kv-heads 3" + corpus),
            "retune: error: heads (4) must be a multiple of kv_heads (3)\n");
  EXPECT_EQ(error("--arch llama --tokenizer char --corpus " + (dir / "empty.jsonl").string()),
            "retune: error: " + (dir / "empty.jsonl").string() +
                ": the corpus has no text to build a tokenizer from\n");
  EXPECT_EQ(error("--arch llama --tokenizer bpe --vocab-size 100" + corpus),
            "retune: error: vocab size 100 is smaller than the byte alphabet: byte-level BPE "
            "needs at least 257 (<|endoftext|> and the 256 bytes)\n");
  EXPECT_EQ(error("--arch llama --tokenizer words" + corpus),
            "retune: error: unknown --tokenizer \"words\" (expected char or bpe)\n");
  EXPECT_EQ(error("--arch llama --tokenizer char"),
            "retune: error: --tokenizer char needs --corpus FILE\n");
  EXPECT_EQ(error("--arch llama"),
            "retune: error: give --tokenizer char|bpe or --tokenizer-from DIR\n");
  EXPECT_EQ(error("--arch llama --tokenizer char --vocab-size 300" + corpus),
            "retune: error: --vocab-size is for --tokenizer bpe (a char tokenizer has one token "
            "per character)\n");
  EXPECT_EQ(error("--arch llama --tokenizer char --tokenizer-from " + (dir / "none").string()),
            "retune: error: --tokenizer, --corpus and --vocab-size build a new tokenizer; "
            "--tokenizer-from copies one\n");
  EXPECT_EQ(error("--arch llama --tokenizer-from " + (dir / "none").string()),
            "retune: error: " + (dir / "none/tokenizer.json").string() + ": no such file\n");

  std::filesystem::create_directories(dir / "taken");
  write_file(dir / "taken/keep.txt", "mine");
  const std::string taken = (dir / "taken").string();
  const RetuneRun refused =
      run_retune("init --arch llama --tokenizer char --out " + taken + corpus, true);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(refused.out, "retune: error: " + taken +
                             ": already exists and is not an empty folder (--force replaces it)\n");
  EXPECT_EQ(read_file(dir / "taken/keep.txt"), "mine");
  const RetuneRun forced =
      run_retune("init --arch llama --tokenizer char --force --out " + taken + corpus, true);
  EXPECT_EQ(forced.exit_code, 0) << forced.out;
  EXPECT_FALSE(std::filesystem::exists(dir / "taken/keep.txt"));
}

}  // namespace
}  // namespace retune
