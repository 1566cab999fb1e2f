// Typed reads of the JSON files a report reads (summary.json, metrics.jsonl lines,
// continual.json, demo.json), each failing with one line that names where the value is (a file,
// or "file:line" for JSON lines), the field and what was expected.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace retune::report {

// The file's JSON object; throws retune::Error when it cannot be read, is not JSON or is not an
// object.
nlohmann::json read_json_object(const std::filesystem::path& path);

// The field's value, which must be present. `where` names the file (or file:line) in errors.
double number_field(const nlohmann::json& object, const std::string& key, const std::string& where);
std::string string_field(const nlohmann::json& object, const std::string& key,
                         const std::string& where);
const nlohmann::json& array_field(const nlohmann::json& object, const std::string& key,
                                  const std::string& where);

// The field's value, or nothing when it is absent or null; present, it must have the type.
std::optional<double> optional_number(const nlohmann::json& object, const std::string& key,
                                      const std::string& where);
std::optional<std::string> optional_string(const nlohmann::json& object, const std::string& key,
                                           const std::string& where);
const nlohmann::json* optional_array(const nlohmann::json& object, const std::string& key,
                                     const std::string& where);
const nlohmann::json* optional_object(const nlohmann::json& object, const std::string& key,
                                      const std::string& where);

// An element of an array read as a number (null reads as NaN: "no value"); `what` names it in
// errors ("field \"start\" [2]").
double number_element(const nlohmann::json& value, const std::string& what,
                      const std::string& where);

}  // namespace retune::report
