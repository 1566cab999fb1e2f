// LoraConfig against the adapter_config.json files PEFT 0.21.2 wrote (tests/fixtures/peft): read
// with PEFT's meaning and defaults, written back byte for byte, and bad fields refused with a
// message naming the file and the field.
#include "adapters/lora_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "peft_fixtures.h"
#include "support/error_of.h"
#include "support/files.h"
#include "support/temp_dir.h"

namespace retune::adapters {
namespace {

using Form = ModuleSelector::Form;
using nlohmann::json;
using nlohmann::ordered_json;
using testing::HasSubstr;

LoraConfig parse(const std::string& text) {
  return parse_lora_config(ordered_json::parse(text), "cfg.json");
}

std::string parse_error(const std::string& text) {
  return error_of([&] { parse(text); });
}

TEST(LoraConfig, ReadsWhatPeftWrote) {
  for (const std::string& name : peft_training_cases()) {
    SCOPED_TRACE(name);
    const LoraConfig config = read_lora_config(peft_fixture(name) / "initial/adapter_config.json");
    const json& kwargs = peft_metadata()["cases"][name]["lora_config_kwargs"];
    EXPECT_EQ(config.r, 4);
    EXPECT_EQ(config.lora_alpha, 8);
    EXPECT_EQ(config.lora_dropout, 0);
    EXPECT_EQ(config.use_rslora, kwargs["use_rslora"].get<bool>());
    EXPECT_EQ(config.use_dora, kwargs["use_dora"].get<bool>());
    EXPECT_EQ(config.init_lora_weights, LoraInit::kaiming_uniform);
    EXPECT_EQ(config.fan_in_fan_out, name.starts_with("gpt2"));
    // PEFT wrote the all-linear set it resolved.
    EXPECT_EQ(config.target_modules.form, Form::names);
    std::vector<std::string> targets = config.target_modules.names;
    std::sort(targets.begin(), targets.end());
    EXPECT_EQ(
        targets,
        peft_metadata()["cases"][name]["target_modules_resolved"].get<std::vector<std::string>>());
    EXPECT_EQ(config.exclude_modules.form, Form::none);
    EXPECT_TRUE(config.layers_to_transform.empty());
    EXPECT_TRUE(config.rank_pattern.empty());
  }
}

TEST(LoraConfig, ReadsThePatternsPeftWrote) {
  const LoraConfig config =
      read_lora_config(peft_fixture("llama_gqa_untied/lora_patterns/initial/adapter_config.json"));
  EXPECT_EQ(config.target_modules.names, (std::vector<std::string>{"v_proj", "q_proj"}));
  EXPECT_EQ(config.layers_to_transform, std::vector<int64_t>{1});
  EXPECT_TRUE(config.layers_pattern.empty());
  EXPECT_EQ(config.rank_pattern, (std::vector<std::pair<std::string, int64_t>>{{"v_proj", 2}}));
  EXPECT_EQ(config.alpha_pattern, (std::vector<std::pair<std::string, double>>{{"v_proj", 2.0}}));
}

TEST(LoraConfig, WritesWhatPeftWrote) {
  for (const std::string& name : peft_cases()) {
    SCOPED_TRACE(name);
    const std::filesystem::path file = peft_fixture(name) / "initial/adapter_config.json";
    const std::string base =
        "tests/fixtures/hf/models/" + peft_metadata()["cases"][name]["model"].get<std::string>();
    EXPECT_EQ(peft_adapter_config(read_lora_config(file), base).dump(2, ' ', true),
              read_file(file));
  }
}

TEST(LoraConfig, HasPeftsDefaultsAndWritesEveryField) {
  const LoraConfig config = parse(R"({"peft_type": "LORA"})");
  EXPECT_EQ(config.r, 8);
  EXPECT_EQ(config.lora_alpha, 8);
  EXPECT_EQ(config.lora_dropout, 0);
  EXPECT_FALSE(config.use_rslora);
  EXPECT_FALSE(config.use_dora);
  EXPECT_FALSE(config.fan_in_fan_out);
  EXPECT_EQ(config.target_modules.form, Form::none);
  const json written = peft_adapter_config(config, "base");
  std::vector<std::string> keys;
  for (const auto& [key, value] : written.items()) keys.push_back(key);
  EXPECT_EQ(keys, peft_metadata()["adapter_config_fields"].get<std::vector<std::string>>());
  EXPECT_EQ(written["target_modules"], nullptr);
  EXPECT_EQ(written["base_model_name_or_path"], "base");
}

TEST(LoraConfig, ReadsPeftsOtherForms) {
  const LoraConfig config = parse(R"({
    "peft_type": "LORA", "task_type": null, "target_modules": "ALL-Linear",
    "exclude_modules": "all-linear", "init_lora_weights": "Gaussian", "lora_alpha": 16.5,
    "rank_pattern": {"v_proj": 2, "layers.0.q_proj": 1}, "alpha_pattern": {"q_proj": 3.5},
    "some_future_field": {"anything": 1}})");
  EXPECT_EQ(config.target_modules.form, Form::all_linear);
  EXPECT_EQ(config.exclude_modules.form, Form::regex);  // no shorthand here
  EXPECT_EQ(config.exclude_modules.regex, "all-linear");
  EXPECT_EQ(config.init_lora_weights, LoraInit::gaussian);
  EXPECT_EQ(config.lora_alpha, 16.5);
  // The file's order (the first matching key wins); written sorted, as PEFT's json.dumps.
  EXPECT_EQ(config.rank_pattern,
            (std::vector<std::pair<std::string, int64_t>>{{"v_proj", 2}, {"layers.0.q_proj", 1}}));
  const json written = peft_adapter_config(config, "");
  EXPECT_EQ(written["rank_pattern"].dump(), R"({"layers.0.q_proj":1,"v_proj":2})");
  EXPECT_EQ(written["alpha_pattern"].dump(), R"({"q_proj":3.5})");
  EXPECT_EQ(written["lora_alpha"].dump(), "16.5");
  EXPECT_EQ(written["init_lora_weights"], "gaussian");
  EXPECT_EQ(written["target_modules"], "all-linear");

