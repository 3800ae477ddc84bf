// The sample .fct file: hyper symbols select the Gaussian tables of the structure streams, the way
// the learned codec's hyperprior does.
#include "formats/sample_fct.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "entropy/gaussian_tables.h"
#include "formats/container_streams.h"

namespace facet::test {
namespace {

constexpr uint32_t kWidth = 40, kHeight = 24;
constexpr uint32_t kHyperChannels = 4, kStructureChannels = 6, kAppearanceCount = 6;

CdfTableSet make_factorized_tables() {
  std::vector<QuantizedCdf> tables;
  for (uint32_t c = 0; c <= kHyperChannels; ++c) {
    std::vector<double> pmf;
    for (int k = -8; k <= 8; ++k) pmf.push_back(std::exp(-std::abs(k) / (0.7 + c)));
    tables.push_back(quantize_pmf(pmf, 1e-4, -8).value());
  }
  return CdfTableSet::create(tables).value();
}

// Structure table index from the hyper symbol above it: a deterministic integer function.
int32_t structure_index(int32_t hyper_symbol, uint32_t channel) {
  return std::min<int32_t>(63, 12 + 6 * std::abs(hyper_symbol) + int32_t(channel));
}

struct Layout {
  std::vector<uint32_t> hyper_shape{kHyperChannels, kHeight / 8, kWidth / 8};
  std::vector<uint32_t> structure_shape{kStructureChannels, kHeight / 4, kWidth / 4};
};

std::vector<int32_t> hyper_indexes(const Layout& l) {
  std::vector<int32_t> idx;
  for (uint32_t c = 0; c < l.hyper_shape[0]; ++c)
    for (uint32_t i = 0; i < l.hyper_shape[1] * l.hyper_shape[2]; ++i) idx.push_back(int32_t(c));
  return idx;
}

std::vector<int32_t> structure_indexes(const Layout& l, const std::vector<int32_t>& hyper) {
  const uint32_t hh = l.hyper_shape[1], hw = l.hyper_shape[2];
  const uint32_t sh = l.structure_shape[1], sw = l.structure_shape[2];
  std::vector<int32_t> idx;
  for (uint32_t c = 0; c < l.structure_shape[0]; ++c)
    for (uint32_t y = 0; y < sh; ++y)
      for (uint32_t x = 0; x < sw; ++x) {
        const uint32_t hc = c % l.hyper_shape[0];
        const int32_t h = hyper[(hc * hh + y * hh / sh) * hw + x * hw / sw];
        idx.push_back(structure_index(h, c));
      }
  return idx;
}

}  // namespace

const SampleModel& sample_model() {
  static const SampleModel model{make_factorized_tables(),
                                 make_gaussian_cdf_tables(make_scale_table()).value()};
  return model;
}

Bytes make_sample_fct() {
  const SampleModel& model = sample_model();
  const Layout layout;
  uint64_t rng = 12345;
  auto next = [&rng]() {
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<uint32_t>(rng >> 33);
  };

  FctHeader header;
  header.width = kWidth;
  header.height = kHeight;
  header.channels = 4;
  header.quality = 6000;
  header.model_id = "sample-model";
  header.model_hash = 0x0123456789ABCDEFull;
  std::vector<Bytes> streams;

  FactorEntry appearance{"appearance", FactorKind::kGlobal, StreamCoder::kRansFactorized,
                         ElementType::kI32, {kAppearanceCount}, 0.05f};
  std::vector<int32_t> appearance_symbols{3, -2, 0, 1, 40, -1};  // 40 is escaped
  std::vector<int32_t> appearance_indexes(kAppearanceCount, int32_t(kHyperChannels));
  streams.push_back(
      encode_rans_stream(appearance, appearance_symbols, appearance_indexes, model.factorized).value());
  header.factors.push_back(appearance);

  FactorEntry hyper{"hyper", FactorKind::kHyper, StreamCoder::kRansFactorized, ElementType::kI32,
                    layout.hyper_shape, 1.0f};
  std::vector<int32_t> hyper_symbols(hyper.element_count());
  for (auto& s : hyper_symbols) s = int32_t(next() % 7) - 3;
  streams.push_back(
      encode_rans_stream(hyper, hyper_symbols, hyper_indexes(layout), model.factorized).value());
  header.factors.push_back(hyper);

  const auto s_indexes = structure_indexes(layout, hyper_symbols);
  for (int group = 0; group < 2; ++group) {
    FactorEntry structure{"structure." + std::to_string(group), FactorKind::kSpatial,
                          StreamCoder::kRansGaussian, ElementType::kI32, layout.structure_shape, 1.0f};
    std::vector<int32_t> symbols(structure.element_count());
    for (size_t i = 0; i < symbols.size(); ++i)
      symbols[i] = int32_t(next() % (2 * (s_indexes[i] / 6) + 1)) - s_indexes[i] / 6;
    streams.push_back(encode_rans_stream(structure, symbols, s_indexes, model.gaussian).value());
    // As a model with group context lists them (FORMAT.md §4.2): each group reads hyper and the
    // groups before it.
    structure.context = {"hyper"};
    if (group > 0) structure.context.push_back("structure.0");
    header.factors.push_back(structure);
  }

  Image image = make_image(kWidth, kHeight, 4, 8).value();
  for (uint32_t y = 0; y < kHeight; ++y)
    for (uint32_t x = 0; x < kWidth; ++x) image.at(x, y, 3) = uint16_t((x * 6 + y * 3) % 256);
  FactorEntry alpha;
  Bytes alpha_stream;
  make_alpha_stream(image, &alpha, &alpha_stream).ok();
  streams.push_back(alpha_stream);
  header.factors.push_back(alpha);
  return write_fct(header, streams).value();
}

StatusOr<SampleDecode> decode_sample_fct(const uint8_t* data, size_t size) {
  FACET_ASSIGN_OR_RETURN(FctFile file, read_fct(data, size));
  const SampleModel& model = sample_model();
  const Layout layout;
  SampleDecode out;
  out.header = file.header;
  const FctHeader& h = file.header;
  // A decoder checks that the file's layout is the one its model produces.
  const int hyper_at = h.find("hyper"), alpha_at = h.find("alpha"), appearance_at = h.find("appearance");
  FACET_RETURN_ERROR_IF(hyper_at < 0 || alpha_at < 0 || appearance_at < 0, kCorrupt, "missing stream");
  FACET_RETURN_ERROR_IF(h.factors[hyper_at].shape != layout.hyper_shape, kCorrupt, "hyper shape");
  FACET_RETURN_ERROR_IF(h.width != kWidth || h.height != kHeight || h.channels != 4, kCorrupt, "size");

  FACET_ASSIGN_OR_RETURN(
      auto appearance,
      decode_rans_stream(h.factors[appearance_at], file.streams[appearance_at],
                         std::vector<int32_t>(kAppearanceCount, int32_t(kHyperChannels)),
                         model.factorized));
  out.symbols.push_back(appearance);
  FACET_ASSIGN_OR_RETURN(auto hyper, decode_rans_stream(h.factors[hyper_at], file.streams[hyper_at],
                                                        hyper_indexes(layout), model.factorized));
  out.symbols.push_back(hyper);
  const auto s_indexes = structure_indexes(layout, hyper);
  for (int group = 0; group < 2; ++group) {
    const int at = h.find("structure." + std::to_string(group));
    FACET_RETURN_ERROR_IF(at < 0, kCorrupt, "missing structure stream");
    FACET_RETURN_ERROR_IF(h.factors[at].shape != layout.structure_shape, kCorrupt, "structure shape");
    FACET_ASSIGN_OR_RETURN(auto symbols, decode_rans_stream(h.factors[at], file.streams[at],
                                                            s_indexes, model.gaussian));
    out.symbols.push_back(symbols);
  }
  Image image;
  FACET_ASSIGN_OR_RETURN(image, make_image(h.width, h.height, h.channels, 8));
  FACET_RETURN_IF_ERROR(apply_alpha_stream(h.factors[alpha_at], file.streams[alpha_at], &image));
  FACET_ASSIGN_OR_RETURN(out.alpha, decode_plain_stream(h.factors[alpha_at], file.streams[alpha_at]));
  return out;
}

}  // namespace facet::test
