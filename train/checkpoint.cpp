// Training checkpoints.
#include "train/checkpoint.h"

#include <cmath>
#include <torch/version.h>

#include "networks/tensor_io.h"
#include "common/file_io.h"

namespace facet {
#if TORCH_VERSION_MAJOR >= 2
void* adam_state_key(const torch::Tensor& p) { return p.unsafeGetTensorImpl(); }
#else
std::string adam_state_key(const torch::Tensor& p) { return c10::guts::to_string(p.unsafeGetTensorImpl()); }
#endif

Status write_tensor_file(const std::string& path, const TensorFile& file) {
  FACET_ASSIGN_OR_RETURN(Bytes bytes, encode_safetensors(file));
  WriteOptions overwrite;
  overwrite.overwrite = true;
  return write_file_atomic(path, bytes, overwrite);
}

Status save_checkpoint(const std::string& path, torch::nn::Module& module, torch::optim::Adam& adam, int64_t step,
                       const std::map<std::string, std::string>& metadata, const TensorFile& extra) {
  TensorFile file = module_parameters_to_tensor_file(module);
  file.metadata = metadata;
  for (const auto& [name, tensor] : extra.tensors) file.tensors[name] = tensor;
  for (const auto& [key, value] : extra.metadata) file.metadata[key] = value;
  for (const auto& item : module.named_parameters()) {
    auto it = adam.state().find(adam_state_key(item.value()));
    if (it == adam.state().end()) continue;
    auto& s = static_cast<torch::optim::AdamParamState&>(*it->second);
    file.tensors["adam.m." + item.key()] = to_tensor_data(s.exp_avg());
    file.tensors["adam.v." + item.key()] = to_tensor_data(s.exp_avg_sq());
    file.metadata["adam.step." + item.key()] = std::to_string(s.step());
  }
  file.metadata["train.step"] = std::to_string(step);
  return write_tensor_file(path, file);
}

StatusOr<TensorFile> read_checkpoint(const std::string& path) {
  FACET_ASSIGN_OR_RETURN(Bytes bytes, read_file(path, kMaxWeightsFileBytes));
  return decode_safetensors(bytes.data(), bytes.size());
}

StatusOr<int64_t> load_checkpoint(const std::string& path, torch::nn::Module& module, torch::optim::Adam& adam,
                                  const torch::Device& device) {
  FACET_ASSIGN_OR_RETURN(TensorFile file, read_checkpoint(path));
  return restore_checkpoint(file, module, adam, device);
}

StatusOr<int64_t> restore_checkpoint(const TensorFile& file, torch::nn::Module& module, torch::optim::Adam& adam,
                                     const torch::Device& device) {
  FACET_RETURN_IF_ERROR(load_module_parameters(file, module));
  for (const auto& item : module.named_parameters()) {
    auto m = file.tensors.find("adam.m." + item.key());
    auto v = file.tensors.find("adam.v." + item.key());
    auto s = file.metadata.find("adam.step." + item.key());
    if (m == file.tensors.end() || v == file.tensors.end() || s == file.metadata.end()) continue;
    auto state = std::make_unique<torch::optim::AdamParamState>();
    FACET_ASSIGN_OR_RETURN(torch::Tensor mt, from_tensor_data(m->second));
    FACET_ASSIGN_OR_RETURN(torch::Tensor vt, from_tensor_data(v->second));
    state->exp_avg(mt.to(device));
    state->exp_avg_sq(vt.to(device));
    try {
      state->step(std::stoll(s->second));
    } catch (const std::exception&) {
      return make_error(ErrorCode::kCorrupt, "checkpoint has a bad Adam step for '" + item.key() + "'");
    }
    adam.state()[adam_state_key(item.value())] = std::move(state);
  }
  auto step = file.metadata.find("train.step");
  FACET_RETURN_ERROR_IF(step == file.metadata.end(), kCorrupt, "checkpoint has no train.step");
  try {
    return int64_t(std::stoll(step->second));
  } catch (const std::exception&) {
    return make_error(ErrorCode::kCorrupt, "checkpoint has a bad train.step");
  }
}

double warmup_cosine_learning_rate(double peak, int64_t warmup, double final_fraction, int64_t total, int64_t step) {
  if (step < warmup) return peak * double(step + 1) / double(warmup);
  const double t = double(step - warmup) / double(std::max<int64_t>(1, total - warmup));
  const double cosine = 0.5 * (1.0 + std::cos(M_PI * std::min(t, 1.0)));
  return peak * (final_fraction + (1.0 - final_fraction) * cosine);
}

double warmup_step_learning_rate(double peak, int64_t warmup, double final_fraction, int64_t total, int64_t step) {
  if (step < warmup) return peak * double(step + 1) / double(warmup);
  return step < int64_t(0.8 * double(total)) ? peak : peak * final_fraction;
}

}  // namespace facet
