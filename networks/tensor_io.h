// LibTorch tensors and modules <-> safetensors content (formats/safetensors.h).
#pragma once

#include <torch/torch.h>

#include "common/status.h"
#include "formats/safetensors.h"

namespace facet {

// Tensor <-> TensorData (F32 or F16 out; F32/BF16/F16 in).
TensorData to_tensor_data(const torch::Tensor& t, TensorDtype dtype = TensorDtype::kF32);
StatusOr<torch::Tensor> from_tensor_data(const TensorData& d);

// Every named parameter as F32.
TensorFile module_parameters_to_tensor_file(torch::nn::Module& module);

// Copies every named parameter of `module` from `file` (F32, BF16 or F16); checks names and shapes.
Status load_module_parameters(const TensorFile& file, torch::nn::Module& module);

}  // namespace facet
