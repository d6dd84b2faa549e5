// equissl_openblas: element-wise kernels on float32 tensors in the WebAssembly
// heap (see addon.cc for the heap and offset conventions): exp, erf, the exact
// GELU and its derivative, LayerNorm over the last axis and its gradient.
//
// Why: on the wasm backend these run one scalar libm call per element (no FMA,
// no wide vectors), and a ViT step's GELU and LayerNorm are a dozen such
// kernels each. Here every hot loop is compiled three times, for AVX-512,
// for AVX2 + FMA (x86-64-v3) and for the baseline, and the loader picks the
// CPU's best at run time (GCC's target_clones). exp and erf are branch-free
// polynomial approximations, so that the compiler vectorises them:
//   exp: Cephes' range reduction and degree-6 polynomial; max error 1.01 ulp
//        (checked on every float with |x| < 90), denormal results included.
//   erf: |x| < 1: x + x·P(x²) (P of degree 7); otherwise
//        1 - exp(S(|x|) - x²) with S of degree 8 (a minimax fit of
//        log(erfc(x)) + x² on [1, 3.92]; erf rounds to ±1 beyond). Max error
//        1.3 ulp, 8e-8 absolute (every float with |x| ≤ 5).
// Results agree with the wasm kernels (musl's expf and erff) to a few float
// roundings; they are not bit-identical, nor across the three builds (FMA).
//
// Exports (offsets are byte offsets into `heap`, a Uint8Array over the wasm
// memory; n, rows, d count floats):
//   exp(heap, x, y, n)                 y = exp(x)
//   erf(heap, x, y, n)                 y = erf(x)
//   gelu(heap, x, y, n)                y = x·Φ(x), Φ(x) = ½(1 + erf(x/√2))
//   geluGrad(heap, dy, x, dx, n)       dx = dy·(Φ(x) + x·φ(x))
//   layerNorm(heap, x, gamma, beta, y, xhat, rstd, rows, d, eps)
//     per row of d values: rstd = 1/√(var + eps), x̂ = (x - mean)·rstd,
//     y = x̂·γ + β (var the biased variance, as tfjs's moments)
//   layerNormGrad(heap, dy, xhat, rstd, gamma, dx, dgamma, dbeta, rows, d)
//     g = dy·γ; dx = rstd·(g - mean(g) - x̂·mean(g·x̂)) per row;
//     dγ = Σ_rows dy·x̂, dβ = Σ_rows dy (summed in double)
#include <node_api.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "napi-heap.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
// AVX-512, AVX2 with FMA (GCC's plain "avx2" clone has no FMA), baseline SSE2
#define EQUISSL_CLONES __attribute__((target_clones("avx512f", "arch=x86-64-v3", "default")))
#else
#define EQUISSL_CLONES
#endif
#define EQUISSL_INLINE static inline __attribute__((always_inline))

// The loops below must vectorise: no FP exception flags to keep (so that
// conditional selects become blends) and fused multiply-adds where the CPU
// has them. Only this file's functions are affected.
#pragma GCC push_options
#pragma GCC optimize("fp-contract=fast", "no-trapping-math")

