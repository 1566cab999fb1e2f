#include "tasks/task_answers.h"

#include <algorithm>
#include <array>
#include <cstdint>
// GCC 12 warns, wrongly, that libstdc++'s regex automaton copies an uninitialised std::function
// when it builds with -O1 and the sanitizers; -Werror would fail.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <regex>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace retune::tasks {
namespace {

// The prompt's parts between its tag and "=", by the task's format; empty when it does not match.
std::vector<std::string> parts(std::string_view task, std::string_view prompt) {
  static const std::vector<std::pair<std::string_view, std::regex>> kFormats = {
      {"copy", std::regex("cpy ([a-h]+)=")},
      {"reverse", std::regex("rev ([a-h]+)=")},
      {"sort", std::regex("srt ([a-h]+)=")},
      {"count", std::regex("cnt ([a-d]):([a-d]+)=")},
      {"parity", std::regex("par ([01]+)=")},
      {"maximum", std::regex("max ([0-9]+)=")},
      {"lookup", std::regex("key ((?:[a-h][0-9])+)\\?([a-h])=")},
      {"brackets", std::regex("brk ([()]+)=")},
      {"add", std::regex("add (0|[1-9][0-9]*)\\+(0|[1-9][0-9]*)=")},
      {"subtract", std::regex("sub (0|[1-9][0-9]*)-(0|[1-9][0-9]*)=")},
      {"multiply", std::regex("mul (0|[1-9][0-9]*)\\*(0|[1-9][0-9]*)=")},
  };
  for (const auto& [name, format] : kFormats) {
    std::match_results<std::string_view::const_iterator> match;
    if (name != task || !std::regex_match(prompt.begin(), prompt.end(), match, format)) continue;
    std::vector<std::string> found;
    for (size_t i = 1; i < match.size(); ++i) found.push_back(match[i].str());
    return found;
  }
  return {};
}

// Decimal digits, least significant first.
std::vector<int> digits_of(const std::string& number) {
  std::vector<int> digits;
  for (auto it = number.rbegin(); it != number.rend(); ++it) digits.push_back(*it - '0');
  return digits;
}

std::string number_of(std::vector<int> digits) {
  while (digits.size() > 1 && digits.back() == 0) digits.pop_back();
  std::string number;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) number += static_cast<char>('0' + *it);
  return number;
}

std::string add_strings(const std::string& a, const std::string& b) {
  std::vector<int> x = digits_of(a), y = digits_of(b);
  x.resize(std::max(x.size(), y.size()) + 1, 0);
  y.resize(x.size(), 0);
  for (size_t i = 0; i + 1 < x.size(); ++i) {
    x[i] += y[i];
    x[i + 1] += x[i] / 10;
    x[i] %= 10;
  }
  return number_of(x);
}

// a - b; empty when b > a.
std::string subtract_strings(const std::string& a, const std::string& b) {
  std::vector<int> x = digits_of(a), y = digits_of(b);
  if (y.size() > x.size()) return "";
  y.resize(x.size(), 0);
  int borrow = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] -= y[i] + borrow;
    borrow = x[i] < 0 ? 1 : 0;
    x[i] += 10 * borrow;
  }
  return borrow ? "" : number_of(x);
}

std::string multiply_strings(const std::string& a, const std::string& b) {
  const std::vector<int> x = digits_of(a), y = digits_of(b);
  std::vector<int> product(x.size() + y.size() + 1, 0);
  for (size_t i = 0; i < x.size(); ++i) {
    for (size_t j = 0; j < y.size(); ++j) product[i + j] += x[i] * y[j];
  }
  for (size_t i = 0; i + 1 < product.size(); ++i) {
    product[i + 1] += product[i] / 10;
    product[i] %= 10;
  }
  return number_of(product);
}

bool balanced_by_stack(const std::string& brackets) {
  std::vector<char> open;
  for (const char c : brackets) {
    if (c == '(') {
      open.push_back(c);
    } else if (open.empty()) {
      return false;
    } else {
      open.pop_back();
    }
  }
  return open.empty();
}

}  // namespace

std::string independent_answer(std::string_view task, std::string_view prompt) {
  const std::vector<std::string> p = parts(task, prompt);
  if (p.empty()) return "";
  if (task == "copy") return std::string(p[0].begin(), p[0].end());
  if (task == "reverse") {
    std::string reversed;
    for (const char c : p[0]) reversed.insert(reversed.begin(), c);
    return reversed;
  }
  if (task == "sort") {
    std::array<int, 8> tally{};
    for (const char c : p[0]) ++tally[c - 'a'];
    std::string sorted;
    for (int i = 0; i < 8; ++i) sorted.append(tally[i], static_cast<char>('a' + i));
    return sorted;
  }
  if (task == "count") {
    int64_t n = 0;
    for (const char c : p[1]) n += c == p[0][0];
    return std::to_string(n);
  }
  if (task == "parity") {
    bool odd = false;
    for (const char c : p[0]) odd ^= c == '1';
    return odd ? "1" : "0";
  }
  if (task == "maximum") {
    for (char d = '9';; --d) {
      if (p[0].find(d) != std::string::npos) return std::string(1, d);
    }
  }
  if (task == "lookup") {
    for (size_t i = 0; i < p[0].size(); i += 2) {
      if (p[0][i] == p[1][0]) return std::string(1, p[0][i + 1]);
    }
    return "";
  }
  if (task == "brackets") return balanced_by_stack(p[0]) ? "yes" : "no";
  if (task == "add") return add_strings(p[0], p[1]);
  if (task == "subtract") return subtract_strings(p[0], p[1]);
  return multiply_strings(p[0], p[1]);
}

std::vector<int64_t> instance_lengths(std::string_view task, std::string_view prompt) {
  const std::vector<std::string> p = parts(task, prompt);
  if (p.empty()) return {};
  if (task == "count") return {static_cast<int64_t>(p[1].size())};
  if (task == "lookup" || task == "brackets") return {static_cast<int64_t>(p[0].size() / 2)};
  if (task == "add" || task == "subtract" || task == "multiply") {
    return {static_cast<int64_t>(p[0].size()), static_cast<int64_t>(p[1].size())};
  }
  return {static_cast<int64_t>(p[0].size())};
}

}  // namespace retune::tasks
