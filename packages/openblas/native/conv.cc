// equissl_openblas: conv kernels on float32 tensors in the WebAssembly heap
// (see addon.cc for the heap and offset conventions).
//
// The 3x3, stride-1, 'same' convolution of @equissl/nn's conv3x3 (NHWC, a
// [3, 3, Cin, Cout] filter, zero padding of one pixel on every side) as
// im2col + cblas_sgemm. im2col lays the nine shifted neighbours of a pixel
// side by side, (kh, kw, c) order, so that a run of pixels becomes a
// [rows, 9*C] matrix whose product with the filter viewed as [9*Cin, Cout] is
// the convolution. The columns are built a chunk of pixels at a time in a
// scratch buffer of this thread (reused), never for the whole batch: the
// chunk stays in cache between im2col and the product, and a batch of 64
// images at 32x32 would need 75 MB at once.
//
// Exports (n, h, w: batch and image size; cin, cout: channels; the others
// byte offsets into heap, a Uint8Array over the wasm memory):
//   conv3x3(heap, n, h, w, cin, cout, x, filter, bias, y)
//     y = conv(x, filter) + bias; bias < 0: none.
//   conv3x3BackpropInput(heap, n, h, w, cin, cout, dy, filter, dx)
//     dx = im2col(dy) . flip(filter): the 'same' convolution of dy with the
//     filter flipped in space, its channels swapped ([3, 3, Cout, Cin]).
//   conv3x3BackpropFilter(heap, n, h, w, cin, cout, x, dy, dw, db)
//     dw = im2col(x)^T . dy ([9*Cin, Cout], i.e. [3, 3, Cin, Cout]), one
//     transposed-operand product per chunk accumulated in place; db = the
//     column sums of dy (summed in double); db < 0: none.
//
// And the nearest-neighbour x2 upsampling between the decoders' convolutions
// (NHWC; h, w: the small size), whose wasm gradient (a reshape and a Sum
// over two inner axes) cost more than the upsampling itself:
//   upsample2x(heap, n, h, w, c, x, y)      y[b, 2i+a, 2j+e] = x[b, i, j]
//   upsample2xGrad(heap, n, h, w, c, dy, dx) dx[b, i, j] = sum over a, e of dy[b, 2i+a, 2j+e]
#include <cblas.h>
#include <node_api.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "napi-heap.h"

namespace {

// Floats of im2col columns built at a time (64 KB: the columns stay in the
// core's L2 cache for the product; 4 MB chunks, or one im2col for the whole
// batch, ran 1.2-2x slower at the decoders' shapes): at least one pixel's row.
constexpr int64_t kChunkFloats = int64_t{1} << 14;

// The sizes of a call (the upsamplings: n, h, w, c in n, h, w, cin; cout 1).
struct Shape {
  int64_t n, h, w, cin, cout;
  int64_t pixels() const { return n * h * w; }
};

// The scratch memory of this thread (worker threads each have their own).
std::vector<float>& Scratch(size_t floats) {
  thread_local std::vector<float> buffer;
  if (buffer.size() < floats) buffer.resize(floats);
  return buffer;
}

// Rows of im2col per chunk for c channels.
int64_t ChunkRows(int64_t c, int64_t pixels) { return std::min(pixels, std::max<int64_t>(1, kChunkFloats / (9 * c))); }

// The im2col rows of pixels [r0, r1) of src ([n, h, w, c]) into col
// ([r1 - r0, 9*c], (kh, kw, c) order), zeros where a neighbour is padding.
void Im2col(const float* src, const Shape& s, int64_t c, int64_t r0, int64_t r1, float* col) {
  const size_t bytes = sizeof(float) * c;
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t j = r % s.w;
    const int64_t i = (r / s.w) % s.h;
    const int64_t b = r / (s.w * s.h);
    float* out = col + (r - r0) * 9 * c;
    for (int64_t kh = 0; kh < 3; ++kh) {
      const int64_t y = i + kh - 1;
      for (int64_t kw = 0; kw < 3; ++kw, out += c) {
        const int64_t x = j + kw - 1;
        if (y < 0 || y >= s.h || x < 0 || x >= s.w) {
          std::memset(out, 0, bytes);
        } else {
          std::memcpy(out, src + ((b * s.h + y) * s.w + x) * c, bytes);
        }
      }
    }
  }
}

// The filter [3, 3, cin, cout] flipped in space with its channels swapped:
// flipped[kh][kw][co][ci] = filter[2 - kh][2 - kw][ci][co].
void FlipFilter(const float* filter, int64_t cin, int64_t cout, float* flipped) {
  for (int64_t k = 0; k < 9; ++k) {
    const float* from = filter + (8 - k) * cin * cout;
    float* to = flipped + k * cout * cin;
    for (int64_t ci = 0; ci < cin; ++ci)
      for (int64_t co = 0; co < cout; ++co) to[co * cin + ci] = from[ci * cout + co];
  }
}

