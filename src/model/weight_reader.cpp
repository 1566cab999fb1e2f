#include "model/weight_reader.h"

#include "core/error.h"

namespace retune::model {

WeightReader::WeightReader(const std::filesystem::path& folder)
    : folder_(folder), file_(SafetensorsModel::open(folder)) {}

Tensor WeightReader::stored(const std::string& name, const Shape& shape) const {
  if (!file_.has(name)) {
    fail("{}: missing tensor \"{}\" (expected {} from config.json)", folder_.string(), name,
         shape.str());
  }
  const Tensor tensor = file_.tensor(name);
  if (!(tensor.shape() == shape)) {
    fail("{}: tensor \"{}\" has shape {}, expected {} from config.json", folder_.string(), name,
         tensor.shape().str(), shape.str());
  }
  if (!dtype_is_float(tensor.dtype())) {
    fail("{}: tensor \"{}\" is {}, expected a float dtype (f32, bf16 or f16)", folder_.string(),
         name, dtype_name(tensor.dtype()));
  }
  return tensor;
}

Tensor WeightReader::f32(const std::string& name, const Shape& shape) const {
  const Tensor tensor = stored(name, shape);
  return tensor.dtype() == DType::f32 ? tensor : tensor.to(DType::f32);
}

}  // namespace retune::model
