{
  "targets": [
    {
      "target_name": "equissl_openblas",
      "sources": ["native/addon.cc"],
      "include_dirs": ["<!@(node scripts/build.mjs --include-dir)"],
      "libraries": ["-lopenblas"],
      "cflags_cc": ["-O2", "-std=c++17"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
