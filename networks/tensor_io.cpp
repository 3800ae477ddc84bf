// LibTorch tensors and modules <-> safetensors content.
#include "networks/tensor_io.h"

#include <cstring>

#include "model/entropy_model.h"

namespace facet {

TensorData to_tensor_data(const torch::Tensor& t, TensorDtype dtype) {
  const bool half = dtype == TensorDtype::kF16;  // otherwise F32
  auto c = t.detach().to(torch::kCPU, half ? torch::kFloat16 : torch::kFloat32).contiguous();
  TensorData d;
  d.dtype = half ? TensorDtype::kF16 : TensorDtype::kF32;
  d.shape.assign(c.sizes().begin(), c.sizes().end());
  d.data.resize(size_t(c.numel()) * c.element_size());
  std::memcpy(d.data.data(), c.data_ptr(), d.data.size());
  return d;
}

StatusOr<torch::Tensor> from_tensor_data(const TensorData& d) {
  FACET_ASSIGN_OR_RETURN(std::vector<float> values, tensor_as_floats(d));
  auto out = torch::empty(d.shape, torch::kFloat32);
  if (!values.empty()) std::memcpy(out.data_ptr<float>(), values.data(), values.size() * 4);
  return out;
}

TensorFile module_parameters_to_tensor_file(torch::nn::Module& module) {
  TensorFile file;
  for (const auto& item : module.named_parameters()) file.tensors[item.key()] = to_tensor_data(item.value());
  return file;
}

Status load_module_parameters(const TensorFile& file, torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& item : module.named_parameters()) {
    auto it = file.tensors.find(item.key());
    FACET_RETURN_ERROR_IF(it == file.tensors.end(), kCorrupt, "weights file lacks parameter '" + item.key() + "'");
    FACET_ASSIGN_OR_RETURN(torch::Tensor t, from_tensor_data(it->second));
    FACET_RETURN_ERROR_IF(!t.sizes().equals(item.value().sizes()), kCorrupt,
                          "parameter '" + item.key() + "' has the wrong shape");
    item.value().copy_(t);
  }
  return ok_status();
}

}  // namespace facet
