// The LibTorch transforms on one tile each (LibTorch at one thread while tiles run).
#include "torch_codec/torch_transforms.h"

#include <cstring>

#include "networks/precision.h"
#include "torch_codec/torch_tiles.h"

namespace facet {
namespace {

std::vector<float> values_of(const torch::Tensor& t) {
  if (!t.defined()) return {};
  auto c = t.to(torch::kFloat32).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

void copy_out(const torch::Tensor& t, float* out) {
  auto c = t.to(torch::kFloat32).contiguous();
  std::memcpy(out, c.data_ptr<float>(), sizeof(float) * size_t(c.numel()));
}

}  // namespace

void TorchTransforms::begin_tiles() {
  saved_threads_ = at::get_num_threads();
  at::set_num_threads(1);
}
void TorchTransforms::end_tiles() { at::set_num_threads(saved_threads_); }
void TorchTransforms::enter_worker() { at::init_num_threads(); }

Status TorchTransforms::analysis(const float* x, int h, int w, TransformPrecision precision, float* y) {
  return guard_torch([&]() -> Status {
    torch::NoGradGuard no_grad;
    Bf16Autocast autocast(precision == TransformPrecision::kBf16, torch::kCPU);
    auto in = torch::from_blob(const_cast<float*>(x), {1, 3, h, w}, torch::kFloat32);
    if (precision == TransformPrecision::kBf16) in = in.contiguous(torch::MemoryFormat::ChannelsLast);
    copy_out(net_->analysis(in), y);
    return ok_status();
  });
}

Status TorchTransforms::hyper_analysis(const float* y, int lh, int lw, float* z) {
  return guard_torch([&]() -> Status {
    torch::NoGradGuard no_grad;
    OneLibTorchThread one;  // the same numbers for any thread count
    auto in = torch::from_blob(const_cast<float*>(y), {1, net_->config().m, lh, lw}, torch::kFloat32);
    copy_out(net_->hyper_analysis(in), z);
    return ok_status();
  });
}

Status TorchTransforms::synthesis(const float* y_hat, int lh, int lw, const std::vector<float>& scales,
                                  TransformPrecision precision, float* x) {
  return guard_torch([&]() -> Status {
    torch::NoGradGuard no_grad;
    Bf16Autocast autocast(precision == TransformPrecision::kBf16, torch::kCPU);
    auto in = torch::from_blob(const_cast<float*>(y_hat), {1, net_->config().m, lh, lw}, torch::kFloat32);
    if (precision == TransformPrecision::kBf16) in = in.contiguous(torch::MemoryFormat::ChannelsLast);
    torch::Tensor s;
    if (!scales.empty())
      s = torch::from_blob(const_cast<float*>(scales.data()), {1, 3, net_->config().n}, torch::kFloat32);
    copy_out(net_->synthesis(in, s), x);
    return ok_status();
  });
}

std::vector<float> TorchTransforms::gain(double position) {
  torch::NoGradGuard no_grad;
  return values_of(net_->gain(position));
}
std::vector<float> TorchTransforms::inverse_gain(double position) {
  torch::NoGradGuard no_grad;
  return values_of(net_->inverse_gain(position));
}
std::vector<float> TorchTransforms::synthesis_scales(double position) {
  torch::NoGradGuard no_grad;
  return values_of(net_->synthesis_scales(position));
}

}  // namespace facet