namespace {

// ---------------------------------------------------------------- math

// exp(x) for float x: x = n·ln2 + r, |r| ≤ ln2/2, exp(r) by Cephes'
// polynomial, times 2^n built in two halves (so that results down to the
// smallest denormal round once). Overflows to +inf, underflows to 0, NaN stays.
EQUISSL_INLINE float ExpF(float x) {
  x = x > 89.0f ? 89.0f : x;
  x = x < -104.0f ? -104.0f : x;
  const float shifter = 12582912.0f;  // 1.5·2^23: adding it rounds to an integer, kept in the low mantissa bits
  const float t = x * 1.44269504088896341f + shifter;
  const float n = t - shifter;
  const int32_t k = __builtin_bit_cast(int32_t, t) - 0x4B400000;
  float r = x - n * 0.693359375f;  // ln2 in two parts: n·hi is exact
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  const int32_t h = k >> 1;
  const float s1 = __builtin_bit_cast(float, (h + 127) << 23);
  const float s2 = __builtin_bit_cast(float, (k - h + 127) << 23);
  return p * s1 * s2;
}

// erf(x)/x - 1 = P(x²) on [0, 1] (relative minimax error 3e-11).
constexpr float kErfSmall[] = {0.128379166f,  -0.376126379f, 0.112837821f, -0.0268654004f,
                               0.00522094592f, -0.0008482837f, 0.000112570007f, -9.6416552e-06f};
// log(erfc(x)) + x² = S(t), t = (x - 2.46)/1.46, on [1, 3.92] (absolute error 8e-9).
constexpr float kErfLarge[] = {-1.54261756f,    -0.52154398f,    0.122418657f,     -0.0348922834f,  0.0102286385f,
                               -0.00291396631f, 0.000785713666f, -0.000195148808f, 3.36925368e-05f};

template <int N>
EQUISSL_INLINE float Horner(const float (&c)[N], float x) {
  float p = c[N - 1];
  for (int i = N - 2; i >= 0; --i) p = p * x + c[i];
  return p;
}

// erf(x), both branches computed and one selected (vectorisable).
EQUISSL_INLINE float ErfF(float x) {
  const float ax = __builtin_fabsf(x);
  const float small = x + x * Horner(kErfSmall, ax * ax);
  const float c = ax > 3.92f ? 3.92f : ax;  // erf rounds to 1 from 3.84 on; NaN passes
  const float large = __builtin_copysignf(1.0f - ExpF(Horner(kErfLarge, (c - 2.46000004f) * 0.684931517f) - c * c), x);
  return ax < 1.0f ? small : large;
}

constexpr float kInvSqrt2 = 0.707106781186547524f;
constexpr float kInvSqrt2Pi = 0.398942280401432678f;

// Φ(x) = ½(1 + erf(x/√2)), in the order of @equissl/nn's composed ops.
EQUISSL_INLINE float NormalCdf(float x) { return 0.5f * (1.0f + ErfF(x * kInvSqrt2)); }

// d GELU/dx = Φ(x) + x·φ(x).
EQUISSL_INLINE float GeluDerivative(float x) { return NormalCdf(x) + x * (kInvSqrt2Pi * ExpF(-0.5f * (x * x))); }

// ---------------------------------------------------------------- loops

EQUISSL_CLONES void ExpLoop(const float* __restrict x, float* __restrict y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = ExpF(x[i]);
}

EQUISSL_CLONES void ErfLoop(const float* __restrict x, float* __restrict y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = ErfF(x[i]);
}

EQUISSL_CLONES void GeluLoop(const float* __restrict x, float* __restrict y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * NormalCdf(x[i]);
}

EQUISSL_CLONES void GeluGradLoop(const float* __restrict dy, const float* __restrict x, float* __restrict dx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * GeluDerivative(x[i]);
}

// Sums in 16 interleaved partial sums, added pairwise at the end: one fixed
// order of additions for every vector width, which the compiler vectorises
// without reassociating anything.
constexpr int kLanes = 16;

EQUISSL_INLINE float Fold(float (&acc)[kLanes]) {
  for (int w = kLanes / 2; w >= 1; w /= 2)
    for (int j = 0; j < w; ++j) acc[j] += acc[j + w];
  return acc[0];
}

// Σ x.
EQUISSL_INLINE float Sum(const float* __restrict x, int64_t n) {
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) acc[j] += x[i + j];
  for (int j = 0; i < n; ++i, ++j) acc[j] += x[i];
  return Fold(acc);
}

// Σ (x - shift)², for the variance about the mean.
EQUISSL_INLINE float SumSquaredDeviations(const float* __restrict x, float shift, int64_t n) {
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) acc[j] += (x[i + j] - shift) * (x[i + j] - shift);
  for (int j = 0; i < n; ++i, ++j) acc[j] += (x[i] - shift) * (x[i] - shift);
  return Fold(acc);
}

// g = dy·γ, stored to `g` (rounded there, as the composed ops round it, so
// that g - mean(g) is exactly 0 where all g are equal), with Σ g and Σ g·x̂.
EQUISSL_INLINE void GradSums(const float* __restrict dy, const float* __restrict gamma, const float* __restrict xhat, float* __restrict g, int64_t n,
                             float* sg, float* sgx) {
  for (int64_t i = 0; i < n; ++i) g[i] = dy[i] * gamma[i];
  float a[kLanes] = {};
  float b[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) {
      a[j] += g[i + j];
      b[j] += g[i + j] * xhat[i + j];
    }
  for (int j = 0; i < n; ++i, ++j) {
    a[j] += g[i];
    b[j] += g[i] * xhat[i];
  }
  *sg = Fold(a);
  *sgx = Fold(b);
}

