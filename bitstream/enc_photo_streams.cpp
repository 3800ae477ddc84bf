// The encoder's half of a photo file's streams (FORMAT.md §5), beside the decoder's
// (photo_streams.cpp): the hyper stream, the coded groups with the means and table indexes the
// decoder will compute, the appearance factors and alpha.
#include <algorithm>
#include <chrono>
#include <cmath>

#include "bitstream/photo_streams.h"
#include "formats/container_streams.h"

namespace facet {
namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

StatusOr<Bytes> encode_photo_streams(FctHeader header, const PhotoStreamsInput& in, const EntropyModel& model,
                                     int threads, double* hyper_s, double* entropy_s) {
  const ModelConfig& config = model.config;
  const int lh = in.latent_height, lw = in.latent_width, zh = lh / 4, zw = lw / 4, hn = config.hyper_n;
  FACET_RETURN_ERROR_IF(!in.y || !in.z || lh < 4 || lw < 4 || lh % 4 || lw % 4 ||
                            in.y->size() != size_t(config.m) * lh * lw || in.z->size() != size_t(hn) * zh * zw,
                        kInvalidArgument, "latents of the wrong shape for the model");
  double hyper_seconds = 0, context_seconds = 0;
  auto start = Clock::now();
  FACET_ASSIGN_OR_RETURN(HyperSynthesisResult hs, run_hyper_synthesis(model.hyper_synthesis, *in.z, zh, zw, threads));
  hyper_seconds = since(start);

  start = Clock::now();
  std::vector<Bytes> streams;
  header.factors.clear();
  FactorEntry hyper{kHyperStream, FactorKind::kHyper, StreamCoder::kRansFactorized, ElementType::kI32,
                    {uint32_t(hn), uint32_t(zh), uint32_t(zw)}, 1.0f};
  FACET_ASSIGN_OR_RETURN(Bytes hyper_stream,
                         encode_rans_stream(hyper, *in.z, channel_indexes(hn, zh * zw), model.tables.z_tables));
  header.factors.push_back(hyper);
  streams.push_back(std::move(hyper_stream));

  // The coded groups in order (§5.6): with group context each group's mean and indexes come from
  // the values of the groups before it as the decoder will hold them (§5.6.2).
  const std::vector<float>& y = *in.y;
  const size_t plane = size_t(lh) * lw;
  std::vector<float> decoded = hs.means.data;
  for (int k = 0; k < config.coded_groups(); ++k) {
    auto context_start = Clock::now();
    FACET_ASSIGN_OR_RETURN(CodedGroupParameters params,
                           coded_group_parameters(config, model.group_context, model.tables.scale_thresholds, hs,
                                                  decoded, k, threads));
    context_seconds += since(context_start);
    const int channels = config.coded_group_channels(k);
    const size_t begin = size_t(config.coded_group_first_channel(k)) * plane, count = size_t(channels) * plane;
    std::vector<int32_t> symbols(count);
    for (size_t i = 0; i < count; ++i) {
      symbols[i] = int32_t(std::lround(std::clamp(y[begin + i] - params.means[i], -1e9f, 1e9f)));
      decoded[begin + i] = params.means[i] + float(symbols[i]);
    }
    FactorEntry entry{coded_group_stream_name(config, k), FactorKind::kSpatial, StreamCoder::kRansGaussian,
                      ElementType::kI32, {uint32_t(channels), uint32_t(lh), uint32_t(lw)}, 1.0f};
    entry.context = coded_group_context(config, k);
    FACET_ASSIGN_OR_RETURN(Bytes stream, encode_rans_stream(entry, symbols, params.indexes, model.tables.y_tables));
    header.factors.push_back(entry);
    streams.push_back(std::move(stream));
  }
  if (model.tables.has_appearance()) {
    for (int k = 0; k < kAppearanceFactorCount; ++k) {
      const AppearanceFactorInfo& info = kAppearanceFactors[k];
      FactorEntry entry{info.name, FactorKind::kGlobal, StreamCoder::kShort, ElementType::kI32, {1},
                        float(info.quant_step)};
      FACET_ASSIGN_OR_RETURN(Bytes stream, encode_short_stream(entry, {in.appearance_symbols[k]}, {uint32_t(k)},
                                                               model.tables.appearance_tables));
      header.factors.push_back(entry);
      streams.push_back(std::move(stream));
    }
  }
  if (in.alpha_source && in.alpha_source->has_alpha()) {
    FactorEntry alpha;
    Bytes alpha_stream;
    FACET_RETURN_IF_ERROR(make_alpha_stream(*in.alpha_source, &alpha, &alpha_stream));
    header.factors.push_back(alpha);
    streams.push_back(std::move(alpha_stream));
  }
  if (hyper_s) *hyper_s = hyper_seconds + context_seconds;  // the group context counts as hyper
  if (entropy_s) *entropy_s = std::max(0.0, since(start) - context_seconds);
  return write_fct(header, streams);
}

}  // namespace facet
