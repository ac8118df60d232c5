{
  "targets": [
    {
      "target_name": "kdmarl_native",
      "sources": ["src/kernels.c", "src/binding.c"],
      "cflags": ["-O3", "-march=native", "-std=c11", "-Wall"],
      "cflags!": ["-O2"],
      "libraries": ["-ldl", "-lm"],
      "defines": ["_GNU_SOURCE"]
    }
  ]
}
