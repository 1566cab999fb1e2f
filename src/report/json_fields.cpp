#include "report/json_fields.h"

#include <cmath>

#include "core/error.h"
#include "io/file_contents.h"

namespace retune::report {

using nlohmann::json;

namespace {

// The value as written in the file, cut short when long.
std::string shown(const json& value) {
  std::string text = value.dump();
  return text.size() > 40 ? text.substr(0, 37) + "..." : text;
}

const json& present_field(const json& object, const std::string& key, const std::string& where) {
  const auto found = object.find(key);
  RETUNE_CHECK(found != object.end(), "{}: field \"{}\" is missing", where, key);
  return *found;
}

const json* non_null_field(const json& object, const std::string& key) {
  const auto found = object.find(key);
  return found == object.end() || found->is_null() ? nullptr : &*found;
}

void expect_type(bool matches, const json& value, const std::string& what, const char* expected,
                 const std::string& where) {
  RETUNE_CHECK(matches, "{}: {}: expected {}, got {}", where, what, expected, shown(value));
}

}  // namespace

json read_json_object(const std::filesystem::path& path) {
  json document = read_json_file(path);
  RETUNE_CHECK(document.is_object(), "{}: expected a JSON object, got {}", path.string(),
               shown(document));
  return document;
}

double number_field(const json& object, const std::string& key, const std::string& where) {
  const json& value = present_field(object, key, where);
  expect_type(value.is_number(), value, "field \"" + key + "\"", "a number", where);
  return value.get<double>();
}

std::string string_field(const json& object, const std::string& key, const std::string& where) {
  const json& value = present_field(object, key, where);
  expect_type(value.is_string(), value, "field \"" + key + "\"", "a string", where);
  return value.get<std::string>();
}

const json& array_field(const json& object, const std::string& key, const std::string& where) {
  const json& value = present_field(object, key, where);
  expect_type(value.is_array(), value, "field \"" + key + "\"", "an array", where);
  return value;
}

std::optional<double> optional_number(const json& object, const std::string& key,
                                      const std::string& where) {
  const json* value = non_null_field(object, key);
  if (!value) return std::nullopt;
  expect_type(value->is_number(), *value, "field \"" + key + "\"", "a number", where);
  return value->get<double>();
}

std::optional<std::string> optional_string(const json& object, const std::string& key,
                                           const std::string& where) {
  const json* value = non_null_field(object, key);
  if (!value) return std::nullopt;
  expect_type(value->is_string(), *value, "field \"" + key + "\"", "a string", where);
  return value->get<std::string>();
}

const json* optional_array(const json& object, const std::string& key, const std::string& where) {
  const json* value = non_null_field(object, key);
  if (value) expect_type(value->is_array(), *value, "field \"" + key + "\"", "an array", where);
  return value;
}

const json* optional_object(const json& object, const std::string& key, const std::string& where) {
  const json* value = non_null_field(object, key);
  if (value) expect_type(value->is_object(), *value, "field \"" + key + "\"", "an object", where);
  return value;
}

double number_element(const json& value, const std::string& what, const std::string& where) {
  if (value.is_null()) return NAN;
  expect_type(value.is_number(), value, what, "a number or null", where);
  return value.get<double>();
}

}  // namespace retune::report
