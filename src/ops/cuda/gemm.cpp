#include "ops/cuda/gemm.h"

#include <cublasLt.h>

#include <array>
#include <map>
#include <mutex>

#include "core/cuda/runtime.h"
#include "core/tensor.h"
#include "ops/cuda/bf16_pack.h"

namespace retune::ops::cuda {
namespace {

constexpr size_t kWorkspaceBytes = size_t{32} << 20;

void check_blas(cublasStatus_t status, const char* what) {
  RETUNE_CHECK(status == CUBLAS_STATUS_SUCCESS, "cuBLASLt error in {}: {} ({})", what,
               cublasLtGetStatusString(status), cublasLtGetStatusName(status));
}

// The handle and workspace of the current device, made on first use and kept for the process.
struct Blas {
  cublasLtHandle_t handle = nullptr;
  void* workspace = nullptr;
  // The algorithm cuBLASLt's heuristic chose for each product's shape, strides and alignments.
  std::map<std::array<int64_t, 16>, cublasLtMatmulAlgo_t> algorithms;
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
// in `scratch` (which must outlive the product).
GemmOperand as_bf16(const GemmOperand& m, int64_t rows, int64_t cols, int64_t batch,
                    Tensor& scratch, Device device) {
  if (m.dtype == DType::bf16) return m;
  const int64_t matrices = m.batch_stride == 0 ? 1 : batch;
  const int64_t count = matrices * rows * cols;
  scratch = Tensor::empty({count}, DType::bf16, device);
  uint16_t* packed = scratch.mutable_device_data<uint16_t>();
  pack_bf16(m.data, m.dtype, rows, cols, m.ld, m.batch_stride, count, packed);
  return {packed, DType::bf16, cols, m.batch_stride == 0 ? 0 : rows * cols, m.trans};
}

// The largest power of two (up to 256) that divides the address: cuBLASLt's alignment preference.
int64_t alignment_of(const void* pointer) {
  const auto address = reinterpret_cast<uintptr_t>(pointer);
  int64_t alignment = 256;
  while (alignment > 1 && address % static_cast<uintptr_t>(alignment) != 0) alignment /= 2;
  return alignment;
}

// A cuBLASLt matrix layout, destroyed with the object.
struct Layout {
  cublasLtMatrixLayout_t layout = nullptr;
  Layout(cudaDataType_t type, int64_t rows, int64_t cols, int64_t ld, int64_t batch,
         int64_t batch_stride) {
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
  }
  ~Layout() { cublasLtMatrixLayoutDestroy(layout); }
  Layout(const Layout&) = delete;
  Layout& operator=(const Layout&) = delete;
};

}  // namespace

void gemm_batched(int64_t batch, int64_t M, int64_t N, int64_t K, float alpha,
                  const GemmOperand& a_in, const GemmOperand& b_in, float beta, float* out,
                  int64_t ldo, int64_t out_batch_stride) {
  if (M == 0 || N == 0 || batch == 0) return;
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
  cublasLtMatmulDesc_t desc = nullptr;
  check_blas(cublasLtMatmulDescCreate(&desc, CUBLAS_COMPUTE_32F, CUDA_R_32F), "creating a product");
  const cublasOperation_t trans_a = b.trans ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t trans_b = a.trans ? CUBLAS_OP_T : CUBLAS_OP_N;
  check_blas(
      cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSA, &trans_a, sizeof(trans_a)),
      "setting transa");
  check_blas(
      cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSB, &trans_b, sizeof(trans_b)),
      "setting transb");
  const Layout layout_a(CUDA_R_16BF, b_cols, b_rows, b.ld, batch, b.batch_stride);
  const Layout layout_b(CUDA_R_16BF, a_cols, a_rows, a.ld, batch, a.batch_stride);
  const Layout layout_c(CUDA_R_32F, N, M, ldo, batch, out_batch_stride);

  const std::array<int64_t, 16> key{batch,
                                    M,
                                    N,
                                    K,
                                    b.ld,
                                    a.ld,
                                    ldo,
                                    b.batch_stride,
                                    a.batch_stride,
                                    out_batch_stride,
                                    b.trans,
                                    a.trans,
                                    beta != 0.0f,
                                    alignment_of(b.data),
                                    alignment_of(a.data),
                                    alignment_of(out)};
  cublasLtMatmulAlgo_t algorithm;
  {
    static std::mutex mutex;
    const std::lock_guard lock(mutex);
    auto found = lt.algorithms.find(key);
    if (found == lt.algorithms.end()) {
      cublasLtMatmulPreference_t preference = nullptr;
      check_blas(cublasLtMatmulPreferenceCreate(&preference), "creating a preference");
      const uint64_t workspace = kWorkspaceBytes;
      check_blas(
          cublasLtMatmulPreferenceSetAttribute(preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                               &workspace, sizeof(workspace)),
          "setting the workspace");
      const std::array<std::pair<cublasLtMatmulPreferenceAttributes_t, int64_t>, 4> alignments{
          {{CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, key[13]},
           {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, key[14]},
           {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, key[15]},
           {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, key[15]}}};
      for (const auto& [attribute, value] : alignments) {
        const auto bytes = static_cast<uint32_t>(value);
        check_blas(
            cublasLtMatmulPreferenceSetAttribute(preference, attribute, &bytes, sizeof(bytes)),
            "setting an alignment");
      }
      cublasLtMatmulHeuristicResult_t result{};
      int found_count = 0;
      const cublasStatus_t status = cublasLtMatmulAlgoGetHeuristic(
          lt.handle, desc, layout_a.layout, layout_b.layout, layout_c.layout, layout_c.layout,
          preference, 1, &result, &found_count);
      cublasLtMatmulPreferenceDestroy(preference);
      check_blas(status, "choosing an algorithm");
      RETUNE_CHECK(found_count > 0, "cuBLASLt has no algorithm for a [{}, {}] x [{}, {}] product",
                   M, K, K, N);
      found = lt.algorithms.emplace(key, result.algo).first;
    }
    algorithm = found->second;
  }
  const cublasStatus_t status =
      cublasLtMatmul(lt.handle, desc, &alpha, b.data, layout_a.layout, a.data, layout_b.layout,
                     &beta, out, layout_c.layout, out, layout_c.layout, &algorithm, lt.workspace,
                     kWorkspaceBytes, retune::cuda::stream());
  cublasLtMatmulDescDestroy(desc);
  check_blas(status, "a matrix product");
}

}  // namespace retune::ops::cuda
