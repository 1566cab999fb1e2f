#include "adapters/ssf_targets.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "core/error.h"

namespace retune::adapters {
namespace {

using Form = ModuleSelector::Form;
constexpr const char* kField = "SSF target_modules";

// The modules SSF can adapt, for an error message.
std::string ssf_module_list(const std::vector<model::LinearSite>& linears,
                            const std::vector<model::NormSite>& norms) {
  std::vector<std::string> norm_names;
  for (const model::NormSite& norm : norms) {
    const std::string name = norm.name.substr(norm.name.rfind('.') + 1);
    if (std::find(norm_names.begin(), norm_names.end(), name) == norm_names.end()) {
      norm_names.push_back(name);
    }
  }
  return fmt::format(
      "{}; its norms SSF adapts are {} (full names like \"{}\"; not the final norm, which the "
      "output head reads, nor Qwen3's q_norm / k_norm)",
      module_list(linears), fmt::join(norm_names, ", "), norms.empty() ? "" : norms.front().name);
}

}  // namespace

std::vector<std::string> ssf_module_order(const std::vector<model::LinearSite>& linears,
                                          const std::vector<model::NormSite>& norms) {
  std::vector<std::string> order;
  for (const model::LinearSite& linear : linears) {
    for (const model::NormSite& norm : norms) {
      if (!norm.consumers.empty() && norm.consumers.front() == linear.name) {
        order.push_back(norm.name);
      }
    }
    order.push_back(linear.name);
  }
  return order;
}

std::vector<std::string> resolve_ssf_targets(const SsfConfig& config,
                                             const std::vector<model::LinearSite>& linears,
                                             const std::vector<model::NormSite>& norms) {
  const std::vector<std::string> order = ssf_module_order(linears, norms);
  const ModuleSelector& selector = config.target_modules;
  if (selector.form == Form::names) {
    for (const std::string& entry : selector.names) {
      if (std::none_of(order.begin(), order.end(),
                       [&](const std::string& name) { return names_or_ends_with(name, entry); })) {
        fail("{}: no module SSF can adapt is named \"{}\" or ends with \".{}\"; {}", kField, entry,
             entry, ssf_module_list(linears, norms));
      }
    }
  }
  std::vector<std::string> targets;
  if (selector.form == Form::none) return order;
  ModuleMatcher matcher(selector, kField);
  for (const std::string& name : order) {
    const bool linear =
        std::any_of(linears.begin(), linears.end(),
                    [&](const model::LinearSite& site) { return site.name == name; });
    if (selector.form == Form::all_linear ? linear : matcher.selects(name)) targets.push_back(name);
  }
  if (targets.empty()) {
    fail("{} selects no module; {}", kField, ssf_module_list(linears, norms));
  }
  return targets;
}

}  // namespace retune::adapters
