// The arithmetic of the transforms (fp32, or bf16 where the CPU runs it fast), shared by the
// oneDNN engine (engine/) and the LibTorch networks (networks/).
#pragma once

#include <string>

namespace facet {

enum class TransformPrecision {
  kAuto,  // bf16 where the device runs it fast (a CPU with avx512_bf16 or amx_bf16, any CUDA GPU)
  kFp32,  // the reference path
  kBf16,  // bf16 convolutions; the hyperprior, likelihoods and the loss stay fp32
};

// The bf16-related flags of this CPU from /proc/cpuinfo ("avx512_bf16 amx_bf16 ..."), or "" when
// it has none (or the file cannot be read).
std::string cpu_bf16_flags();

// kAuto resolved for this CPU: kBf16 when its flags name avx512_bf16 or amx_bf16, else kFp32.
TransformPrecision resolve_cpu_precision(TransformPrecision requested);

}  // namespace facet
