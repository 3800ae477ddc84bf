// A photo file's streams read back into latents (definition in photo_streams.h).
#include "bitstream/photo_streams.h"

#include <algorithm>
#include <chrono>

#include "formats/container_streams.h"
#include "model/group_context.h"
#include "model/hyper_synthesis.h"
#include "model/model_config.h"

namespace facet {
namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

float spatial_scale_of(const LatentDecodeOptions& options, const std::string& name) {
  auto it = options.spatial_scale.find(name);
  return it == options.spatial_scale.end() ? 1.0f : float(it->second);
}

}  // namespace

std::string structure_stream_name(int group) { return "structure." + std::to_string(group); }

std::string coded_group_stream_name(const ModelConfig& config, int k) {
  return k < config.groups ? structure_stream_name(k) : std::string(kChromaStream);
}

std::vector<std::string> coded_group_context(const ModelConfig& config, int k) {
  std::vector<std::string> names = {kHyperStream};
  for (int j = 0; j < config.context_groups(k); ++j) names.push_back(structure_stream_name(j));
  return names;
}

std::vector<int32_t> channel_indexes(int channels, int plane) {
  std::vector<int32_t> idx(size_t(channels) * plane);
  for (int c = 0; c < channels; ++c) std::fill_n(idx.begin() + size_t(c) * plane, plane, c);
  return idx;
}

std::vector<GlobalFactorModel> photo_global_factors(const EntropyTables& tables) {
  std::vector<GlobalFactorModel> out;
  if (!tables.has_appearance()) return out;
  for (int k = 0; k < kAppearanceFactorCount; ++k) {
    const AppearanceFactorInfo& info = kAppearanceFactors[k];
    GlobalFactorModel g;
    g.name = info.name;
    g.unit = info.unit;
    g.tables = &tables.appearance_tables;
    g.table = uint32_t(k);
    g.step = info.quant_step;
    g.prior_mean = info.prior_mean;
    g.prior_sigma = info.prior_sigma;
    out.push_back(std::move(g));
  }
  return out;
}

