// Compress an image to a .fct file and back with a photo model (the factor streams of FORMAT.md:
// hyper, structure.0 .. structure.G-1, chroma, the appearance factors, alpha), and the model a
// program codes with. No LibTorch: the transforms run on oneDNN (engine/); what needs LibTorch (the
// refinement of efforts >= 2, sprites models, the LibTorch reference transforms) is added to a
// loaded model by a program that links it (torch_codec/libtorch_backend.h).
#pragma once

#include <array>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "bitstream/factor_edit.h"
#include "codec/effort.h"
#include "codec/transforms.h"
#include "common/bytes.h"
#include "common/precision.h"
#include "common/status.h"
#include "formats/container.h"
#include "formats/image.h"
#include "formats/safetensors.h"
#include "model/appearance.h"
#include "model/entropy_model.h"

namespace facet {

// A sprites model's codec (FORMAT.md §5.8): LibTorch's, torch_codec/sprite_codec.h.
class SpritesCodec {
 public:
  virtual ~SpritesCodec() = default;
  virtual const std::string& model_id() const = 0;
  virtual std::vector<GlobalFactorModel> global_factors() const = 0;
  virtual StatusOr<Bytes> compress(const Image& image, uint64_t model_hash) = 0;
  virtual StatusOr<Image> decompress(const FctFile& file) = 0;
};

// Which implementation runs a photo model's transforms.
enum class TransformsBackend {
  kOnednn,    // engine/: what `facet` runs
  kLibTorch,  // networks/: the reference (programs that link LibTorch)
  kNone,      // no networks: the configuration and entropy tables alone (inspect, edit), read from the
              // first megabyte of the model; compress and decompress refuse such a model
};

// A loaded model: a photo model (entropy + transforms) or a sprites model (sprites).
struct CodecModel {
  EntropyModel entropy;                          // photo models: config, tables, hyper-synthesis
  std::shared_ptr<PhotoTransforms> transforms;   // photo models
  std::shared_ptr<LatentRefiner> refiner;        // efforts >= 2; null where LibTorch is not linked
  std::shared_ptr<SpritesCodec> sprites;         // sprites models
  uint64_t hash = 0;  // hash64 of the weights file: files name the model they need
  std::string path;
  int64_t parameters = 0;  // the networks' parameters (every tensor but the entropy tables); 0 for kNone

  bool is_sprites() const { return sprites != nullptr; }
  const ModelConfig& config() const { return entropy.config; }
  const std::string& model_id() const;
  // The global factors a file of this model can carry (appearance, or sprite latents).
  std::vector<GlobalFactorModel> global_factors() const;
};

// What a program that links LibTorch adds to every model it loads: `photo` gets the refiner (and,
// for kLibTorch, the LibTorch transforms in place of oneDNN's); a sprites model is built whole by
// `sprites`. torch_codec/libtorch_backend.h installs it; without it a sprites model, effort >= 2
// and kLibTorch are kUnsupported ("needs LibTorch").
struct LibTorchBackend {
  std::function<Status(const TensorFile& file, TransformsBackend backend, CodecModel* model)> photo;
  std::function<StatusOr<std::shared_ptr<SpritesCodec>>(const TensorFile& file)> sprites;
};
void install_libtorch_backend(LibTorchBackend backend);
bool libtorch_backend_installed();

// Whether a weights file is a sprites model (its metadata), read without building anything.
bool is_sprites_model(const TensorFile& file);

// Reads a weights file (safetensors, optionally zstd-wrapped).
StatusOr<std::shared_ptr<CodecModel>> load_codec_model(const std::string& path,
                                                       TransformsBackend backend = TransformsBackend::kOnednn);
StatusOr<std::shared_ptr<CodecModel>> load_codec_model_bytes(const Bytes& bytes, const std::string& name,
                                                             TransformsBackend backend = TransformsBackend::kOnednn);
// The same from a decoded weights file whose bytes hash to `hash`.
StatusOr<std::shared_ptr<CodecModel>> load_codec_model_file(const TensorFile& file, uint64_t hash,
                                                            const std::string& name,
                                                            TransformsBackend backend = TransformsBackend::kOnednn);

// Where `facet` looks for the default model when --model is not given: $FACET_MODEL, then
// models/ next to the executable's source tree (build tree), then the install prefix
// (share/facet/models). Returns the first existing path, or an error listing the places tried.
StatusOr<std::string> find_default_model(const std::string& executable_path);
constexpr const char* kDefaultModelFile = "facet-photo.safetensors.zst";

struct CodingTimes {
  double analysis_s = 0, refine_s = 0, hyper_s = 0, entropy_s = 0, synthesis_s = 0;
  double appearance_s = 0;  // measuring the image's appearance factors (encoder); imposing the file's (decoder)
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
  // for this image (effort.h; needs the model's refiner); any effort's file decodes with the same decoder.
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
// The image's samples as the appearance functions read them in place (model/appearance.h).
InterleavedSamples samples_of(Image& image);

// The image as the analysis reads it: [3, H, W] floats in [0, 1] (gray repeated, alpha ignored,
// 16-bit rounded to 8, FORMAT.md §5.5), padded by repeating the last row and column to H and W,
// the multiples of 64 at or above its sides.
std::vector<float> padded_image_planes(const Image& image, int* height, int* width);

// The appearance symbols an encoder stores for `image` (round(clamp(value) / quant_step) per factor
// of appearance.h): what compress_image writes, without running the transforms.
std::array<int32_t, kAppearanceFactorCount> appearance_symbols(const Image& image, int threads = 1);

}  // namespace facet
