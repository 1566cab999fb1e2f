// The dtype names safetensors files use ("F32", "BF16", ...) and retune's DType.
#pragma once

#include <optional>
#include <string_view>

#include "core/dtype.h"

namespace retune {

// "F32", "BF16", "F16", "I32", "I64".
std::string_view safetensors_dtype_name(DType dtype);
// The DType a file's dtype name stands for; nullopt for names retune does not read (F64, U8,
// BOOL, F8_E4M3, ...) and for names that are no dtype at all.
std::optional<DType> dtype_from_safetensors(std::string_view name);
// The Python library's dtype order (its Dtype enum): safetensors.torch.save_file lays tensors of
// higher rank first (I64, F32, I32, BF16, F16).
int safetensors_dtype_rank(DType dtype);

}  // namespace retune
