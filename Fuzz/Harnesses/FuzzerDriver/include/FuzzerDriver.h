// libFuzzer's driver entry point (compiler-rt, linked by -sanitize=fuzzer). SwiftPM gives every
// executable target its own `main`, which would shadow libFuzzer's; each harness's main.swift
// therefore hands control to this driver itself.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