// LayerNorm forward, one row at a time (it stays in cache): mean, variance
// about the mean, then x̂ and y in one sweep.
EQUISSL_CLONES void LayerNormRows(const float* __restrict x, const float* __restrict gamma, const float* __restrict beta, float* __restrict y,
                                  float* __restrict xhat, float* __restrict rstd, int64_t rows, int64_t d, float eps) {
  const float n = static_cast<float>(d);
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * d;
    float* yr = y + r * d;
    float* hr = xhat + r * d;
    const float mean = Sum(xr, d) / n;
    const float s = 1.0f / __builtin_sqrtf(SumSquaredDeviations(xr, mean, d) / n + eps);
    rstd[r] = s;
    for (int64_t j = 0; j < d; ++j) {
      const float h = (xr[j] - mean) * s;
      hr[j] = h;
      yr[j] = h * gamma[j] + beta[j];
    }
  }
}

// LayerNorm backward, one row at a time: g and the row's two means, then dx,
// and dy·x̂ and dy added to the column sums (double).
EQUISSL_CLONES void LayerNormGradRows(const float* __restrict dy, const float* __restrict xhat, const float* __restrict rstd,
                                      const float* __restrict gamma, float* __restrict dx, double* __restrict dgamma,
                                      double* __restrict dbeta, int64_t rows, int64_t d) {
  const float n = static_cast<float>(d);
  for (int64_t r = 0; r < rows; ++r) {
    const float* gr = dy + r * d;
    const float* hr = xhat + r * d;
    float* dr = dx + r * d;
    float sg;
    float sgx;
    GradSums(gr, gamma, hr, dr, d, &sg, &sgx);  // g in dx's row for now
    const float mg = sg / n;
    const float mgx = sgx / n;
    const float s = rstd[r];
    for (int64_t j = 0; j < d; ++j) {
      dr[j] = s * ((dr[j] - mg) - hr[j] * mgx);
      dgamma[j] += static_cast<double>(gr[j] * hr[j]);
      dbeta[j] += static_cast<double>(gr[j]);
    }
  }
}

// ---------------------------------------------------------------- N-API

using napi_heap::HeapArgs;
using napi_heap::Method;

// A call's arguments: the heap (argument 0), then numbers.
struct Args {
  HeapArgs call;
  double num[HeapArgs::kMax] = {};
};

// Reads `count` arguments (the heap and count - 1 numbers); throws a
// TypeError naming `fn` and returns false otherwise.
bool ReadArgs(napi_env env, napi_callback_info info, const char* fn, size_t count, Args* out) {
  if (!napi_heap::ReadHeapArgs(env, info, fn, count, &out->call)) return false;
  for (size_t i = 1; i < count; ++i) {
    if (napi_get_value_double(env, out->call.argv[i], &out->num[i - 1]) != napi_ok) {
      napi_heap::ThrowType(env, fn, "offsets, sizes and eps must be numbers");
      return false;
    }
  }
  return true;
}

// The largest offset or size taken: the wasm heap is at most 4 GiB.
constexpr int64_t kMaxCount = int64_t{1} << 32;

// A non-negative integer argument (offsets can exceed 2^31 on a 4 GB heap).
bool Count(double v, int64_t* out) { return napi_heap::Whole(v, 0, static_cast<double>(kMaxCount), out); }

// rows·d, unless it exceeds kMaxCount.
bool Product(int64_t rows, int64_t d, int64_t* out) {
  if (d != 0 && rows > kMaxCount / d) return false;
  *out = rows * d;
  return true;
}

// The `count` floats at byte offset `v`, checked to lie inside the heap and be 4-byte aligned.
template <typename T>
bool Floats(const Args& a, double v, int64_t count, T** out) {
  int64_t offset;
  if (!Count(v, &offset) || !napi_heap::Inside(offset, count, a.call.bytes)) return false;
  *out = a.call.At<T>(offset);
  return true;
}

napi_value RangeError(napi_env env, const char* fn) {
  napi_heap::ThrowRange(env, fn, "a size is not a non-negative integer, or an operand lies outside the heap");
  return nullptr;
}