StatusOr<PhotoLatents> decode_photo_latents(const FctFile& file, const EntropyModel& model,
                                            const LatentDecodeOptions& options) {
  const FctHeader& h = file.header;
  const ModelConfig& config = model.config;
  const EntropyTables& tables = model.tables;
  const int hn = config.hyper_n;
  const int zh = hyper_latent_extent(h.height), zw = hyper_latent_extent(h.width);
  const int lh = zh * 4, lw = zw * 4;
  PhotoLatents out;
  out.latent_height = lh;
  out.latent_width = lw;

  auto start = Clock::now();
  const int hyper_at = h.find(kHyperStream);
  FACET_RETURN_ERROR_IF(hyper_at < 0, kCorrupt, "the file has no hyper stream");
  const FactorEntry& hyper = h.factors[hyper_at];
  const std::vector<uint32_t> hyper_shape = {uint32_t(hn), uint32_t(zh), uint32_t(zw)};
  FACET_RETURN_ERROR_IF(hyper.coder != StreamCoder::kRansFactorized || hyper.shape != hyper_shape,
                        kCorrupt, "hyper stream layout does not match the model and image size");
  FACET_ASSIGN_OR_RETURN(std::vector<int32_t> z_symbols,
                         decode_rans_stream(hyper, file.streams[hyper_at], channel_indexes(hn, zh * zw),
                                            tables.z_tables));
  out.entropy_s += since(start);
  start = Clock::now();
  FACET_ASSIGN_OR_RETURN(HyperSynthesisResult hs,
                         run_hyper_synthesis(model.hyper_synthesis, z_symbols, zh, zw, options.threads));
  out.hyper_s = since(start);

  start = Clock::now();
  const size_t plane = size_t(lh) * lw;
  // The coded groups in order (FORMAT.md §5.6): each one's mean and table indexes from the
  // hyper-synthesis and, with group context, the groups decoded before it (§5.6.2). `decoded`
  // holds the file's values, which the contexts read; out.y_hat the values shown (a traversal
  // scales a group's residual there only). Dropped or absent groups stay at the hyperprior mean.
  std::vector<float> decoded = hs.means.data;
  out.y_hat = hs.means.data;
  std::vector<bool> present(config.coded_groups(), false);
  double context_s = 0;
  for (int k = 0; k < config.coded_groups(); ++k) {
    const std::string name = coded_group_stream_name(config, k);
    const int at = h.find(name);
    if (at < 0 || options.drop.count(name)) continue;
    const FactorEntry& entry = h.factors[at];
    const int channels = config.coded_group_channels(k);
    const std::vector<uint32_t> shape = {uint32_t(channels), uint32_t(lh), uint32_t(lw)};
    FACET_RETURN_ERROR_IF(entry.coder != StreamCoder::kRansGaussian || entry.shape != shape, kCorrupt,
                          "stream '" + name + "' does not match the model and image size");
    // Version 3 lists what a stream reads; earlier versions list nothing and know no group context.
    FACET_RETURN_ERROR_IF(h.version >= 3 ? entry.context != coded_group_context(config, k) : config.has_group_context(),
                          kCorrupt, "the context of stream '" + name + "' does not match the model");
    for (int j = 0; j < config.context_groups(k); ++j) {
      if (present[j]) continue;
      const std::string needed = structure_stream_name(j);
      FACET_RETURN_ERROR_IF(h.find(needed) < 0, kCorrupt,
                            "stream '" + name + "' is present without '" + needed + "', which its context reads");
      return make_error(ErrorCode::kInvalidArgument, "dropping '" + needed + "' leaves '" + name +
                                                         "' without its context (FORMAT.md 5.6.2): drop '" + name +
                                                         "' too");
    }
    auto context_start = Clock::now();
    FACET_ASSIGN_OR_RETURN(CodedGroupParameters params,
                           coded_group_parameters(config, model.group_context, tables.scale_thresholds, hs, decoded, k,
                                                  options.threads));
    context_s += since(context_start);
    FACET_ASSIGN_OR_RETURN(std::vector<int32_t> symbols,
                           decode_rans_stream(entry, file.streams[at], params.indexes, tables.y_tables));
    const size_t begin = size_t(config.coded_group_first_channel(k)) * plane, count = size_t(channels) * plane;
    const float scale = spatial_scale_of(options, entry.name);
    for (size_t i = 0; i < count; ++i) {
      decoded[begin + i] = params.means[i] + float(symbols[i]);
      out.y_hat[begin + i] = params.means[i] + scale * float(symbols[i]);
    }
    present[k] = true;
  }
  out.chroma_kept = config.chroma == 0 || present[config.groups];
  out.hyper_s += context_s;
  out.entropy_s -= context_s;
  out.appearance_read = tables.has_appearance() && options.read_appearance;
  if (out.appearance_read) {
    for (int k = 0; k < kAppearanceFactorCount; ++k) {
      const AppearanceFactorInfo& info = kAppearanceFactors[k];
      out.appearance[k] = info.prior_mean;  // a dropped factor: the prior's mean
      const int at = h.find(info.name);
      if (at < 0 || options.drop.count(info.name)) continue;
      const FactorEntry& entry = h.factors[at];
      FACET_RETURN_ERROR_IF(entry.kind != FactorKind::kGlobal || entry.quant_step != float(info.quant_step),
                            kCorrupt, std::string("stream '") + info.name + "' does not match the model");
      FACET_ASSIGN_OR_RETURN(std::vector<int32_t> v,
                             decode_short_stream(entry, file.streams[at], {uint32_t(k)}, tables.appearance_tables));
      out.appearance[k] = v[0] * info.quant_step;
    }
  }
  out.entropy_s += since(start);
  return out;
}

}  // namespace facet
