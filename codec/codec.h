// Compress an image to a .fct file and back with a photo model (the factor streams of
// FORMAT.md: hyper, structure.0 .. structure.G-1, alpha).
#pragma once

#include <array>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "model/appearance.h"
#include "bitstream/factor_edit.h"
#include "networks/model_io.h"
#include "networks/precision.h"
#include "codec/refine.h"
#include "codec/tiles.h"
#include "sprites/sprites_codec_model.h"
#include "common/bytes.h"
#include "common/status.h"
#include "formats/container.h"
#include "formats/image.h"

namespace facet {

// A loaded model: a photo model (bundle) or a sprites model (sprites set).
struct CodecModel {
  ModelBundle bundle;
  std::shared_ptr<SpritesBundle> sprites;
  uint64_t hash = 0;  // hash64 of the weights file: files name the model they need
  std::string path;

  bool is_sprites() const { return sprites != nullptr; }
  const std::string& model_id() const;
  // The global factors a file of this model can carry (appearance, or sprite latents).
  std::vector<GlobalFactorModel> global_factors() const;
};

// Reads a weights file (safetensors, optionally zstd-wrapped).
StatusOr<std::shared_ptr<CodecModel>> load_codec_model(const std::string& path);
StatusOr<std::shared_ptr<CodecModel>> load_codec_model_bytes(const Bytes& bytes, const std::string& name);

// Where `facet` looks for the default model when --model is not given: $FACET_MODEL, then
// models/ next to the executable's source tree (build tree), then the install prefix
// (share/facet/models). Returns the first existing path, or an error listing the places tried.
StatusOr<std::string> find_default_model(const std::string& executable_path);
constexpr const char* kDefaultModelFile = "facet-photo.safetensors.zst";

struct CodingTimes {
  double analysis_s = 0, refine_s = 0, hyper_s = 0, entropy_s = 0, synthesis_s = 0;
};

// The transforms run on tiles of at most tile_latents latents a side (plus a halo), split evenly
// and fixed by the image alone; `threads` workers take the tiles, each tile on one thread. So the
// numbers, hence the file and the decoded pixels, are the same for any thread count on one machine
// and precision path (FORMAT.md, "What a decoder guarantees").
struct CompressOptions {
  double quality = 75;    // 0..100, continuous: interpolates the trained rate points
  int tile_latents = 32;  // tile edge in latents (x16 pixels); 0 = untiled (one tile, one thread)
  int threads = 1;        // tile workers, and the deterministic hyper-synthesis
  // The transforms' arithmetic: kAuto = bf16 on CPUs with avx512_bf16 or amx_bf16, else fp32.
  TransformPrecision precision = TransformPrecision::kAuto;
  // kMinEffort (the analysis transform alone) .. kMaxEffort: higher efforts refine the latents
  // for this image (refine.h); any effort's file decodes with the same decoder.
  int effort = kMinEffort;
  RefineProgressFn progress;  // the refinement's progress, or nothing
};

struct DecompressOptions {
  int tile_latents = 32;
  int threads = 1;
  TransformPrecision precision = TransformPrecision::kAuto;
  std::set<std::string> drop;  // factor names decoded as their prior mean
  // Show the file's appearance factors (models with appearance factors): the synthesized image is
  // moved to the stored values. Off only for measurements of the transforms alone.
  bool impose_appearance = true;
  // Spatial groups decoded as mu + s * (stored residual): a traversal from absent (0) to stored (1).
  std::map<std::string, double> spatial_scale;
};

StatusOr<Bytes> compress_image(const Image& image, CodecModel& model, const CompressOptions& options,
                               CodingTimes* times = nullptr);
StatusOr<Image> decompress_image(const uint8_t* data, size_t size, CodecModel& model,
                                 const DecompressOptions& options, CodingTimes* times = nullptr);
StatusOr<Image> decompress_fct(const FctFile& file, CodecModel& model, const DecompressOptions& options,
                               CodingTimes* times = nullptr);

// The colour channels of an image (gray repeated) as float planes in [0, 1], and back into the
// 8-bit colour samples of `image` (gray: the mean of the three).
RgbPlanes image_planes(const Image& image);
void put_planes(const RgbPlanes& planes, Image* image);

// The appearance symbols an encoder stores for `image` (round(clamp(value) / quant_step) per factor
// of appearance.h): what compress_image writes, without running the transforms.
std::array<int32_t, kAppearanceFactorCount> appearance_symbols(const Image& image);

}  // namespace facet
