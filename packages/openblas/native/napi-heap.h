// equissl_openblas: the Node-API plumbing that the addon's files share
// (addon.cc, attention.cc, elementwise.cc, conv.cc).
//
// Every exported function takes a Uint8Array over the wasm heap as argument 0
// and numbers after it (sizes, byte offsets into the heap, scalars). These
// helpers read and check them before any pointer is formed, and throw the
// JavaScript error that says what is wrong, named after the function
// ("<fn>: …"); a function that gets false back returns nullptr at once.
#ifndef EQUISSL_OPENBLAS_NAPI_HEAP_H_
#define EQUISSL_OPENBLAS_NAPI_HEAP_H_

#include <node_api.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>

// In a napi_callback (or an init function): when the Node-API call `expr`
// fails, throw "N-API call failed" and return nullptr.
#define EQUISSL_NAPI_CALL(env, expr)                         \
  do {                                                       \
    if ((expr) != napi_ok) {                                 \
      napi_throw_error((env), nullptr, "N-API call failed"); \
      return nullptr;                                        \
    }                                                        \
  } while (0)

namespace napi_heap {

// "<fn>: <what>" as a TypeError.
inline void ThrowType(napi_env env, const char* fn, const char* what) { napi_throw_type_error(env, nullptr, (std::string(fn) + ": " + what).c_str()); }

// "<fn>: <what>" as a RangeError.
inline void ThrowRange(napi_env env, const char* fn, const char* what) { napi_throw_range_error(env, nullptr, (std::string(fn) + ": " + what).c_str()); }

// The largest double below 2^63: every whole double in [-2^63, kMaxWhole]
// converts to int64_t exactly.
constexpr double kMaxWhole = 9223372036854774784.0;

// Whether d is a whole number in [lo, hi] (NaN is not); if so, it goes to *out.
inline bool Whole(double d, double lo, double hi, int64_t* out) {
  if (!(d >= lo) || d > hi || d != std::floor(d)) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

// Integer arguments argv[0 … n) in [lo, hi] into out[0 … n); false (nothing
// thrown) when one is not. Read as doubles, since offsets can exceed 2^31 on
// a 4 GB heap; by default any integer from -1 (an absent optional operand).
inline bool Ints(napi_env env, const napi_value* argv, size_t n, int64_t* out, double lo = -1, double hi = kMaxWhole) {
  for (size_t i = 0; i < n; ++i) {
    double d;
    if (napi_get_value_double(env, argv[i], &d) != napi_ok || !Whole(d, lo, hi, &out[i])) return false;
  }
  return true;
}

// Whether `batch` runs of `floats` floats, `stride` floats apart from byte
// `offset` (one run by default), lie inside a heap of `bytes` bytes and are
// 4-byte aligned.
inline bool Inside(int64_t offset, int64_t floats, size_t bytes, int64_t batch = 1, int64_t stride = 0) {
  if (offset < 0 || offset % 4 != 0 || stride < 0) return false;
  return offset + 4 * ((batch - 1) * stride + floats) <= static_cast<int64_t>(bytes);
}

// One operand of a call: its size in floats; an optional one may be absent
// (a negative offset).
struct Operand {
  int64_t floats;
  bool optional = false;
};

// Whether each operand, at byte offsets[i], lies inside a heap of `bytes`
// bytes; throws "<fn>: an operand lies outside the heap" when one does not.
inline bool CheckOperands(napi_env env, const char* fn, const int64_t* offsets, size_t bytes, std::initializer_list<Operand> operands) {
  size_t i = 0;
  for (const Operand& o : operands) {
    const int64_t offset = offsets[i++];
    if ((o.optional && offset < 0) || Inside(offset, o.floats, bytes)) continue;
    ThrowRange(env, fn, "an operand lies outside the heap");
    return false;
  }
  return true;
}

// A call's arguments: the heap (argument 0: a typed array over the wasm
// memory, taken at each call, since growing the memory replaces its buffer)
// and all of them as given (argv[1 …]: the numbers).
struct HeapArgs {
  static constexpr size_t kMax = 17;  // the most any function takes (gemm)
  napi_value argv[kMax];
  uint8_t* heap = nullptr;
  size_t bytes = 0;
  // The T at byte `offset` (checked by the caller), or nullptr for a negative offset.
  template <typename T = float>
  T* At(int64_t offset) const {
    return offset < 0 ? nullptr : reinterpret_cast<T*>(heap + offset);
  }
};

// Reads a call of exactly `count` arguments into *args; throws and returns
// false otherwise: a TypeError `arity` (by default "<fn>: wrong number of
// arguments") for another count, "<fn>: the heap must be a Uint8Array
// (HEAPU8)" when argument 0 is not one.
inline bool ReadHeapArgs(napi_env env, napi_callback_info info, const char* fn, size_t count, HeapArgs* args, const char* arity = nullptr) {
  size_t argc = HeapArgs::kMax;
  if (napi_get_cb_info(env, info, &argc, args->argv, nullptr, nullptr) != napi_ok) {
    napi_throw_error(env, nullptr, "N-API call failed");
    return false;
  }
  if (argc != count || count > HeapArgs::kMax) {
    if (arity != nullptr) {
      napi_throw_type_error(env, nullptr, arity);
    } else {
      ThrowType(env, fn, "wrong number of arguments");
    }
    return false;
  }
  napi_typedarray_type type;
  size_t length;
  void* data;
  if (napi_get_typedarray_info(env, args->argv[0], &type, &length, &data, nullptr, nullptr) != napi_ok || type != napi_uint8_array) {
    ThrowType(env, fn, "the heap must be a Uint8Array (HEAPU8)");
    return false;
  }
  args->heap = static_cast<uint8_t*>(data);
  args->bytes = length;
  return true;
}

// An enumerable method `name` of the exports.
inline napi_property_descriptor Method(const char* name, napi_callback fn) { return {name, nullptr, fn, nullptr, nullptr, nullptr, napi_enumerable, nullptr}; }

// Defines the methods `props` on `exports`.
template <size_t N>
napi_status DefineMethods(napi_env env, napi_value exports, const napi_property_descriptor (&props)[N]) {
  return napi_define_properties(env, exports, N, props);
}

}  // namespace napi_heap

#endif  // EQUISSL_OPENBLAS_NAPI_HEAP_H_
