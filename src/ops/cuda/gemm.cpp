#include "ops/cuda/gemm.h"

#include <cublasLt.h>
#include <fmt/format.h>

#include <array>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "core/cuda/runtime.h"
#include "core/profile.h"
#include "core/tensor.h"
#include "ops/cuda/bf16_pack.h"
#include "ops/cuda/kept_operands.h"

namespace retune::ops::cuda {
namespace {

constexpr size_t kWorkspaceBytes = size_t{32} << 20;

void check_blas(cublasStatus_t status, const char* what) {
  RETUNE_CHECK(status == CUBLAS_STATUS_SUCCESS, "cuBLASLt error in {}: {} ({})", what,
               cublasLtGetStatusString(status), cublasLtGetStatusName(status));
}

// The handle and workspace of the current device, made on first use and kept for the process.
// How one product runs: its descriptor, the layouts of cuBLASLt's A, B and C (= D), and the
// algorithm cuBLASLt's heuristic chose. Made once per shape, strides, transposes and alignments
// and kept for the process (never destroyed).
struct Plan {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr;
  cublasLtMatrixLayout_t b = nullptr;
  cublasLtMatrixLayout_t c = nullptr;
  cublasLtMatmulAlgo_t algorithm{};
};

struct Blas {
  cublasLtHandle_t handle = nullptr;
  void* workspace = nullptr;
  std::map<std::array<int64_t, 17>, Plan> plans;
};

Blas& blas() {
  static std::mutex mutex;
  static std::map<int, Blas>* per_device = new std::map<int, Blas>;  // never destroyed
  int device = 0;
  retune::cuda::check(cudaGetDevice(&device), "reading the current device");
  const std::lock_guard lock(mutex);
  Blas& b = (*per_device)[device];
  if (!b.handle) {
    check_blas(cublasLtCreate(&b.handle), "creating the handle");
    b.workspace = retune::cuda::allocate(kWorkspaceBytes, device);
  }
  return b;
}

// The operand, stored as a [rows, cols] matrix per batch item, as bf16: itself, or a packed copy
// in `scratch` (which must outlive the product), kept from an earlier product or made now (and
// kept, when its version is known).
GemmOperand as_bf16(const GemmOperand& m, int64_t rows, int64_t cols, int64_t batch,
                    Tensor& scratch, Device device) {
  if (m.dtype == DType::bf16) return m;
  const int64_t matrices = m.batch_stride == 0 ? 1 : batch;
  const int64_t count = matrices * rows * cols;
  GemmOperand packed{nullptr, DType::bf16, cols, m.batch_stride == 0 ? 0 : rows * cols, m.trans};
  const OperandKey key =
      operand_key(m.data, m.dtype, rows, cols, m.ld, m.batch_stride, m.version, matrices);
  if (m.version != 0) scratch = find_kept_operand(key);
  if (scratch.defined()) {
    packed.data = scratch.device_data<uint16_t>();
    return packed;
  }
  const profile::Stage stage([&] {
    return fmt::format("pack_bf16 {}[{}, {}] x{}", dtype_name(m.dtype), rows, cols, matrices);
  });
  scratch = Tensor::empty({count}, DType::bf16, device);
  uint16_t* data = scratch.mutable_device_data<uint16_t>();
  pack_bf16(m.data, m.dtype, rows, cols, m.ld, m.batch_stride, count, data);
  if (m.version != 0) keep_operand(key, scratch);
  packed.data = data;
  return packed;
}

// cuBLASLt's alignment preference for a batch's matrices: the largest power of two (up to 256)
// that divides the first one's address and the bytes from one matrix to the next (when there are
// several: a packed bf16 [5, 3] is 30 bytes, so its second matrix is only 2-byte aligned).
int64_t alignment_of(const void* pointer, int64_t batch, int64_t batch_stride,
                     int64_t element_bytes) {
  const auto address = reinterpret_cast<uintptr_t>(pointer);
  const auto stride = static_cast<uintptr_t>(batch > 1 ? batch_stride * element_bytes : 0);
  uintptr_t alignment = 256;
  while (alignment > 1 && (address % alignment != 0 || stride % alignment != 0)) alignment /= 2;
  return static_cast<int64_t>(alignment);
}

// A cuBLASLt matrix layout.
cublasLtMatrixLayout_t make_layout(cudaDataType_t type, int64_t rows, int64_t cols, int64_t ld,
                                   int64_t batch, int64_t batch_stride) {
  cublasLtMatrixLayout_t layout = nullptr;
  check_blas(cublasLtMatrixLayoutCreate(&layout, type, static_cast<uint64_t>(rows),
                                        static_cast<uint64_t>(cols), ld),
             "creating a layout");
  const auto count = static_cast<int32_t>(batch);
  check_blas(cublasLtMatrixLayoutSetAttribute(layout, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count,
                                              sizeof(count)),
             "setting the batch count");
  check_blas(cublasLtMatrixLayoutSetAttribute(layout, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET,
                                              &batch_stride, sizeof(batch_stride)),
             "setting the batch stride");
  return layout;
}

// The plan of a product described by gemm_batched's key: batch, M, N, K, the leading dims of b,
// a and out, their batch strides, whether b and a are transposed, whether beta is non-zero, the
// alignments of b, a and out, and out's dtype.
Plan make_plan(const Blas& lt, const std::array<int64_t, 17>& key) {
  const auto [batch, M, N, K, b_ld, a_ld, ldo, b_stride, a_stride, out_stride, b_trans, a_trans,
              beta_nonzero, b_alignment, a_alignment, out_alignment, out_dtype] = key;
  const int64_t a_rows = a_trans ? K : M, a_cols = a_trans ? M : K;
  const int64_t b_rows = b_trans ? N : K, b_cols = b_trans ? K : N;
  Plan plan;
  check_blas(cublasLtMatmulDescCreate(&plan.desc, CUBLAS_COMPUTE_32F, CUDA_R_32F),
             "creating a product");
  const cublasOperation_t trans_a = b_trans ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t trans_b = a_trans ? CUBLAS_OP_T : CUBLAS_OP_N;
  check_blas(cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_TRANSA, &trans_a,
                                            sizeof(trans_a)),
             "setting transa");
  check_blas(cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_TRANSB, &trans_b,
                                            sizeof(trans_b)),
             "setting transb");
  plan.a = make_layout(CUDA_R_16BF, b_cols, b_rows, b_ld, batch, b_stride);
  plan.b = make_layout(CUDA_R_16BF, a_cols, a_rows, a_ld, batch, a_stride);
  const cudaDataType_t out_type =
      static_cast<DType>(out_dtype) == DType::bf16 ? CUDA_R_16BF : CUDA_R_32F;
  plan.c = make_layout(out_type, N, M, ldo, batch, out_stride);

