// A photo file's streams (FORMAT.md §5), both halves, without LibTorch: the encoder's writes them
// from the latents (enc_photo_streams.cpp); the decoder's reads them back into latents: the hyper stream
// entropy-decoded with the model's z tables, the deterministic hyper-synthesis, the structure and
// chroma groups decoded with the Gaussian tables it selects, the appearance factors. This is the
// whole of decoding but the synthesis transform, the surface a hostile .fct reaches (its fuzz
// target: tests/fuzz/fuzz_photo_streams.cpp).
#pragma once

#include <array>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "bitstream/factor_edit.h"
#include "common/status.h"
#include "formats/container.h"
#include "formats/image.h"
#include "model/appearance.h"
#include "model/entropy_model.h"

namespace facet {

// Stream names of a photo file.
constexpr const char* kHyperStream = "hyper";
constexpr const char* kChromaStream = "chroma";
std::string structure_stream_name(int group);  // "structure.<group>"

// Coded group k's stream name (structure.<k>, or chroma for k = groups) and the streams its
// decoding reads, as its factor-table entry lists them (FORMAT.md §4.2, §5.6.2): hyper, then the
// structure groups of its context.
std::string coded_group_stream_name(const ModelConfig& config, int k);
std::vector<std::string> coded_group_context(const ModelConfig& config, int k);

// Table index per element of a [channels, plane] hyper-latent: its channel.
std::vector<int32_t> channel_indexes(int channels, int plane);

// The global factors a photo file of a model with these tables can carry: the appearance factors
// (none for models without appearance tables). `tables` must outlive the result.
std::vector<GlobalFactorModel> photo_global_factors(const EntropyTables& tables);

struct LatentDecodeOptions {
  std::set<std::string> drop;  // factor names decoded as their prior mean
  // Spatial groups decoded as mu + s * (stored residual): a traversal from absent (0) to stored (1).
  std::map<std::string, double> spatial_scale;
  bool read_appearance = true;  // models with appearance tables: read the appearance factors
  int threads = 1;              // the hyper-synthesis's workers; the result does not depend on it
};

struct PhotoLatents {
  int latent_height = 0, latent_width = 0;  // 4 zh, 4 zw: the image rounded up to 64, over 16
  std::vector<float> y_hat;                 // [m, latent_height, latent_width], before the inverse gain
  bool chroma_kept = false;                 // false: decode the grayscale image (FORMAT.md §5.6)
  bool appearance_read = false;             // the appearance factors below are the file's
  AppearanceVector appearance{};            // dropped factors at their prior mean
  double entropy_s = 0, hyper_s = 0;        // seconds
};

// What the encoder's half needs: the coded latents and what the header does not hold.
struct PhotoStreamsInput {
  const std::vector<float>* y = nullptr;    // [m, latent_height, latent_width], the gain applied
  const std::vector<int32_t>* z = nullptr;  // [hyper_n, latent_height / 4, latent_width / 4], rounded
  int latent_height = 0, latent_width = 0;
  std::array<int32_t, kAppearanceFactorCount> appearance_symbols{};  // models with appearance tables
  const Image* alpha_source = nullptr;      // an image with alpha: its alpha stream (§5.5)
};

// The encoder's half (enc_photo_streams.cpp): a photo file from `header` (its factor table is
// replaced) and the latents: the hyper stream, every coded group with the means and table indexes
// the decoder will compute (hyper-synthesis, group context), the appearance factors and alpha.
// hyper_s / entropy_s (may be null): seconds of the hyper-synthesis and context, and of the rest.
StatusOr<Bytes> encode_photo_streams(FctHeader header, const PhotoStreamsInput& in, const EntropyModel& model,
                                     int threads, double* hyper_s = nullptr, double* entropy_s = nullptr);

// `file` must be a photo file of this model (the caller checks the model hash). Every stream's
// layout is checked against the model and the image size; any mismatch is kCorrupt.
StatusOr<PhotoLatents> decode_photo_latents(const FctFile& file, const EntropyModel& model,
                                            const LatentDecodeOptions& options);

}  // namespace facet
