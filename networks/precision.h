// The arithmetic of the transforms: bf16 autocast where the hardware runs it fast (CPU flags
// avx512_bf16 / amx_bf16, CUDA), with fp32 islands for what must stay exact enough.
#pragma once

#include <string>
#include <torch/torch.h>

#include "common/precision.h"

namespace facet {

// kAuto resolved for `device`: kBf16 on CUDA and on CPUs whose flags name avx512_bf16 or amx_bf16.
TransformPrecision resolve_precision(TransformPrecision requested, const torch::Device& device);

// Enables autocast to bf16 on `device` for its lifetime when `enable` (else leaves autocast off),
// and restores the previous state after, clearing autocast's cache of cast weights.
class Bf16Autocast {
 public:
  Bf16Autocast(bool enable, const torch::Device& device);
  ~Bf16Autocast();
  Bf16Autocast(const Bf16Autocast&) = delete;
  Bf16Autocast& operator=(const Bf16Autocast&) = delete;

 private:
  bool cuda_;
  bool previous_;
  bool enabled_here_ = false;
  at::ScalarType previous_dtype_;
};

// Disables autocast (both CPU and CUDA) for its lifetime: fp32 islands inside an autocast region.
class NoAutocast {
 public:
  NoAutocast();
  ~NoAutocast();
  NoAutocast(const NoAutocast&) = delete;
  NoAutocast& operator=(const NoAutocast&) = delete;

 private:
  bool cpu_, cuda_;
};

// Stores every 4-D parameter of `module` channels-last (NHWC), or back in the default layout.
// Values, names and autograd identity are unchanged (the optimizer keeps its references).
void to_channels_last(torch::nn::Module& module);
void to_contiguous(torch::nn::Module& module);

}  // namespace facet