// exp / erf / gelu: (heap, x, y, n).
template <void (*Loop)(const float*, float*, int64_t)>
napi_value Unary(napi_env env, napi_callback_info info, const char* fn) {
  Args a;
  if (!ReadArgs(env, info, fn, 4, &a)) return nullptr;
  int64_t n;
  const float* x;
  float* y;
  if (!Count(a.num[2], &n) || !Floats(a, a.num[0], n, &x) || !Floats(a, a.num[1], n, &y)) return RangeError(env, fn);
  Loop(x, y, n);
  return nullptr;
}

napi_value Exp(napi_env env, napi_callback_info info) { return Unary<ExpLoop>(env, info, "exp"); }
napi_value Erf(napi_env env, napi_callback_info info) { return Unary<ErfLoop>(env, info, "erf"); }
napi_value Gelu(napi_env env, napi_callback_info info) { return Unary<GeluLoop>(env, info, "gelu"); }

napi_value GeluGrad(napi_env env, napi_callback_info info) {
  Args a;
  if (!ReadArgs(env, info, "geluGrad", 5, &a)) return nullptr;
  int64_t n;
  const float* dy;
  const float* x;
  float* dx;
  if (!Count(a.num[3], &n) || !Floats(a, a.num[0], n, &dy) || !Floats(a, a.num[1], n, &x) || !Floats(a, a.num[2], n, &dx))
    return RangeError(env, "geluGrad");
  GeluGradLoop(dy, x, dx, n);
  return nullptr;
}

napi_value LayerNorm(napi_env env, napi_callback_info info) {
  Args a;
  if (!ReadArgs(env, info, "layerNorm", 10, &a)) return nullptr;
  int64_t rows, d, n;
  const float *x, *gamma, *beta;
  float *y, *xhat, *rstd;
  if (!Count(a.num[6], &rows) || !Count(a.num[7], &d) || !Product(rows, d, &n) || !Floats(a, a.num[0], n, &x) || !Floats(a, a.num[1], d, &gamma) ||
      !Floats(a, a.num[2], d, &beta) || !Floats(a, a.num[3], n, &y) || !Floats(a, a.num[4], n, &xhat) ||
      !Floats(a, a.num[5], rows, &rstd))
    return RangeError(env, "layerNorm");
  if (rows > 0 && d > 0) LayerNormRows(x, gamma, beta, y, xhat, rstd, rows, d, static_cast<float>(a.num[8]));
  return nullptr;
}

napi_value LayerNormGrad(napi_env env, napi_callback_info info) {
  Args a;
  if (!ReadArgs(env, info, "layerNormGrad", 10, &a)) return nullptr;
  int64_t rows, d, n;
  const float *dy, *xhat, *rstd, *gamma;
  float *dx, *dgamma, *dbeta;
  if (!Count(a.num[7], &rows) || !Count(a.num[8], &d) || !Product(rows, d, &n) || !Floats(a, a.num[0], n, &dy) || !Floats(a, a.num[1], n, &xhat) ||
      !Floats(a, a.num[2], rows, &rstd) || !Floats(a, a.num[3], d, &gamma) || !Floats(a, a.num[4], n, &dx) ||
      !Floats(a, a.num[5], d, &dgamma) || !Floats(a, a.num[6], d, &dbeta))
    return RangeError(env, "layerNormGrad");
  std::vector<double> sums(2 * static_cast<size_t>(d), 0.0);
  if (rows > 0 && d > 0) LayerNormGradRows(dy, xhat, rstd, gamma, dx, sums.data(), sums.data() + d, rows, d);
  for (int64_t j = 0; j < d; ++j) {
    dgamma[j] = static_cast<float>(sums[j]);
    dbeta[j] = static_cast<float>(sums[d + j]);
  }
  return nullptr;
}

}  // namespace

#pragma GCC pop_options

napi_value InitElementwise(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {Method("exp", Exp),           Method("erf", Erf),             Method("gelu", Gelu),
                                            Method("geluGrad", GeluGrad), Method("layerNorm", LayerNorm), Method("layerNormGrad", LayerNormGrad)};
  EQUISSL_NAPI_CALL(env, napi_heap::DefineMethods(env, exports, props));
  return exports;
}