// out ([pixels, cout]) = conv(src ([pixels, c]), filter ([9*c, cout])) + bias.
void Convolve(const float* src, const Shape& s, int64_t c, const float* filter, int64_t cout, const float* bias, float* out) {
  const int64_t pixels = s.pixels();
  const int64_t rows = ChunkRows(c, pixels);
  float* col = Scratch(static_cast<size_t>(rows * 9 * c)).data();
  for (int64_t r0 = 0; r0 < pixels; r0 += rows) {
    const int64_t r1 = std::min(pixels, r0 + rows);
    float* o = out + r0 * cout;
    if (bias != nullptr) {
      for (int64_t r = r0; r < r1; ++r) std::memcpy(o + (r - r0) * cout, bias, sizeof(float) * cout);
    }
    Im2col(src, s, c, r0, r1, col);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(r1 - r0), static_cast<int>(cout), static_cast<int>(9 * c), 1.0f, col,
                static_cast<int>(9 * c), filter, static_cast<int>(cout), bias != nullptr ? 1.0f : 0.0f, o, static_cast<int>(cout));
  }
}

// dw ([9*cin, cout]) = im2col(x)^T . dy, accumulated over chunks of pixels.
void FilterGradient(const float* x, const float* dy, const Shape& s, float* dw) {
  const int64_t pixels = s.pixels();
  const int64_t rows = ChunkRows(s.cin, pixels);
  float* col = Scratch(static_cast<size_t>(rows * 9 * s.cin)).data();
  for (int64_t r0 = 0; r0 < pixels; r0 += rows) {
    const int64_t r1 = std::min(pixels, r0 + rows);
    Im2col(x, s, s.cin, r0, r1, col);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(9 * s.cin), static_cast<int>(s.cout), static_cast<int>(r1 - r0), 1.0f, col,
                static_cast<int>(9 * s.cin), dy + r0 * s.cout, static_cast<int>(s.cout), r0 == 0 ? 0.0f : 1.0f, dw, static_cast<int>(s.cout));
  }
}

// db ([cout]) = the column sums of dy ([pixels, cout]), summed in double.
void BiasGradient(const float* dy, const Shape& s, float* db) {
  std::vector<double> sums(static_cast<size_t>(s.cout), 0.0);
  const int64_t pixels = s.pixels();
  for (int64_t r = 0; r < pixels; ++r) {
    const float* row = dy + r * s.cout;
    for (int64_t c = 0; c < s.cout; ++c) sums[c] += row[c];
  }
  for (int64_t c = 0; c < s.cout; ++c) db[c] = static_cast<float>(sums[c]);
}

// y ([n, 2h, 2w, c]) = x ([n, h, w, c]) with every pixel repeated in a 2x2 block.
void Upsample2x(const float* x, int64_t rows, int64_t w, int64_t c, float* y) {
  const size_t bytes = sizeof(float) * c;
  for (int64_t r = 0; r < rows; ++r) {
    float* out = y + r * 4 * w * c;
    for (int64_t j = 0; j < w; ++j) {
      const float* in = x + (r * w + j) * c;
      std::memcpy(out + 2 * j * c, in, bytes);
      std::memcpy(out + (2 * j + 1) * c, in, bytes);
    }
    std::memcpy(out + 2 * w * c, out, 2 * w * bytes);  // the second output row repeats the first
  }
}

// dx ([n, h, w, c]) = the sums of the 2x2 blocks of dy ([n, 2h, 2w, c]).
void Upsample2xGrad(const float* dy, int64_t rows, int64_t w, int64_t c, float* dx) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* top = dy + r * 4 * w * c;
    const float* bottom = top + 2 * w * c;
    for (int64_t j = 0; j < w; ++j) {
      float* out = dx + (r * w + j) * c;
      const float* t = top + 2 * j * c;
      const float* b = bottom + 2 * j * c;
      for (int64_t k = 0; k < c; ++k) out[k] = (t[k] + t[c + k]) + (b[k] + b[c + k]);
    }
  }
}

// ---- Node-API glue ----

using napi_heap::HeapArgs;
using napi_heap::Method;

// What a call reads from its arguments: the heap, the shape, the offsets.
struct Call {
  HeapArgs args;
  Shape shape{};
  int64_t offsets[4] = {-1, -1, -1, -1};
  float* at(int i) const { return args.At(offsets[i]); }
};

