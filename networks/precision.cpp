// bf16 autocast scopes and the CPU's bf16 capability.
#include "networks/precision.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>


namespace facet {

TransformPrecision resolve_precision(TransformPrecision requested, const torch::Device& device) {
  if (requested != TransformPrecision::kAuto) return requested;
  if (device.is_cuda()) return TransformPrecision::kBf16;
  return resolve_cpu_precision(requested);
}

namespace {

// LibTorch 2.4 replaced the CPU/CUDA-specific autocast calls by ones that take the device type (the
// old ones are deprecated there); 1.13 (Debian) has only the old ones.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
at::DeviceType autocast_device(bool cuda) { return cuda ? at::kCUDA : at::kCPU; }
bool autocast_enabled(bool cuda) { return at::autocast::is_autocast_enabled(autocast_device(cuda)); }
void set_autocast_enabled(bool cuda, bool on) { at::autocast::set_autocast_enabled(autocast_device(cuda), on); }
at::ScalarType autocast_dtype(bool cuda) { return at::autocast::get_autocast_dtype(autocast_device(cuda)); }
void set_autocast_dtype(bool cuda, at::ScalarType t) { at::autocast::set_autocast_dtype(autocast_device(cuda), t); }
#else
bool autocast_enabled(bool cuda) { return cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled(); }
void set_autocast_enabled(bool cuda, bool on) {
  if (cuda) at::autocast::set_enabled(on);
  else at::autocast::set_cpu_enabled(on);
}
at::ScalarType autocast_dtype(bool cuda) {
  return cuda ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
}
void set_autocast_dtype(bool cuda, at::ScalarType t) {
  if (cuda) at::autocast::set_autocast_gpu_dtype(t);
  else at::autocast::set_autocast_cpu_dtype(t);
}
#endif

}  // namespace

Bf16Autocast::Bf16Autocast(bool enable, const torch::Device& device) : cuda_(device.is_cuda()) {
  previous_ = autocast_enabled(cuda_);
  previous_dtype_ = autocast_dtype(cuda_);
  set_autocast_dtype(cuda_, at::kBFloat16);
  set_autocast_enabled(cuda_, enable);
  if (enable) at::autocast::increment_nesting();
  enabled_here_ = enable;
}

Bf16Autocast::~Bf16Autocast() {
  if (enabled_here_ && at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_autocast_enabled(cuda_, previous_);
  set_autocast_dtype(cuda_, previous_dtype_);
}

NoAutocast::NoAutocast() : cpu_(autocast_enabled(false)), cuda_(autocast_enabled(true)) {
  set_autocast_enabled(false, false);
  set_autocast_enabled(true, false);
}

NoAutocast::~NoAutocast() {
  set_autocast_enabled(false, cpu_);
  set_autocast_enabled(true, cuda_);
}

namespace {
void set_layout(torch::nn::Module& module, torch::MemoryFormat format) {
  torch::NoGradGuard no_grad;
  for (auto& p : module.parameters())
    if (p.dim() == 4) p.set_data(p.data().contiguous(format));
}
}  // namespace

void to_channels_last(torch::nn::Module& module) { set_layout(module, torch::MemoryFormat::ChannelsLast); }
void to_contiguous(torch::nn::Module& module) { set_layout(module, torch::MemoryFormat::Contiguous); }

}  // namespace facet