  cublasLtMatmulPreference_t preference = nullptr;
  check_blas(cublasLtMatmulPreferenceCreate(&preference), "creating a preference");
  const uint64_t workspace = kWorkspaceBytes;
  check_blas(
      cublasLtMatmulPreferenceSetAttribute(preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                           &workspace, sizeof(workspace)),
      "setting the workspace");
  const std::array<std::pair<cublasLtMatmulPreferenceAttributes_t, int64_t>, 4> alignments{
      {{CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, b_alignment},
       {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, a_alignment},
       {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, out_alignment},
       {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, out_alignment}}};
  for (const auto& [attribute, value] : alignments) {
    const auto bytes = static_cast<uint32_t>(value);
    check_blas(cublasLtMatmulPreferenceSetAttribute(preference, attribute, &bytes, sizeof(bytes)),
               "setting an alignment");
  }
  if (out_type == CUDA_R_16BF) {
    // A split-K reduction may keep its partial sums in the output (or in its type): bf16 ones
    // would round the sum more than once. Only f32 partial sums (or none) keep gemm.h's promise.
    const uint32_t schemes = CUBLASLT_REDUCTION_SCHEME_COMPUTE_TYPE;
    check_blas(
        cublasLtMatmulPreferenceSetAttribute(preference, CUBLASLT_MATMUL_PREF_REDUCTION_SCHEME_MASK,
                                             &schemes, sizeof(schemes)),
        "setting the reduction schemes");
  }
  cublasLtMatmulHeuristicResult_t result{};
  int found_count = 0;
  const cublasStatus_t status = cublasLtMatmulAlgoGetHeuristic(
      lt.handle, plan.desc, plan.a, plan.b, plan.c, plan.c, preference, 1, &result, &found_count);
  cublasLtMatmulPreferenceDestroy(preference);
  check_blas(status, "choosing an algorithm");
  RETUNE_CHECK(found_count > 0, "cuBLASLt has no algorithm for a [{}, {}] x [{}, {}] product", M, K,
               K, N);
  plan.algorithm = result.algo;
  return plan;
}

}  // namespace

