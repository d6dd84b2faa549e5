// equissl_openblas: attention kernels on float32 tensors in the WebAssembly heap
// (see addon.cc for the heap and offset conventions).
//
// The core of a ViT's multi-head self-attention, softmax(Q·Kᵀ·scale)·V for
// every (batch, head), and its gradient, run on the tensors of the qkv dense
// layer as they are: qkv is the [B·T, 3D] matrix whose columns are q | k | v,
// heads contiguous inside each (head h of q is columns h·hd … h·hd + hd − 1).
// A head's Q, K and V are then T × hd blocks of that matrix with leading
// dimension 3D, which cblas_sgemm reads directly: no split into heads, no
// transposes, and one call for the whole layer instead of a handful of small
// batched products per head. The output is written straight into the merged
// [B·T, D] layout (leading dimension D) that the output projection reads,
// and the gradient into one [B·T, 3D] matrix laid out like qkv, which the
// qkv dense layer's gradient reads.
//
// Exports (b, t, h, hd: batch, tokens, heads, head size, D = h·hd; scale
// multiplies the scores; the others byte offsets into heap, a Uint8Array
// over the wasm memory):
//   attentionForward(heap, b, t, h, hd, scale, qkv, out, probs)
//     per (batch i, head j): P = softmax(Q·Kᵀ·scale) (row max subtracted
//     first) into probs [B, H, T, T], kept for the backward pass;
//     O = P·V into out [B·T, D] at columns j·hd ….
//   attentionBackward(heap, b, t, h, hd, scale, dOut, qkv, probs, dQkv)
//     from dOut [B·T, D] (the gradient of out) and the forward's qkv and
//     probs: dP = dO·Vᵀ, dS = P ⊙ (dP − rowsum(dP ⊙ P))·scale, dQ = dS·K,
//     dK = dSᵀ·Q, dV = Pᵀ·dO, written into dQkv [B·T, 3D] (columns
//     dQ | dK | dV, as qkv). dS lives in a scratch block of this thread
//     (T × T floats, reused).
#include <cblas.h>
#include <node_api.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "napi-heap.h"

namespace {

using napi_heap::HeapArgs;
using napi_heap::Method;

// The row loops keep this many partial results side by side, so that their
// reductions (max, sum) vectorise without reassociating a single sum.
constexpr int64_t kLanes = 16;

// The sizes of one call; D = heads · headDim, qkv rows are 3D floats apart.
struct Dims {
  int64_t batch, tokens, heads, head_dim;
  float scale;
  int64_t d() const { return heads * head_dim; }
  int64_t rows() const { return batch * tokens; }
  int64_t probs() const { return batch * heads * tokens * tokens; }
};

// The largest element of x[0 … n).
float RowMax(const float* x, int64_t n) {
  float lane[kLanes];
  for (int64_t l = 0; l < kLanes; ++l) lane[l] = -std::numeric_limits<float>::infinity();
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int64_t l = 0; l < kLanes; ++l) lane[l] = lane[l] > x[j + l] ? lane[l] : x[j + l];
  float m = lane[0];
  for (int64_t l = 1; l < kLanes; ++l) m = m > lane[l] ? m : lane[l];
  for (; j < n; ++j) m = m > x[j] ? m : x[j];
  return m;
}

// Σ x[i]·y[i] over [0 … n).
float RowDot(const float* x, const float* y, int64_t n) {
  float lane[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int64_t l = 0; l < kLanes; ++l) lane[l] += x[j + l] * y[j + l];
  float s = 0;
  for (int64_t l = 0; l < kLanes; ++l) s += lane[l];
  for (; j < n; ++j) s += x[j] * y[j];
  return s;
}

// Σ x[i] over [0 … n).
float RowSum(const float* x, int64_t n) {
  float lane[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int64_t l = 0; l < kLanes; ++l) lane[l] += x[j + l];
  float s = 0;
  for (int64_t l = 0; l < kLanes; ++l) s += lane[l];
  for (; j < n; ++j) s += x[j];
  return s;
}

// Softmax of each of the `rows` rows of s (`cols` floats each), in place.
__attribute__((target_clones("avx512f", "avx2", "default")))
void SoftmaxRows(float* s, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    float* row = s + r * cols;
    const float m = RowMax(row, cols);
    for (int64_t j = 0; j < cols; ++j) row[j] = expf(row[j] - m);
    const float inv = 1.0f / RowSum(row, cols);
    for (int64_t j = 0; j < cols; ++j) row[j] *= inv;
  }
}

// dS = P ⊙ (dP − rowsum(dP ⊙ P))·scale, row by row, in place of dP.
__attribute__((target_clones("avx512f", "avx2", "default")))
void SoftmaxGradRows(float* dp, const float* p, int64_t rows, int64_t cols, float scale) {
  for (int64_t r = 0; r < rows; ++r) {
    float* g = dp + r * cols;
    const float* pr = p + r * cols;
    const float dot = RowDot(g, pr, cols);
    for (int64_t j = 0; j < cols; ++j) g[j] = pr[j] * (g[j] - dot) * scale;
  }
}

// The scratch memory of this thread (worker threads each have their own).
float* Scratch(size_t floats) {
  thread_local std::vector<float> buffer;
  if (buffer.size() < floats) buffer.resize(floats);
  return buffer.data();
}

