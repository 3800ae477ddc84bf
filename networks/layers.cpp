// GDN, sub-pixel upsampling and the factorized density.
#include "networks/layers.h"

#include <cmath>

namespace facet {

namespace {
// 2^-36: small enough that gamma is unchanged for every stored model, large enough that its square
// root (2^-18) keeps the gradient of the square alive.
const double kGammaPedestal = std::ldexp(1.0, -36);

// max(x, bound) whose gradient also reaches an x below the bound when descent would raise it, so
// that a parameter pushed under the bound can come back (a plain clamp's gradient is 0 there).
class LowerBound : public torch::autograd::Function<LowerBound> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, double bound) {
    ctx->save_for_backward({x});
    ctx->saved_data["bound"] = bound;
    return x.clamp_min(bound);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto x = ctx->get_saved_variables()[0];
    const double bound = ctx->saved_data["bound"].toDouble();
    const auto pass = (x >= bound).logical_or(grads[0] < 0);
    return {grads[0] * pass.to(grads[0].scalar_type()), torch::Tensor()};
  }
};
}  // namespace

GdnImpl::GdnImpl(int channels, bool inverse) : inverse_(inverse) {
  beta_param = register_parameter("beta", torch::ones({channels}));
  gamma_param = register_parameter("gamma", torch::sqrt(0.1 * torch::eye(channels) + kGammaPedestal));
}

torch::Tensor GdnImpl::beta() const { return LowerBound::apply(beta_param, 1e-3).square(); }

torch::Tensor GdnImpl::gamma() const {
  return LowerBound::apply(gamma_param, std::sqrt(kGammaPedestal)).square() - kGammaPedestal;
}

torch::Tensor GdnImpl::forward(const torch::Tensor& x) {
  const int64_t c = x.size(1);
  auto norm = torch::nn::functional::conv2d(x.square(), gamma().view({c, c, 1, 1}),
                                            torch::nn::functional::Conv2dFuncOptions().bias(beta()));
  return inverse_ ? x * torch::sqrt(norm) : x * torch::rsqrt(norm);
}

UpsampleImpl::UpsampleImpl(int in, int out) {
  conv = register_module("conv",
                         torch::nn::Conv2d(torch::nn::Conv2dOptions(in, 4 * out, 3).padding(1)));
}

torch::Tensor UpsampleImpl::forward(const torch::Tensor& x) {
  return torch::pixel_shuffle(conv->forward(x), 2);
}

FactorizedDensityImpl::FactorizedDensityImpl(int channels, double init_scale) : channels_(channels) {
  const std::vector<int> widths = {1, 3, 3, 3, 1};
  const double scale = std::pow(init_scale, 1.0 / (widths.size() - 1));
  for (size_t k = 0; k + 1 < widths.size(); ++k) {
    const int in = widths[k], out = widths[k + 1];
    const double init = std::log(std::expm1(1.0 / scale / out));
    matrices.push_back(register_parameter("matrix" + std::to_string(k),
                                          torch::full({channels, out, in}, init)));
    biases.push_back(register_parameter("bias" + std::to_string(k),
                                        torch::rand({channels, out, 1}) - 0.5));
    if (k + 2 < widths.size())
      factors.push_back(register_parameter("factor" + std::to_string(k),
                                           torch::zeros({channels, out, 1})));
  }
}

torch::Tensor FactorizedDensityImpl::logits_cumulative(torch::Tensor x) {
  for (size_t k = 0; k < matrices.size(); ++k) {
    x = torch::matmul(torch::nn::functional::softplus(matrices[k]), x) + biases[k];
    if (k < factors.size()) x = x + torch::tanh(factors[k]) * torch::tanh(x);
  }
  return x;
}

torch::Tensor FactorizedDensityImpl::likelihood(const torch::Tensor& v) {
  // [B, C, H, W] -> [C, 1, B*H*W]
  auto flat = v.permute({1, 0, 2, 3}).reshape({channels_, 1, -1});
  auto lower = logits_cumulative(flat - 0.5);
  auto upper = logits_cumulative(flat + 0.5);
  // Subtract in the tail where the sigmoids are far from 1, for precision.
  auto sign = -torch::sign(lower + upper).detach();
  auto p = torch::abs(torch::sigmoid(sign * upper) - torch::sigmoid(sign * lower));
  const auto b = v.size(0), h = v.size(2), w = v.size(3);
  return p.reshape({channels_, b, h, w}).permute({1, 0, 2, 3});
}

}  // namespace facet
