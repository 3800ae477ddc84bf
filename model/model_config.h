// Hyper-parameters of a Facet photo model, stored in its weights file's metadata.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace facet {

struct ModelConfig {
  int n = 128;        // channels of the analysis/synthesis transforms
  int m = 192;        // channels of the latent y
  int hyper_n = 128;  // channels of the hyper-latent z and of the hyper transforms
  int groups = 4;     // structure channels of y in `groups` equal groups, ordered coarse -> fine
  int chroma = 0;     // the last `chroma` channels of y: the chroma group (0: none)
  // Rate points of the variable-rate model: one learned gain vector per lambda (increasing).
  std::vector<double> lambdas = {0.0018, 0.0035, 0.0067, 0.013, 0.025, 0.0483};
  std::string model_id = "facet-photo";
  // The synthesis scales the channels after each of its inverse GDNs by a learned vector per rate
  // point (interpolated between rate points like the gains), so that the one decoder can treat the
  // quantization noise of each rate differently. Off in the models made before it.
  bool synthesis_rate_scales = false;
  // Group context (FORMAT.md §5.6.2): structure.g (g >= 1) and chroma take their Gaussian mean and
  // scale from the hyper-synthesis corrected by a small network over the groups decoded before
  // them (structure.0 .. g-1; chroma: structure.0 alone), with this many hidden channels; 0: each
  // group on the hyperprior alone (the models made before it).
  int context_channels = 0;

  int group_channels() const { return (m - chroma) / groups; }
  int structure_channels() const { return m - chroma; }
  int rate_points() const { return static_cast<int>(lambdas.size()); }
  bool has_group_context() const { return context_channels > 0; }
  // The coded groups in coding order: structure.0 .. structure.G-1, then chroma (index G) when the
  // model has one. Their latent channels and, with group context, how many leading structure
  // groups each one's context reads (structure.g: g; chroma: 1; 0: the hyperprior alone).
  int coded_groups() const { return groups + (chroma > 0 ? 1 : 0); }
  int coded_group_first_channel(int k) const { return k < groups ? k * group_channels() : structure_channels(); }
  int coded_group_channels(int k) const { return k < groups ? group_channels() : chroma; }
  int context_groups(int k) const { return !has_group_context() ? 0 : k < groups ? k : std::min(groups, 1); }
  // The parameter prefix of coded group k's context network: "context_s<g>" or "context_chroma".
  std::string context_network_name(int k) const {
    return k < groups ? "context_s" + std::to_string(k) : std::string("context_chroma");
  }
  Status validate() const;

  std::map<std::string, std::string> to_metadata() const;
  static StatusOr<ModelConfig> from_metadata(const std::map<std::string, std::string>& metadata);
};

// The rate position of a quality (the encoder's -q, the file header's quality / 100): quality / 100
// x (rate points - 1), quality clamped to 0..100 (FORMAT.md §5.6); the decoder needs it for the
// inverse gain and the synthesis scales.
double rate_position(const ModelConfig& config, double quality);

// Multiply-accumulates per input pixel of the three networks (encode: g_a + h_a + h_s and the
// group context; decode: h_s, the group context and g_s), for reports.
struct TransformCost {
  double analysis_kmac_per_pixel = 0, synthesis_kmac_per_pixel = 0, hyper_kmac_per_pixel = 0;
};
TransformCost transform_cost(const ModelConfig& config);

// A comma-separated lambda list ("0.0018,0.0035"), as in the metadata "facet.lambdas" and in
// --lambdas, and of any list of numbers kept in metadata; each item must be a number with nothing
// after it (the order is not checked: ModelConfig::validate does).
StatusOr<std::vector<double>> parse_lambda_list(const std::string& text);
// The same list written back, each lambda with 17 significant digits (round-trips exactly).
std::string format_lambda_list(const std::vector<double>& lambdas);

// Image padding: the transforms downsample by 16 (y) and 64 (z).
constexpr int kLatentStride = 16;
constexpr int kHyperStride = 64;
// Hyper-latents along an image side of `pixels` (the encoder pads the image to this times
// kHyperStride; the latents y are 4 times as many).
constexpr int hyper_latent_extent(uint32_t pixels) { return int((uint64_t{pixels} + kHyperStride - 1) / kHyperStride); }

}  // namespace facet