void Forward(const Dims& n, const float* qkv, float* out, float* probs) {
  const int t = static_cast<int>(n.tokens), hd = static_cast<int>(n.head_dim);
  const int64_t d = n.d();
  const int ld_qkv = static_cast<int>(3 * d), ld_out = static_cast<int>(d);
  for (int64_t i = 0; i < n.batch; ++i) {
    const float* rows = qkv + i * n.tokens * 3 * d;
    for (int64_t j = 0; j < n.heads; ++j) {
      const float* q = rows + j * n.head_dim;
      const float* k = q + d;
      const float* v = k + d;
      float* p = probs + (i * n.heads + j) * n.tokens * n.tokens;
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, t, t, hd, n.scale, q, ld_qkv, k, ld_qkv, 0.0f, p, t);
      SoftmaxRows(p, n.tokens, n.tokens);
      float* o = out + i * n.tokens * d + j * n.head_dim;
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, t, hd, t, 1.0f, p, t, v, ld_qkv, 0.0f, o, ld_out);
    }
  }
}

void Backward(const Dims& n, const float* d_out, const float* qkv, const float* probs, float* d_qkv) {
  const int t = static_cast<int>(n.tokens), hd = static_cast<int>(n.head_dim);
  const int64_t d = n.d();
  const int ld_qkv = static_cast<int>(3 * d), ld_out = static_cast<int>(d);
  float* ds = Scratch(static_cast<size_t>(n.tokens * n.tokens));
  for (int64_t i = 0; i < n.batch; ++i) {
    const int64_t row0 = i * n.tokens;
    for (int64_t j = 0; j < n.heads; ++j) {
      const int64_t col = j * n.head_dim;
      const float* q = qkv + row0 * 3 * d + col;
      const float* k = q + d;
      const float* v = k + d;
      const float* d_o = d_out + row0 * d + col;
      const float* p = probs + (i * n.heads + j) * n.tokens * n.tokens;
      float* d_q = d_qkv + row0 * 3 * d + col;
      float* d_k = d_q + d;
      float* d_v = d_k + d;
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, t, t, hd, 1.0f, d_o, ld_out, v, ld_qkv, 0.0f, ds, t);
      SoftmaxGradRows(ds, p, n.tokens, n.tokens, n.scale);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, t, hd, t, 1.0f, ds, t, k, ld_qkv, 0.0f, d_q, ld_qkv);
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, t, hd, t, 1.0f, ds, t, q, ld_qkv, 0.0f, d_k, ld_qkv);
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, t, hd, t, 1.0f, p, t, d_o, ld_out, 0.0f, d_v, ld_qkv);
    }
  }
}

// Sizes and offsets (doubles, since offsets can exceed 2^31 on a 4 GB heap):
// whole numbers from 0 (sizes are checked to be ≥ 1 after), or a thrown TypeError.
bool Counts(napi_env env, const napi_value* argv, size_t count, const char* fn, int64_t* out) {
  if (napi_heap::Ints(env, argv, count, out, 0, 9.0e15)) return true;
  napi_heap::ThrowType(env, fn, "sizes and offsets must be non-negative integers");
  return false;
}

// The sizes and scale (arguments 1 … 5), or a thrown error.
bool ReadDims(napi_env env, const napi_value* argv, const char* fn, Dims* n) {
  int64_t v[4];
  if (!Counts(env, argv + 1, 4, fn, v)) return false;
  double scale;
  if (napi_get_value_double(env, argv[5], &scale) != napi_ok || !std::isfinite(scale)) {
    napi_heap::ThrowType(env, fn, "scale must be a finite number");
    return false;
  }
  *n = Dims{v[0], v[1], v[2], v[3], static_cast<float>(scale)};
  // cblas takes int sizes and leading dimensions
  if (n->batch < 1 || n->tokens < 1 || n->heads < 1 || n->head_dim < 1 || n->tokens > INT32_MAX || 3 * n->d() > INT32_MAX) {
    napi_heap::ThrowRange(env, fn, "batch, tokens, heads and head size must be positive");
    return false;
  }
  return true;
}

// A call: the heap, b, t, h, hd and scale (arguments 0 … 5), then `count`
// offsets into `at`; or a thrown error (the TypeError `arity` for another
// number of arguments).
bool ReadCall(napi_env env, napi_callback_info info, const char* fn, const char* arity, size_t count, HeapArgs* args, Dims* n, int64_t* at) {
  return napi_heap::ReadHeapArgs(env, info, fn, 6 + count, args, arity) && ReadDims(env, args->argv, fn, n) && Counts(env, args->argv + 6, count, fn, at);
}

napi_value AttentionForward(napi_env env, napi_callback_info info) {
  const char* fn = "attentionForward";
  HeapArgs args;
  Dims n;
  int64_t at[3];  // qkv out probs
  if (!ReadCall(env, info, fn, "attentionForward expects 9 arguments", 3, &args, &n, at) ||
      !napi_heap::CheckOperands(env, fn, at, args.bytes, {{n.rows() * 3 * n.d()}, {n.rows() * n.d()}, {n.probs()}}))
    return nullptr;
  Forward(n, args.At<const float>(at[0]), args.At(at[1]), args.At(at[2]));
  return nullptr;
}

napi_value AttentionBackward(napi_env env, napi_callback_info info) {
  const char* fn = "attentionBackward";
  HeapArgs args;
  Dims n;
  int64_t at[4];  // dOut qkv probs dQkv
  if (!ReadCall(env, info, fn, "attentionBackward expects 10 arguments", 4, &args, &n, at) ||
      !napi_heap::CheckOperands(env, fn, at, args.bytes, {{n.rows() * n.d()}, {n.rows() * 3 * n.d()}, {n.probs()}, {n.rows() * 3 * n.d()}}))
    return nullptr;
  Backward(n, args.At<const float>(at[0]), args.At<const float>(at[1]), args.At<const float>(at[2]), args.At(at[3]));
  return nullptr;
}

}  // namespace

napi_value InitAttention(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {Method("attentionForward", AttentionForward), Method("attentionBackward", AttentionBackward)};
  EQUISSL_NAPI_CALL(env, napi_heap::DefineMethods(env, exports, props));
  return exports;
}
