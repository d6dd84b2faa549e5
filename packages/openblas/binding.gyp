{
  "targets": [
    {
      "target_name": "equissl_openblas",
      "sources": ["native/addon.cc", "native/attention.cc", "native/elementwise.cc", "native/conv.cc"],
      "include_dirs": ["<!@(node scripts/build.mjs --include-dir)"],
      "libraries": ["-lopenblas"],
      "cflags_cc": ["-O3", "-fno-math-errno", "-std=c++17"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
