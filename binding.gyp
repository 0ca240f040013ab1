{
  "targets": [
    {
      "target_name": "ferry_native",
      "sources": ["native/ferry_native.c"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags_c": ["-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
