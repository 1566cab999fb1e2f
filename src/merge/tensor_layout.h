// Where a tensor of a transformer checkpoint sits: before the layers (embeddings), in layer i
// (a name with ".layers.<i>." or GPT-2's ".h.<i>."), or after them (final norm, head). Merges
// read layer tensors by layer index (slices, gradient lists) and everything else by name.
#pragma once

#include <cstdint>
#include <string>

namespace retune::merge {

struct TensorSlot {
  enum class Part { pre, layer, post };
  Part part = Part::post;
  int64_t layer = -1;     // Part::layer only
  std::string template_;  // Part::layer: the name with the index as "{}"; else the name
};

TensorSlot tensor_slot(const std::string& name);
// The template's name in layer `layer`.
std::string layer_tensor_name(const std::string& template_name, int64_t layer);
// Whether dimension 0 of the tensor runs over the vocabulary (token embeddings, the head).
bool is_vocabulary_tensor(const std::string& name);
// The token embedding a tied head reads ("lm_head.weight" -> "model.embed_tokens.weight" or
// "transformer.wte.weight"); "" for other names.
std::string tied_embedding_candidates(const std::string& name, int which);

}  // namespace retune::merge