  const LoraConfig layers = parse(R"({"peft_type": "LORA", "target_modules": ["q_proj"],
    "layers_to_transform": 1, "layers_pattern": "layers", "exclude_modules": ["o_proj"]})");
  EXPECT_EQ(layers.layers_to_transform, std::vector<int64_t>{1});
  EXPECT_EQ(layers.layers_pattern, std::vector<std::string>{"layers"});
  EXPECT_EQ(layers.exclude_modules.names, std::vector<std::string>{"o_proj"});
  EXPECT_EQ(peft_adapter_config(layers, "")["layers_pattern"], "layers");
}

// What retune's refusal of an init_lora_weights value lists.
const std::string kInits =
    "true, \"gaussian\", \"pissa\", \"pissa_niter_<k>\", \"olora\", \"eva\", \"corda\" or "
    "\"lora_ga\" (the initialisations retune supports)";

TEST(LoraConfig, RefusesBadFieldsNamingThem) {
  const std::pair<std::string, std::string> cases[] = {
      {"[]", "cfg.json: expected a JSON object, got []"},
      {"{}", "cfg.json: missing field \"peft_type\" (\"LORA\")"},
      {R"({"peft_type": "LOHA"})", "cfg.json: field \"peft_type\" must be \"LORA\", got \"LOHA\""},
      {R"({"peft_type": "LORA", "task_type": "SEQ_CLS"})",
       "cfg.json: field \"task_type\" must be \"CAUSAL_LM\" or null (retune adapts causal "
       "LMs), got \"SEQ_CLS\""},
      {R"({"peft_type": "LORA", "r": "4"})",
       "cfg.json: field \"r\" must be a positive integer, got \"4\""},
      {R"({"peft_type": "LORA", "r": 0})",
       "cfg.json: field \"r\" must be a positive integer, got 0"},
      {R"({"peft_type": "LORA", "lora_alpha": "8"})",
       "cfg.json: field \"lora_alpha\" must be a number, got \"8\""},
      {R"({"peft_type": "LORA", "lora_dropout": 1.5})",
       "cfg.json: field \"lora_dropout\" must be in [0, 1], got 1.5"},
      {R"({"peft_type": "LORA", "use_dora": "yes"})",
       "cfg.json: field \"use_dora\" must be true or false, got \"yes\""},
      {R"({"peft_type": "LORA", "bias": "all"})",
       "cfg.json: field \"bias\" must be \"none\" (retune does not train biases), got \"all\""},
      {R"({"peft_type": "LORA", "modules_to_save": "lm_head"})",
       "cfg.json: field \"modules_to_save\" must be a list of non-empty module names or null, "
       "got \"lm_head\""},
      {R"({"peft_type": "LORA", "lora_bias": true})",
       "cfg.json: field \"lora_bias\" must be null, false or empty (retune does not support "
       "it), got true"},
      {R"({"peft_type": "LORA", "layer_replication": [[0, 2]]})",
       "cfg.json: field \"layer_replication\" must be null, false or empty (retune does not "
       "support it), got [[0,2]]"},
      {R"({"peft_type": "LORA", "init_lora_weights": "loftq"})",
       "cfg.json: field \"init_lora_weights\" must be " + kInits + ", got \"loftq\""},
      {R"({"peft_type": "LORA", "init_lora_weights": "pissa_niter_0"})",
       "cfg.json: field \"init_lora_weights\" must be " + kInits + ", got \"pissa_niter_0\""},
      {R"({"peft_type": "LORA", "init_lora_weights": false})",
       "cfg.json: field \"init_lora_weights\" must be " + kInits + ", got false"},
      {R"({"peft_type": "LORA", "target_modules": 3})",
       "cfg.json: field \"target_modules\" must be a string or a list of strings, got 3"},
      {R"({"peft_type": "LORA", "target_modules": ["q_proj", ""]})",
       "cfg.json: field \"target_modules\" must be a list of non-empty module names or a "
       "regex string, got [\"q_proj\",\"\"]"},
      {R"({"peft_type": "LORA", "target_modules": "q_proj("})",
       "cfg.json: field \"target_modules\": cannot compile regex \"q_proj(\" at offset 7: "
       "missing closing parenthesis"},
      {R"({"peft_type": "LORA", "exclude_modules": "[o"})",
       "cfg.json: field \"exclude_modules\": cannot compile regex \"[o\" at offset 2: "
       "missing terminating ] for character class"},
      {R"({"peft_type": "LORA", "rank_pattern": {"v_proj": 0}})",
       "cfg.json: field \"rank_pattern\" must be an object of positive integers, got "
       "{\"v_proj\":0}"},
      {R"({"peft_type": "LORA", "alpha_pattern": {"v_(": 2}})",
       "cfg.json: field \"alpha_pattern\": cannot compile regex \"(.*\\\\.)?(v_()\" at "
       "offset 12: missing closing parenthesis"},
      {R"({"peft_type": "LORA", "layers_to_transform": "1"})",
       "cfg.json: field \"layers_to_transform\" must be a layer index or a list of layer "
       "indices, got \"1\""},
      {R"({"peft_type": "LORA", "target_modules": "all-linear", "layers_to_transform": [1]})",
       "cfg.json: layers_to_transform and layers_pattern need target_modules to be a list of "
       "names, not the string \"all-linear\""},
      {R"({"peft_type": "LORA", "target_modules": ["q_proj"], "layers_pattern": "layers"})",
       "cfg.json: layers_pattern needs layers_to_transform"},
  };
  for (const auto& [text, message] : cases) EXPECT_EQ(parse_error(text), message) << text;
}

TEST(LoraConfig, ReadingNamesTheFile) {
  TempDir dir;
  write_file(dir / "adapter_config.json", "{\"peft_type\": ");
  EXPECT_THAT(error_of([&] { read_lora_config(dir / "adapter_config.json"); }),
              HasSubstr((dir / "adapter_config.json").string() + ": invalid JSON: "));
  write_file(dir / "adapter_config.json", R"({"peft_type": "LORA", "r": -1})");
  EXPECT_EQ(
      error_of([&] { read_lora_config(dir / "adapter_config.json"); }),
      (dir / "adapter_config.json").string() + ": field \"r\" must be a positive integer, got -1");
}

}  // namespace
}  // namespace retune::adapters
