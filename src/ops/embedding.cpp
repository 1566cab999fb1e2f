#include "ops/embedding.h"

#include "ops/arg_checks.h"
#include "ops/cpu/embedding.h"
#include "ops/op_stage.h"

#if RETUNE_CUDA
#include "ops/cuda/embedding.h"
#endif

namespace retune::ops {

namespace {

void check_ids(const char* op, const Tensor& ids) {
  RETUNE_CHECK(ids.defined(), "{}: ids is undefined, expected a contiguous i32[N]", op);
  RETUNE_CHECK(ids.dtype() == DType::i32 && ids.rank() == 1 && ids.is_contiguous(),
               "{}: ids is {}, expected a contiguous i32[N]", op, ids.describe());
}

// Every id in [0, V) (ids on the CPU; the CUDA kernels skip the ids outside instead, see
// ops/cuda/embedding.h).
void check_id_range(const char* op, const Tensor& ids, int64_t V) {
  const int32_t* id = ids.data<int32_t>();
  for (int64_t n = 0; n < ids.size(0); ++n) {
    RETUNE_CHECK(0 <= id[n] && id[n] < V, "{}: ids[{}] = {} is outside the vocabulary [0, {})", op,
                 n, id[n], V);
  }
}

// The table's first element on its device: f32, or the bits of a 16-bit float.
const void* table_rows(const Tensor& table) {
  if (table.dtype() == DType::f32) return table.device_data<float>();
  return table.device_data<uint16_t>();
}

}  // namespace

void embedding_forward(const Tensor& ids, const Tensor& table, const Tensor& out) {
  const char* op = "embedding_forward";
  const profile::Stage stage = op_stage(op, out);
  check_ids(op, ids);
  RETUNE_CHECK(table.defined(), "{}: table is undefined", op);
  RETUNE_CHECK(dtype_is_float(table.dtype()) && table.rank() == 2 && table.is_contiguous(),
               "{}: table is {}, expected a contiguous [V, C] in f32, bf16 or f16", op,
               table.describe());
  const int64_t N = ids.size(0);
  const int64_t V = table.size(0);
  const int64_t C = table.size(1);
  check_tensor(op, "table", table, table.dtype(), table.shape(), ids.device());
  check_output(op, "out", out, DType::f32, {N, C}, ids.device());
  check_backend(op, ids.device());
#if RETUNE_CUDA
  if (!ids.device().is_cpu()) {
    cuda::embedding_forward(ids.device_data<int32_t>(), table_rows(table), table.dtype(), N, V, C,
                            out.mutable_device_data<float>());
    return;
  }
#endif
  check_id_range(op, ids, V);
  cpu::embedding_forward(ids.data<int32_t>(), table_rows(table), table.dtype(), N, C,
                         out.mutable_data<float>());
}

void embedding_backward(const Tensor& ids, const Tensor& dout, const Tensor& dtable) {
  const char* op = "embedding_backward";
  const profile::Stage stage = op_stage(op, dout);
  check_ids(op, ids);
  check_matrix(op, "dout", dout, "[N, C]");
  const int64_t N = ids.size(0);
  RETUNE_CHECK(dout.size(0) == N, "{}: dout is {}, expected {} rows (one per id)", op,
               dout.describe(), N);
  check_tensor(op, "dout", dout, DType::f32, dout.shape(), ids.device());
  if (!dtable.defined()) return;
  check_matrix(op, "dtable", dtable, "[V, C]");
  check_output(op, "dtable", dtable, DType::f32, {dtable.size(0), dout.size(1)}, ids.device());
  check_backend(op, ids.device());
#if RETUNE_CUDA
  if (!ids.device().is_cpu()) {
    cuda::embedding_backward(ids.device_data<int32_t>(), dout.device_data<float>(), N,
                             dtable.size(0), dout.size(1), dtable.mutable_device_data<float>());
    return;
  }
#endif
  check_id_range(op, ids, dtable.size(0));
  cpu::embedding_backward(ids.data<int32_t>(), dout.data<float>(), N, dout.size(1),
                          dtable.mutable_data<float>());
}

}  // namespace retune::ops
