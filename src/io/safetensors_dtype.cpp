#include "io/safetensors_dtype.h"

#include "core/error.h"

namespace retune {

std::string_view safetensors_dtype_name(DType dtype) {
  switch (dtype) {
    case DType::f32:
      return "F32";
    case DType::bf16:
      return "BF16";
    case DType::f16:
      return "F16";
    case DType::i32:
      return "I32";
    case DType::i64:
      return "I64";
  }
  fail("unknown dtype {}", static_cast<int>(dtype));
}

std::optional<DType> dtype_from_safetensors(std::string_view name) {
  for (DType dtype : {DType::f32, DType::bf16, DType::f16, DType::i32, DType::i64}) {
    if (name == safetensors_dtype_name(dtype)) return dtype;
  }
  return std::nullopt;
}

int safetensors_dtype_rank(DType dtype) {
  switch (dtype) {
    case DType::f16:
      return 0;
    case DType::bf16:
      return 1;
    case DType::i32:
      return 2;
    case DType::f32:
      return 3;
    case DType::i64:
      return 4;
  }
  fail("unknown dtype {}", static_cast<int>(dtype));
}

}  // namespace retune
