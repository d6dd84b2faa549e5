// equissl_openblas: attention kernels on float32 tensors in the WebAssembly heap
// (see addon.cc for the heap and offset conventions).
#include <node_api.h>

napi_value InitAttention(napi_env env, napi_value exports) {
  (void)env;
  return exports;
}