void keep_bf16_copies(std::span<const F32Matrix> matrices) {
  int device_index = 0;
  retune::cuda::check(cudaGetDevice(&device_index), "reading the current device");
  const Device device = Device::cuda(device_index);
  std::vector<std::pair<OperandKey, Tensor>> copies;
  std::vector<PackedArray> arrays;
  size_t bytes = 0;
  for (const F32Matrix& m : matrices) {
    const int64_t n = m.rows * m.cols;
    const size_t copy_bytes = static_cast<size_t>(n) * 2;
    if (n == 0 || copy_bytes >= kLargeOperandBytes) continue;
    if (bytes + copy_bytes > kPreparedOperandBudget) break;
    bytes += copy_bytes;
    const OperandKey key = operand_key(m.data, DType::f32, m.rows, m.cols, m.cols, 0, m.version, 1);
    if (find_kept_operand(key).defined()) continue;
    const Tensor copy = Tensor::empty({n}, DType::bf16, device);
    arrays.push_back({m.data, copy.mutable_device_data<uint16_t>(), n});
    copies.emplace_back(key, copy);
  }
  pack_bf16_arrays(arrays);
  for (const auto& [key, copy] : copies) keep_operand(key, copy);
}

void gemm_batched(int64_t batch, int64_t M, int64_t N, int64_t K, float alpha,
                  const GemmOperand& a_in, const GemmOperand& b_in, float beta,
                  const GemmOutput& out) {
  if (M == 0 || N == 0 || batch == 0) return;
  RETUNE_CHECK(out.dtype == DType::f32 || out.dtype == DType::bf16,
               "gemm_batched: the output is {}, expected f32 or bf16", dtype_name(out.dtype));
  int device_index = 0;
  retune::cuda::check(cudaGetDevice(&device_index), "reading the current device");
  const Device device = Device::cuda(device_index);
  // The stored matrices: a is [M, K] or, transposed, [K, M]; b is [K, N] or [N, K].
  const int64_t a_rows = a_in.trans ? K : M, a_cols = a_in.trans ? M : K;
  const int64_t b_rows = b_in.trans ? N : K, b_cols = b_in.trans ? K : N;
  Tensor a_scratch, b_scratch;
  const GemmOperand a = as_bf16(a_in, a_rows, a_cols, batch, a_scratch, device);
  const GemmOperand b = as_bf16(b_in, b_rows, b_cols, batch, b_scratch, device);
  Blas& lt = blas();

  // cuBLASLt is column-major: the row-major out [M, N] is the column-major out^T [N, M] =
  // op(b)^T op(a)^T, and a stored row-major matrix [rows, cols] is the column-major [cols, rows]
  // with the same leading dimension. So cuBLASLt's A is our b, its B our a.
  const std::array<int64_t, 17> key{
      batch,
      M,
      N,
      K,
      b.ld,
      a.ld,
      out.ld,
      b.batch_stride,
      a.batch_stride,
      out.batch_stride,
      b.trans,
      a.trans,
      beta != 0.0f,
      alignment_of(b.data, batch, b.batch_stride, 2),
      alignment_of(a.data, batch, a.batch_stride, 2),
      alignment_of(out.data, batch, out.batch_stride, out.dtype == DType::bf16 ? 2 : 4),
      static_cast<int64_t>(out.dtype)};
  const Plan* plan = nullptr;
  {
    static std::mutex mutex;
    const std::lock_guard lock(mutex);
    auto found = lt.plans.find(key);
    if (found == lt.plans.end()) found = lt.plans.emplace(key, make_plan(lt, key)).first;
    plan = &found->second;
  }
  check_blas(cublasLtMatmul(lt.handle, plan->desc, &alpha, b.data, plan->a, a.data, plan->b, &beta,
                            out.data, plan->c, out.data, plan->c, &plan->algorithm, lt.workspace,
                            kWorkspaceBytes, retune::cuda::stream()),
             "a matrix product");
}

}  // namespace retune::ops::cuda
