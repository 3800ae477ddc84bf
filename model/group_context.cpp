// The group context on the deterministic path (definition in group_context.h).
#include "model/group_context.h"

#include <algorithm>
#include <string>

namespace facet {

Status validate_group_context(const ModelConfig& config, const std::vector<GroupContextWeights>& weights) {
  if (!config.has_group_context()) {
    FACET_RETURN_ERROR_IF(!weights.empty(), kCorrupt, "group context weights in a model without group context");
    return ok_status();
  }
  FACET_RETURN_ERROR_IF(int(weights.size()) != config.coded_groups(), kCorrupt,
                        "one group context entry per coded group expected");
  for (int k = 0; k < config.coded_groups(); ++k) {
    const GroupContextWeights& w = weights[k];
    const int read = config.context_groups(k), c = config.coded_group_channels(k);
    FACET_RETURN_ERROR_IF(w.context_groups != read, kCorrupt, "group context reads the wrong groups");
    if (read == 0) continue;
    const int in = 2 * c + read * config.group_channels(), hidden = config.context_channels;
    const auto shaped = [](const Conv3x3Weights& v, int i, int o) {
      return v.in == i && v.out == o && v.weight.size() == size_t(o) * i * 9 && v.bias.size() == size_t(o);
    };
    FACET_RETURN_ERROR_IF(!shaped(w.hidden, in, hidden) || !shaped(w.out, hidden, 2 * c), kCorrupt,
                          "group context network of coded group " + std::to_string(k) + " has bad shapes");
  }
  return ok_status();
}

StatusOr<CodedGroupParameters> coded_group_parameters(const ModelConfig& config,
                                                      const std::vector<GroupContextWeights>& weights,
                                                      const std::vector<float>& scale_thresholds,
                                                      const HyperSynthesisResult& hs, const std::vector<float>& y_hat,
                                                      int k, int threads) {
  FACET_RETURN_ERROR_IF(k < 0 || k >= config.coded_groups(), kInvalidArgument, "no such coded group");
  const int h = hs.means.height, w = hs.means.width, c = config.coded_group_channels(k);
  const size_t plane = size_t(h) * w, first = size_t(config.coded_group_first_channel(k)) * plane;
  FACET_RETURN_ERROR_IF(hs.means.channels != config.m || hs.scale_raw.channels != config.m ||
                            hs.means.data.size() != size_t(config.m) * plane ||
                            hs.scale_raw.data.size() != size_t(config.m) * plane ||
                            y_hat.size() != size_t(config.m) * plane,
                        kInvalidArgument, "latent shapes do not match the model");
  CodedGroupParameters out;
  out.means.assign(hs.means.data.begin() + first, hs.means.data.begin() + first + c * plane);
  out.indexes.resize(c * plane);
  const float* raw = hs.scale_raw.data.data() + first;
  const int read = config.has_group_context() ? weights.at(k).context_groups : 0;
  std::vector<float> corrected_raw;
  if (read > 0) {
    const GroupContextWeights& net = weights[k];
    FeatureMap in;
    in.channels = 2 * c + read * config.group_channels();
    in.height = h;
    in.width = w;
    in.data.reserve(size_t(in.channels) * plane);
    in.data.insert(in.data.end(), out.means.begin(), out.means.end());
    in.data.insert(in.data.end(), raw, raw + c * plane);
    in.data.insert(in.data.end(), y_hat.begin(), y_hat.begin() + size_t(read) * config.group_channels() * plane);
    FeatureMap hidden = conv3x3(net.hidden, in, threads);
    for (float& v : hidden.data) v = std::max(v, 0.0f);
    const FeatureMap correction = conv3x3(net.out, hidden, threads);
    for (size_t i = 0; i < c * plane; ++i) out.means[i] = out.means[i] + correction.data[i];
    corrected_raw.resize(c * plane);
    for (size_t i = 0; i < c * plane; ++i) corrected_raw[i] = raw[i] + correction.data[c * plane + i];
    raw = corrected_raw.data();
  }
  for (size_t i = 0; i < c * plane; ++i) out.indexes[i] = scale_table_index(raw[i], scale_thresholds);
  return out;
}

}  // namespace facet
