// resolve_lora_targets on the tiny models' linear sites, rule by rule as PEFT applies them
// (adapters/lora_targets.h); peft_parity_test.cpp checks the fixtures' resolved targets.
#include "adapters/lora_targets.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "model/causal_lm.h"
#include "support/error_of.h"
#include "support/model_parity.h"

namespace retune::adapters {
namespace {

using Form = ModuleSelector::Form;
using Names = std::vector<std::string>;

const std::string kLlamaModules =
    "the model's linear modules are q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, "
    "down_proj (full names like \"model.layers.0.self_attn.q_proj\"; \"all-linear\" selects them "
    "all)";

std::vector<model::LinearSite> sites_of(const std::string& fixture) {
  return model::load_causal_lm(hf_model_fixture(fixture))->linear_sites();
}

const std::vector<model::LinearSite>& llama_sites() {
  static const std::vector<model::LinearSite> sites = sites_of("llama_gqa_untied");
  return sites;
}

LoraConfig targeting(Names names) {
  LoraConfig config;
  config.target_modules = {.form = Form::names, .names = std::move(names)};
  return config;
}

LoraConfig targeting_regex(std::string regex) {
  LoraConfig config;
  config.target_modules = {.form = Form::regex, .regex = std::move(regex)};
  return config;
}

Names selected(const LoraConfig& config,
               const std::vector<model::LinearSite>& sites = llama_sites()) {
  Names names;
  for (const LoraTarget& target : resolve_lora_targets(config, sites)) {
    names.push_back(target.site.name);
  }
  return names;
}

std::string selection_error(const LoraConfig& config) {
  return error_of([&] { resolve_lora_targets(config, llama_sites()); });
}

TEST(LoraTargets, AllLinearIsEverySite) {
  LoraConfig config;
  config.target_modules.form = Form::all_linear;
  for (const char* fixture : {"llama_gqa_untied", "gpt2"}) {
    const std::vector<model::LinearSite> sites = sites_of(fixture);
    Names all;
    for (const model::LinearSite& site : sites) all.push_back(site.name);
    EXPECT_EQ(selected(config, sites), all);
    EXPECT_EQ(all.size(), fixture == std::string("gpt2") ? 8u : 14u);
  }
}

TEST(LoraTargets, ListEntriesNameModulesOrEndTheirNamesAfterADot) {
  EXPECT_EQ(selected(targeting({"q_proj", "mlp.up_proj"})),
            (Names{"model.layers.0.self_attn.q_proj", "model.layers.0.mlp.up_proj",
                   "model.layers.1.self_attn.q_proj", "model.layers.1.mlp.up_proj"}));
  EXPECT_EQ(selected(targeting({"model.layers.1.mlp.down_proj"})),
            Names{"model.layers.1.mlp.down_proj"});
  EXPECT_EQ(selection_error(targeting({"q_proj", "proj"})),
            "LoRA target_modules: no module of the model is named \"proj\" or ends with "
            "\".proj\"; " +
                kLlamaModules);
}

TEST(LoraTargets, LayersFilterOnlyWhatASuffixSelects) {
  LoraConfig config = targeting({"q_proj", "model.layers.0.self_attn.v_proj"});
  config.layers_to_transform = {1};
  EXPECT_EQ(selected(config),
            (Names{"model.layers.0.self_attn.v_proj", "model.layers.1.self_attn.q_proj"}));
  config.layers_pattern = {"layers"};
  EXPECT_EQ(selected(config),
            (Names{"model.layers.0.self_attn.v_proj", "model.layers.1.self_attn.q_proj"}));
  config.layers_pattern = {"blocks"};
  EXPECT_EQ(selected(config), Names{"model.layers.0.self_attn.v_proj"});

  LoraConfig gpt2 = targeting({"c_attn"});
  gpt2.layers_to_transform = {1};
  gpt2.layers_pattern = {"blocks", "h"};
  EXPECT_EQ(selected(gpt2, sites_of("gpt2")), Names{"transformer.h.1.attn.c_attn"});
}

TEST(LoraTargets, ARegexMustMatchTheWholeName) {
  EXPECT_EQ(selected(targeting_regex(".*\\.[qk]_proj")),
            (Names{"model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.k_proj",
                   "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.k_proj"}));
  // re.fullmatch tries every alternative for a match of the whole name.
  EXPECT_EQ(selected(targeting_regex(".*0.self_attn.q|.*0.self_attn.q_proj")),
            Names{"model.layers.0.self_attn.q_proj"});
  EXPECT_EQ(selection_error(targeting_regex("q_proj")),
            "LoRA target_modules selects no module (after layers_to_transform and "
            "exclude_modules); " +
                kLlamaModules);
}

TEST(LoraTargets, ExcludedModulesAreNeverSelected) {
  LoraConfig config;
  config.target_modules.form = Form::all_linear;
  config.exclude_modules = {.form = Form::names, .names = {"o_proj", "mlp.down_proj"}};
  EXPECT_EQ(selected(config).size(), 10u);
  config.exclude_modules = {.form = Form::regex, .regex = ".*mlp.*"};
  EXPECT_EQ(selected(config).size(), 8u);
  config.exclude_modules.regex = ".*";
  EXPECT_EQ(selection_error(config),
            "LoRA target_modules selects no module (after layers_to_transform and "
            "exclude_modules); " +
                kLlamaModules);
}

TEST(LoraTargets, PatternKeysMatchWholeTrailingSegments) {
  LoraConfig config = targeting({"q_proj", "k_proj", "v_proj"});
  config.r = 8;
  config.lora_alpha = 16;
  // The first key that matches wins; "proj" and "attn.q_proj" end no name after a dot.
  config.rank_pattern = {
      {"layers.1.self_attn.q_proj", 2}, {"q_proj", 3}, {"proj", 5}, {"attn.q_proj", 7}};
  config.alpha_pattern = {{"self_attn\\.v_proj", 4.0}};
  std::vector<std::pair<int64_t, double>> got;
  for (const LoraTarget& target : resolve_lora_targets(config, llama_sites())) {
    got.emplace_back(target.r, target.alpha);
  }
  EXPECT_EQ(got, (std::vector<std::pair<int64_t, double>>{
                     {3, 16}, {8, 16}, {8, 4}, {2, 16}, {8, 16}, {8, 4}}));
}

TEST(LoraTargets, AnUnsetTargetListsTheModules) {
  EXPECT_EQ(selection_error(LoraConfig()),
            "LoRA target_modules is not set: name the modules to adapt; " + kLlamaModules);
}

}  // namespace
}  // namespace retune::adapters