// Reads heap, `sizes` sizes (n, h, w, cin[, cout]) and `count` offsets; throws and returns false on bad arguments.
bool ReadCall(napi_env env, napi_callback_info info, const char* name, int sizes, size_t count, Call* call) {
  if (!napi_heap::ReadHeapArgs(env, info, name, 1 + sizes + count, &call->args)) return false;
  const napi_value* argv = call->args.argv;
  int64_t dims[5] = {1, 1, 1, 1, 1};
  if (!napi_heap::Ints(env, argv + 1, sizes, dims, 1, INT32_MAX)) {
    napi_heap::ThrowRange(env, name, "sizes must be positive integers");
    return false;
  }
  call->shape = Shape{dims[0], dims[1], dims[2], dims[3], dims[4]};
  // every operand must fit a 4 GB heap (so no product of sizes overflows), 9 x channels an int (BLAS sizes)
  const double floats = static_cast<double>(dims[0]) * dims[1] * dims[2] * std::max(dims[3], dims[4]);
  const double filter = 9.0 * dims[3] * dims[4];
  if (std::max(floats, filter) > static_cast<double>(int64_t{1} << 32) || 9 * std::max(dims[3], dims[4]) > INT32_MAX) {
    napi_heap::ThrowRange(env, name, "sizes larger than the heap");
    return false;
  }
  if (!napi_heap::Ints(env, argv + 1 + sizes, count, call->offsets)) {
    napi_heap::ThrowType(env, name, "offsets must be integers");
    return false;
  }
  return true;
}

// Checks that each operand (floats per offset; optional: may be absent, offset -1) lies inside the heap.
bool CheckOperands(napi_env env, const char* name, const Call& call, std::initializer_list<napi_heap::Operand> sizes) {
  return napi_heap::CheckOperands(env, name, call.offsets, call.args.bytes, sizes);
}

napi_value Conv3x3(napi_env env, napi_callback_info info) {
  Call call;
  if (!ReadCall(env, info, "conv3x3", 5, 4, &call)) return nullptr;
  const Shape& s = call.shape;
  if (!CheckOperands(env, "conv3x3", call, {{s.pixels() * s.cin, false}, {9 * s.cin * s.cout, false}, {s.cout, true}, {s.pixels() * s.cout, false}})) return nullptr;
  Convolve(call.at(0), s, s.cin, call.at(1), s.cout, call.at(2), call.at(3));
  return nullptr;
}

napi_value Conv3x3BackpropInput(napi_env env, napi_callback_info info) {
  Call call;
  if (!ReadCall(env, info, "conv3x3BackpropInput", 5, 3, &call)) return nullptr;
  const Shape& s = call.shape;
  if (!CheckOperands(env, "conv3x3BackpropInput", call, {{s.pixels() * s.cout, false}, {9 * s.cin * s.cout, false}, {s.pixels() * s.cin, false}})) return nullptr;
  std::vector<float> flipped(static_cast<size_t>(9 * s.cin * s.cout));
  FlipFilter(call.at(1), s.cin, s.cout, flipped.data());
  Convolve(call.at(0), s, s.cout, flipped.data(), s.cin, nullptr, call.at(2));
  return nullptr;
}

napi_value Conv3x3BackpropFilter(napi_env env, napi_callback_info info) {
  Call call;
  if (!ReadCall(env, info, "conv3x3BackpropFilter", 5, 4, &call)) return nullptr;
  const Shape& s = call.shape;
  if (!CheckOperands(env, "conv3x3BackpropFilter", call, {{s.pixels() * s.cin, false}, {s.pixels() * s.cout, false}, {9 * s.cin * s.cout, false}, {s.cout, true}}))
    return nullptr;
  FilterGradient(call.at(0), call.at(1), s, call.at(2));
  if (call.at(3) != nullptr) BiasGradient(call.at(1), s, call.at(3));
  return nullptr;
}

napi_value Upsample(napi_env env, napi_callback_info info, const char* name, bool grad) {
  Call call;
  if (!ReadCall(env, info, name, 4, 2, &call)) return nullptr;
  const Shape& s = call.shape;  // n, h, w, c: the small size
  const int64_t small = s.pixels() * s.cin;
  if (!CheckOperands(env, name, call, {{grad ? 4 * small : small, false}, {grad ? small : 4 * small, false}})) return nullptr;
  (grad ? Upsample2xGrad : Upsample2x)(call.at(0), s.n * s.h, s.w, s.cin, call.at(1));
  return nullptr;
}

napi_value Upsample2xCall(napi_env env, napi_callback_info info) { return Upsample(env, info, "upsample2x", false); }

napi_value Upsample2xGradCall(napi_env env, napi_callback_info info) { return Upsample(env, info, "upsample2xGrad", true); }

}  // namespace

napi_value InitConv(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {Method("conv3x3", Conv3x3), Method("conv3x3BackpropInput", Conv3x3BackpropInput),
                                            Method("conv3x3BackpropFilter", Conv3x3BackpropFilter), Method("upsample2x", Upsample2xCall),
                                            Method("upsample2xGrad", Upsample2xGradCall)};
  if (napi_heap::DefineMethods(env, exports, props) != napi_ok) {
    napi_throw_error(env, nullptr, "conv: N-API call failed");
    return nullptr;
  }
  return exports;
}
