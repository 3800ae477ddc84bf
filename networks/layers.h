// Network building blocks (LibTorch): GDN / inverse GDN, sub-pixel upsampling, the factorized
// density of the hyper-latent.
#pragma once

#include <torch/torch.h>

namespace facet {

// Generalized divisive normalization (Balle et al. 2016): y_i = x_i / sqrt(beta_i + sum_j
// gamma_ij x_j^2), or its inverse y_i = x_i * sqrt(...). beta and gamma are kept non-negative by
// squaring clamped parameters. gamma uses a pedestal (gamma = max(p, sqrt(pedestal))^2 - pedestal,
// as in Balle's GDN): a plain square of a parameter that starts at 0 has a zero gradient there, so
// the off-diagonal terms never trained and every GDN stayed per-channel. Weights stored before the
// pedestal (off-diagonal exactly 0) decode to the same gamma.
class GdnImpl : public torch::nn::Module {
 public:
  GdnImpl(int channels, bool inverse);
  torch::Tensor forward(const torch::Tensor& x);

  torch::Tensor beta_param, gamma_param;
  // The effective non-negative parameters.
  torch::Tensor beta() const;
  torch::Tensor gamma() const;

 private:
  bool inverse_;
};
TORCH_MODULE(Gdn);

// 3x3 convolution to 4*out channels then PixelShuffle(2): a x2 upsampling that runs at oneDNN's
// full convolution speed on CPU (transposed convolutions reach about a third of it, docs/architecture.md).
class UpsampleImpl : public torch::nn::Module {
 public:
  UpsampleImpl(int in, int out);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Conv2d conv{nullptr};
};
TORCH_MODULE(Upsample);

// Per-channel learned univariate density of the hyper-latent z (Balle et al. 2018, appendix 6.1):
// a monotone cumulative built from 1-3-3-3-1 softplus matrices and tanh gates.
class FactorizedDensityImpl : public torch::nn::Module {
 public:
  explicit FactorizedDensityImpl(int channels, double init_scale = 10.0);
  // Likelihood of each element of v ([B, C, H, W]) being in [v - 1/2, v + 1/2].
  torch::Tensor likelihood(const torch::Tensor& v);
  // Cumulative logits at the points x ([C, 1, P]) -> [C, 1, P].
  torch::Tensor logits_cumulative(torch::Tensor x);

  std::vector<torch::Tensor> matrices, biases, factors;

 private:
  int channels_;
};
TORCH_MODULE(FactorizedDensity);

}  // namespace facet
