// equissl_openblas: OpenBLAS matrix products on float32 matrices that live in
// a WebAssembly heap (the memory of @tensorflow/tfjs-backend-wasm), read and
// written in place: no copy in or out of the heap.
//
// JavaScript passes a typed array over the whole heap (HEAPU8) and byte
// offsets into it; the offsets are checked against the heap's length before
// any pointer is formed. Everything is row-major, as in tfjs.
//
// Exports:
//   gemm(heap, transA, transB, m, n, k, batch,
//        a, strideA, b, strideB, c, strideC,
//        bias, biasSize, activation, alpha)            -> undefined
//     For i in [0, batch): C_i = act(op(A_i) op(B_i) + bias), where
//     A_i = a + i*strideA (floats; 0 broadcasts one matrix over the batch),
//     op(A_i) is m x k, op(B_i) is k x n, C_i is m x n. bias < 0: no bias;
//     else a byte offset to biasSize (1 or n) floats added to every row.
//     activation: 0 linear, 1 relu, 2 relu6, 4 leakyrelu(alpha) (tfjs's
//     FusableActivation numbers); the others are left to the wasm kernel.
//   getThreads() -> number; setThreads(n) -> number (the count now in use).
#include <cblas.h>
#include <node_api.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "napi-heap.h"

// OpenBLAS's own entry points (declared again in case cblas.h is not
// OpenBLAS's; the signatures are the same).
extern "C" {
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
}

namespace {

using napi_heap::HeapArgs;
using napi_heap::Inside;
using napi_heap::Ints;
using napi_heap::Method;

napi_value Gemm(napi_env env, napi_callback_info info) {
  HeapArgs args;
  if (!napi_heap::ReadHeapArgs(env, info, "gemm", 17, &args, "gemm expects 17 arguments")) return nullptr;
  const napi_value* argv = args.argv;
  uint8_t* heap = args.heap;
  const size_t length = args.bytes;
  bool trans_a, trans_b;
  EQUISSL_NAPI_CALL(env, napi_get_value_bool(env, argv[1], &trans_a));
  EQUISSL_NAPI_CALL(env, napi_get_value_bool(env, argv[2], &trans_b));
  int64_t v[13];  // m n k batch a strideA b strideB c strideC bias biasSize activation
  if (!Ints(env, argv + 3, 13, v)) {
    napi_throw_type_error(env, nullptr, "gemm: sizes, offsets and strides must be integers");
    return nullptr;
  }
  double alpha_d;
  EQUISSL_NAPI_CALL(env, napi_get_value_double(env, argv[16], &alpha_d));
  const int64_t m = v[0], n = v[1], k = v[2], batch = v[3];
  const int64_t a = v[4], sa = v[5], b = v[6], sb = v[7], c = v[8], sc = v[9];
  const int64_t bias = v[10], bias_size = v[11], activation = v[12];
  const float alpha = static_cast<float>(alpha_d);
  if (m < 0 || n < 0 || k < 0 || batch < 0 || m > INT32_MAX || n > INT32_MAX || k > INT32_MAX) {
    napi_throw_range_error(env, nullptr, "gemm: bad sizes");
    return nullptr;
  }
  if (m == 0 || n == 0 || batch == 0) return nullptr;  // nothing to write
  if ((k > 0 && (!Inside(a, m * k, length, batch, sa) || !Inside(b, k * n, length, batch, sb))) || !Inside(c, m * n, length, batch, sc) ||
      (bias >= 0 && ((bias_size != 1 && bias_size != n) || !Inside(bias, bias_size, length)))) {
    napi_throw_range_error(env, nullptr, "gemm: an operand lies outside the heap");
    return nullptr;
  }
  if (activation != 0 && activation != 1 && activation != 2 && activation != 4) {
    napi_throw_range_error(env, nullptr, "gemm: unsupported activation");
    return nullptr;
  }
  const float* bias_p = bias >= 0 ? reinterpret_cast<const float*>(heap + bias) : nullptr;
  // op(A) is m x k: A is stored m x k (lda k) or, transposed, k x m (lda m).
  const int lda = static_cast<int>(std::max<int64_t>(1, trans_a ? m : k));
  const int ldb = static_cast<int>(std::max<int64_t>(1, trans_b ? k : n));
  const int ldc = static_cast<int>(n);
  for (int64_t i = 0; i < batch; ++i) {
    float* ci = reinterpret_cast<float*>(heap + c) + i * sc;
    if (k == 0) {
      std::memset(ci, 0, sizeof(float) * m * n);  // an empty sum (the output memory is uninitialised)
    } else {
      const float* ai = reinterpret_cast<const float*>(heap + a) + i * sa;
      const float* bi = reinterpret_cast<const float*>(heap + b) + i * sb;
      cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
                  static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0f, ai, lda, bi, ldb, 0.0f, ci, ldc);
    }
    if (bias_p == nullptr && activation == 0) continue;
    // Epilogue, row by row while the row is in cache: bias, then activation.
    for (int64_t r = 0; r < m; ++r) {
      float* row = ci + r * n;
      if (bias_p != nullptr) {
        if (bias_size == 1) {
          for (int64_t j = 0; j < n; ++j) row[j] += bias_p[0];
        } else {
          for (int64_t j = 0; j < n; ++j) row[j] += bias_p[j];
        }
      }
      switch (activation) {
        case 1: for (int64_t j = 0; j < n; ++j) row[j] = std::max(row[j], 0.0f); break;
        case 2: for (int64_t j = 0; j < n; ++j) row[j] = std::min(std::max(row[j], 0.0f), 6.0f); break;
        case 4: for (int64_t j = 0; j < n; ++j) row[j] = row[j] < 0 ? alpha * row[j] : row[j]; break;
        default: break;
      }
    }
  }
  return nullptr;
}

napi_value GetThreads(napi_env env, napi_callback_info) {
  napi_value out;
  EQUISSL_NAPI_CALL(env, napi_create_int32(env, openblas_get_num_threads(), &out));
  return out;
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  EQUISSL_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  int32_t n = 0;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &n) != napi_ok || n < 1) {
    napi_throw_range_error(env, nullptr, "setThreads expects a positive integer");
    return nullptr;
  }
  openblas_set_num_threads(n);
  return GetThreads(env, info);
}

}  // namespace

// The other native kernels, each family in its own file (attention.cc,
// elementwise.cc, conv.cc): each adds its functions to `exports`.
napi_value InitAttention(napi_env env, napi_value exports);
napi_value InitElementwise(napi_env env, napi_value exports);
napi_value InitConv(napi_env env, napi_value exports);

namespace {

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {Method("gemm", Gemm), Method("getThreads", GetThreads), Method("setThreads", SetThreads)};
  EQUISSL_NAPI_CALL(env, napi_heap::DefineMethods(env, exports, props));
  if (InitAttention(env, exports) == nullptr || InitElementwise(env, exports) == nullptr || InitConv(env, exports) == nullptr) return nullptr;
  return exports;
}

}  // namespace

NAPI_MODULE_INIT() { return Init(env, exports); }
