#include "adapters/module_selection.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "core/error.h"

namespace retune::adapters {

using Form = ModuleSelector::Form;

ModuleMatcher::ModuleMatcher(const ModuleSelector& selector, const char* field)
    : selector_(selector) {
  if (selector.form == Form::regex) regex_.emplace(selector.regex, false, field);
}

bool ModuleMatcher::selects(const std::string& name) {
  switch (selector_.form) {
    case Form::none:
      return false;
    case Form::all_linear:
      return true;
    case Form::regex:
      return regex_->full_match(name);
    case Form::names:
      break;
  }
  return std::any_of(selector_.names.begin(), selector_.names.end(),
                     [&](const std::string& entry) { return names_or_ends_with(name, entry); });
}

bool ModuleMatcher::names_exactly(const std::string& name) const {
  return selector_.form == Form::names &&
         std::find(selector_.names.begin(), selector_.names.end(), name) != selector_.names.end();
}

bool names_or_ends_with(const std::string& name, const std::string& entry) {
  return name == entry || (name.size() > entry.size() && name.ends_with(entry) &&
                           name[name.size() - entry.size() - 1] == '.');
}

std::string module_list(const std::vector<model::LinearSite>& sites) {
  std::vector<std::string> short_names;
  for (const model::LinearSite& site : sites) {
    const std::string name = site.name.substr(site.name.rfind('.') + 1);
    if (std::find(short_names.begin(), short_names.end(), name) == short_names.end()) {
      short_names.push_back(name);
    }
  }
  return fmt::format(
      "the model's linear modules are {} (full names like \"{}\"; \"all-linear\" "
      "selects them all)",
      fmt::join(short_names, ", "), sites.empty() ? "" : sites.front().name);
}

void check_names_exist(const ModuleSelector& selector, const std::vector<model::LinearSite>& sites,
                       std::string_view field) {
  for (const std::string& entry : selector.names) {
    const bool found = std::any_of(sites.begin(), sites.end(), [&](const model::LinearSite& site) {
      return names_or_ends_with(site.name, entry);
    });
    if (!found) {
      fail("{}: no module of the model is named \"{}\" or ends with \".{}\"; {}", field, entry,
           entry, module_list(sites));
    }
  }
}

}  // namespace retune::adapters
