// A photo file's streams read back into latents (definition in photo_streams.h).
#include "bitstream/photo_streams.h"

#include <algorithm>
#include <chrono>

#include "formats/container_streams.h"
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
  const int hn = config.hyper_n, gc = config.group_channels();
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
  const std::vector<uint32_t> group_shape = {uint32_t(gc), uint32_t(lh), uint32_t(lw)};
  out.y_hat = std::move(hs.means.data);  // dropped or absent groups stay at the prior mean
  for (int g = 0; g < config.groups; ++g) {
    const int at = h.find(structure_stream_name(g));
    if (at < 0 || options.drop.count(structure_stream_name(g))) continue;
    const FactorEntry& entry = h.factors[at];
    FACET_RETURN_ERROR_IF(entry.coder != StreamCoder::kRansGaussian || entry.shape != group_shape,
                          kCorrupt, "stream '" + entry.name + "' does not match the model and image size");
    const size_t begin = size_t(g) * gc * plane, count = size_t(gc) * plane;
    std::vector<int32_t> indexes(hs.indexes.begin() + begin, hs.indexes.begin() + begin + count);
    FACET_ASSIGN_OR_RETURN(std::vector<int32_t> symbols,
                           decode_rans_stream(entry, file.streams[at], indexes, tables.y_tables));
    const float scale = spatial_scale_of(options, entry.name);
    for (size_t i = 0; i < count; ++i) out.y_hat[begin + i] += scale * float(symbols[i]);
  }
  out.chroma_kept = config.chroma == 0;
  if (config.chroma > 0) {
    const int at = h.find(kChromaStream);
    if (at >= 0 && !options.drop.count(kChromaStream)) {
      const FactorEntry& entry = h.factors[at];
      const std::vector<uint32_t> shape = {uint32_t(config.chroma), uint32_t(lh), uint32_t(lw)};
      FACET_RETURN_ERROR_IF(entry.coder != StreamCoder::kRansGaussian || entry.shape != shape, kCorrupt,
                            "stream 'chroma' does not match the model and image size");
      const size_t begin = size_t(config.structure_channels()) * plane, count = size_t(config.chroma) * plane;
      std::vector<int32_t> indexes(hs.indexes.begin() + begin, hs.indexes.begin() + begin + count);
      FACET_ASSIGN_OR_RETURN(std::vector<int32_t> symbols,
                             decode_rans_stream(entry, file.streams[at], indexes, tables.y_tables));
      const float scale = spatial_scale_of(options, entry.name);
      for (size_t i = 0; i < count; ++i) out.y_hat[begin + i] += scale * float(symbols[i]);
      out.chroma_kept = true;
    }
  }
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
