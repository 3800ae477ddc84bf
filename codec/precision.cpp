// bf16 autocast scopes and the CPU's bf16 capability.
#include "codec/precision.h"

#include <ATen/autocast_mode.h>

#include <fstream>
#include <set>
#include <sstream>

namespace facet {

std::string cpu_bf16_flags() {
  std::ifstream in("/proc/cpuinfo");
  std::set<std::string> found;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line);
    for (std::string w; words >> w;)
      if (w == "avx512_bf16" || w == "amx_bf16" || w == "amx_tile" || w == "avx_ne_convert") found.insert(w);
    break;  // every core lists the same flags
  }
  std::string out;
  for (const auto& f : found) out += (out.empty() ? "" : " ") + f;
  return out;
}

TrainingPrecision resolve_precision(TrainingPrecision requested, const torch::Device& device) {
  if (requested != TrainingPrecision::kAuto) return requested;
  if (device.is_cuda()) return TrainingPrecision::kBf16;
  const std::string flags = cpu_bf16_flags();
  const bool fast = flags.find("avx512_bf16") != std::string::npos || flags.find("amx_bf16") != std::string::npos;
  return fast ? TrainingPrecision::kBf16 : TrainingPrecision::kFp32;
}

Bf16Autocast::Bf16Autocast(bool enable, const torch::Device& device) : cuda_(device.is_cuda()) {
  previous_ = cuda_ ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
  previous_dtype_ = cuda_ ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
  if (cuda_) {
    at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
    at::autocast::set_enabled(enable);
  } else {
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::set_cpu_enabled(enable);
  }
  if (enable) at::autocast::increment_nesting();
  enabled_here_ = enable;
}

Bf16Autocast::~Bf16Autocast() {
  if (enabled_here_ && at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  if (cuda_) {
    at::autocast::set_enabled(previous_);
    at::autocast::set_autocast_gpu_dtype(previous_dtype_);
  } else {
    at::autocast::set_cpu_enabled(previous_);
    at::autocast::set_autocast_cpu_dtype(previous_dtype_);
  }
}

NoAutocast::NoAutocast() : cpu_(at::autocast::is_cpu_enabled()), cuda_(at::autocast::is_enabled()) {
  at::autocast::set_cpu_enabled(false);
  at::autocast::set_enabled(false);
}

NoAutocast::~NoAutocast() {
  at::autocast::set_cpu_enabled(cpu_);
  at::autocast::set_enabled(cuda_);
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
