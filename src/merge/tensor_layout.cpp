#include "merge/tensor_layout.h"

#include <array>
#include <string_view>

namespace retune::merge {
namespace {

// The containers whose numbered children are the transformer layers.
constexpr std::array<std::string_view, 3> kLayerContainers = {".layers.", ".h.", ".blocks."};

bool contains(const std::string& name, std::string_view part) {
  return name.find(part) != std::string::npos;
}

}  // namespace

TensorSlot tensor_slot(const std::string& name) {
  TensorSlot slot;
  for (std::string_view container : kLayerContainers) {
    // Also a name that starts with the container ("layers.0." without a prefix).
    const std::string dotted = "." + name;
    const size_t at = dotted.find(container);
    if (at == std::string::npos) continue;
    const size_t digits = at + container.size();
    size_t end = digits;
    while (end < dotted.size() && dotted[end] >= '0' && dotted[end] <= '9') ++end;
    if (end == digits || end >= dotted.size() || dotted[end] != '.') continue;
    slot.part = TensorSlot::Part::layer;
    slot.layer = std::stoll(dotted.substr(digits, end - digits));
    slot.template_ = dotted.substr(1, digits - 1) + "{}" + dotted.substr(end);
    return slot;
  }
  slot.template_ = name;
  const bool embedding = contains(name, "embed") || contains(name, "wte.") ||
                         contains(name, "wpe.") || name.starts_with("wte") ||
                         name.starts_with("wpe");
  slot.part = embedding ? TensorSlot::Part::pre : TensorSlot::Part::post;
  return slot;
}

std::string layer_tensor_name(const std::string& template_name, int64_t layer) {
  const size_t at = template_name.find("{}");
  return template_name.substr(0, at) + std::to_string(layer) + template_name.substr(at + 2);
}

bool is_vocabulary_tensor(const std::string& name) {
  return contains(name, "embed_tokens") || contains(name, "wte.") || name.starts_with("wte") ||
         contains(name, "lm_head");
}

std::string tied_embedding_candidates(const std::string& name, int which) {
  if (!name.starts_with("lm_head")) return "";
  static constexpr std::array<const char*, 3> kEmbeddings = {
      "model.embed_tokens.weight", "transformer.wte.weight", "wte.weight"};
  return which < static_cast<int>(kEmbeddings.size()) ? kEmbeddings[static_cast<size_t>(which)]
                                                      : "";
}

}  // namespace retune::merge
