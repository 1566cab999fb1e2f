// Helpers for report tests: whether markup's tags are balanced (every opened element closed in
// order, self-closing ones aside), and how often a piece of text occurs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace retune {

// True when every <name ...> has its </name> in nesting order; <.../>, <!DOCTYPE>, <meta> and
// comments need none. A failure message goes to `why`.
inline bool tags_balanced(std::string_view markup, std::string* why = nullptr) {
  std::vector<std::string> open;
  for (size_t at = markup.find('<'); at != std::string_view::npos; at = markup.find('<', at + 1)) {
    const size_t end = markup.find('>', at);
    if (end == std::string_view::npos) {
      if (why) *why = "a tag is never closed with >";
      return false;
    }
    const std::string_view tag = markup.substr(at + 1, end - at - 1);
    if (tag.empty() || tag[0] == '!' || tag.back() == '/') continue;
    const size_t name_end = tag.find_first_of(" \n\t");
    const bool closing = tag[0] == '/';
    std::string name(tag.substr(closing ? 1 : 0, name_end == std::string_view::npos
                                                     ? std::string_view::npos
                                                     : name_end - (closing ? 1 : 0)));
    if (!closing) {
      if (name != "meta") open.push_back(name);
      continue;
    }
    if (open.empty() || open.back() != name) {
      if (why)
        *why = "</" + name + "> closes " + (open.empty() ? "nothing" : "<" + open.back() + ">");
      return false;
    }
    open.pop_back();
  }
  if (!open.empty() && why) *why = "<" + open.back() + "> is never closed";
  return open.empty();
}

inline size_t count_of(std::string_view text, std::string_view piece) {
  size_t count = 0;
  for (size_t at = text.find(piece); at != std::string_view::npos;
       at = text.find(piece, at + piece.size())) {
    ++count;
  }
  return count;
}

}  // namespace retune
