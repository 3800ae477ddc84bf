// compress_image / decompress_image: the transforms on tiles (oneDNN, or LibTorch where a program
// installs it), the deterministic hyper-synthesis and group context, rANS.
#include "codec/codec.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "bitstream/photo_streams.h"
#include "codec/tiles.h"
#include "common/file_io.h"
#include "formats/checksum.h"
#include "formats/container_streams.h"
#include "model/appearance.h"

namespace facet {
namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

LibTorchBackend& libtorch_backend() {
  static LibTorchBackend backend;
  return backend;
}

// Runs the transforms' tiles with the backend's per-run and per-thread set-up.
Status run_transform_tiles(PhotoTransforms& transforms, const std::vector<Tile>& tiles, int threads,
                           const std::function<Status(const Tile&)>& work) {
  transforms.begin_tiles();
  Status s = run_tiles(tiles, threads, work, [&] { transforms.enter_worker(); });
  transforms.end_tiles();
  return s;
}

// The analysis of the padded image x ([3, H, W]) into y ([m, H/16, W/16]), tile by tile.
StatusOr<std::vector<float>> tiled_analysis(PhotoTransforms& transforms, const std::vector<float>& x, int height,
                                            int width, int tile, int threads, TransformPrecision precision) {
  const int m = transforms.config().m, lh = height / kLatentStride, lw = width / kLatentStride;
  std::vector<float> y(size_t(m) * lh * lw);
  FACET_RETURN_IF_ERROR(run_transform_tiles(transforms, plan_tiles(lh, lw, tile), threads, [&](const Tile& t) -> Status {
    const int s = kLatentStride, th = (t.y1 - t.y0) * s, tw = (t.x1 - t.x0) * s;
    std::vector<float> in(size_t(3) * th * tw);
    for (int c = 0; c < 3; ++c)
      for (int r = 0; r < th; ++r)
        std::memcpy(&in[(size_t(c) * th + r) * tw], &x[(size_t(c) * height + t.y0 * s + r) * width + t.x0 * s],
                    sizeof(float) * size_t(tw));
    const int oh = t.y1 - t.y0, ow = t.x1 - t.x0;
    std::vector<float> out(size_t(m) * oh * ow);
    FACET_RETURN_IF_ERROR(transforms.analysis(in.data(), th, tw, precision, out.data()));
    const int oy = t.ty - t.y0, ox = t.tx - t.x0;
    for (int c = 0; c < m; ++c)
      for (int r = 0; r < t.th; ++r)
        std::memcpy(&y[(size_t(c) * lh + t.ty + r) * lw + t.tx], &out[(size_t(c) * oh + oy + r) * ow + ox],
                    sizeof(float) * size_t(t.tw));
    return ok_status();
  }));
  return y;
}

// The 8-bit sample of a synthesized value: round(clamp(v, 0, 1) x 255), ties to even.
inline int32_t to_sample(float v) { return int32_t(std::nearbyint(std::min(std::max(v, 0.0f), 1.0f) * 255.0f)); }

// Synthesis of y_hat ([m, lh, lw], inverse gain applied) straight into the 8-bit samples of
// `image` (cropping the padding).
Status tiled_synthesis(PhotoTransforms& transforms, const std::vector<float>& y_hat, int lh, int lw,
                       const std::vector<float>& scales, int tile, int threads, TransformPrecision precision,
                       Image* image) {
  const int m = transforms.config().m, colors = image->color_channels();
  return run_transform_tiles(transforms, plan_tiles(lh, lw, tile), threads, [&](const Tile& t) -> Status {
    const int ih = t.y1 - t.y0, iw = t.x1 - t.x0;
    std::vector<float> in(size_t(m) * ih * iw);
    for (int c = 0; c < m; ++c)
      for (int r = 0; r < ih; ++r)
        std::memcpy(&in[(size_t(c) * ih + r) * iw], &y_hat[(size_t(c) * lh + t.y0 + r) * lw + t.x0],
                    sizeof(float) * size_t(iw));
    const int s = kLatentStride, ph = ih * s, pw = iw * s;
    std::vector<float> out(size_t(3) * ph * pw);
    FACET_RETURN_IF_ERROR(transforms.synthesis(in.data(), ih, iw, scales, precision, out.data()));
    const int oy = (t.ty - t.y0) * s, ox = (t.tx - t.x0) * s;
    const int h = t.th * s, w = t.tw * s;
    for (int yy = 0; yy < h; ++yy) {
      const uint32_t py = uint32_t(t.ty * s + yy);
      if (py >= image->height) break;
      const size_t row = size_t(oy + yy) * pw + ox;
      for (int xx = 0; xx < w; ++xx) {
        const uint32_t pxx = uint32_t(t.tx * s + xx);
        if (pxx >= image->width) break;
        const int32_t r = to_sample(out[row + xx]), g = to_sample(out[size_t(ph) * pw + row + xx]),
                      b = to_sample(out[2 * size_t(ph) * pw + row + xx]);
        uint16_t* dst = &image->samples[(uint64_t{py} * image->width + pxx) * image->channels];
        if (colors == 1) {
          dst[0] = uint16_t((r + g + b + 1) / 3);
        } else {
          dst[0] = uint16_t(r);
          dst[1] = uint16_t(g);
          dst[2] = uint16_t(b);
        }
      }
    }
    return ok_status();
  });
}

// BT.601 luma of the 8-bit colour samples in all three channels.
void to_luma(Image* image) {
  if (image->color_channels() != 3) return;
  for (uint64_t i = 0; i < image->pixel_count(); ++i) {
    uint16_t* d = &image->samples[i * image->channels];
    const uint16_t y = uint16_t((299 * d[0] + 587 * d[1] + 114 * d[2] + 500) / 1000);
    d[0] = d[1] = d[2] = y;
  }
}

const char* kNeedsLibTorch = "needs LibTorch (run it with facet-torch, which facet calls for it)";

}  // namespace

void install_libtorch_backend(LibTorchBackend backend) { libtorch_backend() = std::move(backend); }
bool libtorch_backend_installed() { return bool(libtorch_backend().photo); }

bool is_sprites_model(const TensorFile& file) {
  auto format = file.metadata.find("facet.format");
  return format != file.metadata.end() && format->second == "facet-sprites-1";
}

std::vector<float> padded_image_planes(const Image& image, int* height, int* width) {
  const int h = hyper_latent_extent(image.height) * kHyperStride, w = hyper_latent_extent(image.width) * kHyperStride;
  *height = h;
  *width = w;
  std::vector<float> x(size_t(3) * h * w);
  const int colors = image.color_channels();
  for (int yy = 0; yy < h; ++yy) {
    const uint64_t sy = uint64_t(std::min<int>(yy, int(image.height) - 1));
    for (int xx = 0; xx < w; ++xx) {
      const uint64_t sx = uint64_t(std::min<int>(xx, int(image.width) - 1));
      for (int c = 0; c < 3; ++c) {
        uint32_t v = image.samples[(sy * image.width + sx) * image.channels + (colors == 1 ? 0 : c)];
        if (image.bit_depth == 16) v = (v * 255 + 32767) / 65535;
        x[(size_t(c) * h + yy) * w + xx] = float(v) / 255.0f;
      }
    }
  }
  return x;
}

const std::string& CodecModel::model_id() const { return sprites ? sprites->model_id() : entropy.config.model_id; }

std::vector<GlobalFactorModel> CodecModel::global_factors() const {
  if (sprites) return sprites->global_factors();
  return photo_global_factors(entropy.tables);
}

RgbPlanes image_planes(const Image& image) {
  RgbPlanes p;
  p.width = image.width;
  p.height = image.height;
  p.pixels = image.pixel_count();
  p.r.resize(p.pixels);
  p.g.resize(p.pixels);
  p.b.resize(p.pixels);
  const int colors = image.color_channels();
  const float scale = image.bit_depth == 16 ? 1.0f / 65535.0f : 1.0f / 255.0f;
  for (uint64_t i = 0; i < p.pixels; ++i) {
    const uint16_t* s = &image.samples[i * image.channels];
    p.r[i] = s[0] * scale;
    p.g[i] = s[colors == 1 ? 0 : 1] * scale;
    p.b[i] = s[colors == 1 ? 0 : 2] * scale;
  }
  return p;
}

void put_planes(const RgbPlanes& p, Image* image) {
  const int colors = image->color_channels();
  auto q = [](float v) { return uint16_t(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f)); };
  for (uint64_t i = 0; i < p.pixels; ++i) {
    uint16_t* d = &image->samples[i * image->channels];
    if (colors == 1) {
      d[0] = q((p.r[i] + p.g[i] + p.b[i]) / 3.0f);
    } else {
      d[0] = q(p.r[i]);
      d[1] = q(p.g[i]);
      d[2] = q(p.b[i]);
    }
  }
}

InterleavedSamples samples_of(Image& image) {
  InterleavedSamples samples;
  samples.samples = image.samples.data();
  samples.width = image.width;
  samples.height = image.height;
  samples.channels = image.channels;
  samples.colors = image.color_channels();
  samples.bits = image.bit_depth;
  return samples;
}

std::array<int32_t, kAppearanceFactorCount> appearance_symbols(const Image& image, int threads) {
  // Measured in place: the image's own samples, no float planes (measuring does not write them).
  const AppearanceVector f = measure_appearance(samples_of(const_cast<Image&>(image)), threads);
  std::array<int32_t, kAppearanceFactorCount> symbols{};
  for (int k = 0; k < kAppearanceFactorCount; ++k) {
    const AppearanceFactorInfo& info = kAppearanceFactors[k];
    symbols[k] = int32_t(std::lround(std::clamp(f[k], info.min, info.max) / info.quant_step));
  }
  return symbols;
}

StatusOr<std::shared_ptr<CodecModel>> load_codec_model_bytes(const Bytes& bytes, const std::string& name,
                                                             TransformsBackend backend) {
  const uint64_t hash = hash64(bytes.data(), bytes.size());
  if (backend == TransformsBackend::kNone) {
    // The entropy tables alone (inspect, edit): the writer puts them first, so a zstd-wrapped model
    // is decompressed only as far as they reach (1 MB of the shipped model's 13.6).
    FACET_ASSIGN_OR_RETURN(TensorFile tables,
                           decode_weights_file_selected(bytes.data(), bytes.size(), is_entropy_table));
    if (!is_sprites_model(tables)) return load_codec_model_file(tables, hash, name, backend);
  }
  FACET_ASSIGN_OR_RETURN(TensorFile file, decode_weights_file(bytes.data(), bytes.size()));
  return load_codec_model_file(file, hash, name, backend);
}

StatusOr<std::shared_ptr<CodecModel>> load_codec_model_file(const TensorFile& file, uint64_t hash,
                                                            const std::string& name, TransformsBackend backend) {
  auto model = std::make_shared<CodecModel>();
  model->hash = hash;
  model->path = name;
  for (const auto& [tensor, data] : file.tensors)
    if (!is_entropy_table(tensor)) model->parameters += std::max<int64_t>(0, data.element_count());
  const LibTorchBackend& torch = libtorch_backend();
  if (is_sprites_model(file)) {
    FACET_RETURN_ERROR_IF(!torch.sprites, kUnsupported, "the sprites model " + name + " " + kNeedsLibTorch);
    auto sprites = torch.sprites(file);
    if (!sprites.ok()) return sprites.status().with_context("model " + name);
    model->sprites = std::move(sprites).value();
    return model;
  }
  auto entropy = entropy_model_from_tensor_file(
      file, backend == TransformsBackend::kNone ? EntropyModelParts::kTablesOnly : EntropyModelParts::kAll);
  if (!entropy.ok()) return entropy.status().with_context("model " + name);
  model->entropy = std::move(entropy).value();
  if (backend == TransformsBackend::kNone) return model;  // compress/decompress refuse it (no transforms)
  auto engine = PhotoEngine::create(file, model->entropy.config);
  if (!engine.ok()) return engine.status().with_context("model " + name);
  model->transforms = std::make_shared<EngineTransforms>(std::move(engine).value());
  if (torch.photo) {
    Status s = torch.photo(file, backend, model.get());
    if (!s.ok()) return s.with_context("model " + name);
  } else {
    FACET_RETURN_ERROR_IF(backend == TransformsBackend::kLibTorch, kUnsupported,
                          std::string("the LibTorch transforms ") + kNeedsLibTorch);
  }
  return model;
}

StatusOr<std::shared_ptr<CodecModel>> load_codec_model(const std::string& path, TransformsBackend backend) {
  FACET_ASSIGN_OR_RETURN(Bytes bytes, read_file(path, kMaxWeightsFileBytes));
  return load_codec_model_bytes(bytes, path, backend);
}

StatusOr<std::string> find_default_model(const std::string& executable_path) {
  namespace fs = std::filesystem;
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("FACET_MODEL")) candidates.emplace_back(env);
  std::error_code ec;
  fs::path exe = fs::canonical(fs::path(executable_path), ec);
  if (ec) exe = fs::canonical("/proc/self/exe", ec);
  if (!ec) {
    const fs::path dir = exe.parent_path();
    candidates.push_back(dir / "models" / kDefaultModelFile);                       // next to it
    candidates.push_back(fs::path(FACET_SOURCE_MODELS_DIR) / kDefaultModelFile);    // build tree
    candidates.push_back(dir.parent_path() / "share/facet/models" / kDefaultModelFile);  // installed
  }
  std::string tried;
  for (const auto& c : candidates) {
    if (fs::is_regular_file(c, ec)) return c.string();
    tried += "\n  " + c.string();
  }
  return make_error(ErrorCode::kIo, "no model found (use --model FILE or set FACET_MODEL); tried:" + tried);
}

StatusOr<Bytes> compress_image(const Image& image, CodecModel& model, const CompressOptions& options,
                               CodingTimes* times) {
  FACET_RETURN_IF_ERROR(check_image_limits(image.width, image.height));
  FACET_RETURN_ERROR_IF(model.is_sprites() && options.effort != kMinEffort, kInvalidArgument,
                        "the sprites model has no encoder effort (its encoder network alone chooses the latents)");
  if (model.is_sprites()) return model.sprites->compress(image, model.hash);
  FACET_RETURN_ERROR_IF(!model.transforms, kInvalidArgument, "the model was loaded without its transforms");
  FACET_RETURN_ERROR_IF(image.width > kFctMaxDimension || image.height > kFctMaxDimension, kLimitExceeded,
                        "image larger than 65535 pixels on a side");
  FACET_RETURN_ERROR_IF(!(options.quality >= 0 && options.quality <= 100), kInvalidArgument,
                        "quality must be in 0..100");
  FACET_RETURN_ERROR_IF(options.effort < kMinEffort || options.effort > kMaxEffort, kInvalidArgument,
                        "effort must be in " + std::to_string(kMinEffort) + ".." + std::to_string(kMaxEffort));
  FACET_RETURN_ERROR_IF(options.effort > kMinEffort && !model.refiner, kUnsupported,
                        "effort " + std::to_string(options.effort) + " " + kNeedsLibTorch);
  PhotoTransforms& transforms = *model.transforms;
  const ModelConfig& config = model.config();
  const TransformPrecision precision = resolve_cpu_precision(options.precision);
  FACET_RETURN_IF_ERROR(transforms.check_precision(precision));
  CodingTimes local;
  CodingTimes& t = times ? *times : local;

  FctHeader header;
  header.width = image.width;
  header.height = image.height;
  header.channels = image.channels;
  header.source_bit_depth = image.bit_depth;
  header.quality = uint16_t(std::lround(options.quality * 100));
  header.model_hash = model.hash;
  header.model_id = config.model_id;

  auto start = Clock::now();
  int height = 0, width = 0;
  std::vector<float> x = padded_image_planes(image, &height, &width);  // released after the refinement
  FACET_ASSIGN_OR_RETURN(std::vector<float> y,
                         tiled_analysis(transforms, x, height, width, options.tile_latents, options.threads, precision));
  const int lh = height / kLatentStride, lw = width / kLatentStride, zh = lh / 4, zw = lw / 4, hn = config.hyper_n;
  const size_t plane = size_t(lh) * lw;
  const double position = rate_position(config, options.quality);
  const std::vector<float> gain = transforms.gain(position);
  for (int c = 0; c < config.m; ++c)
    for (size_t i = 0; i < plane; ++i) y[c * plane + i] *= gain[c];
  std::vector<float> z_values(size_t(hn) * zh * zw);
  FACET_RETURN_IF_ERROR(transforms.hyper_analysis(y.data(), lh, lw, z_values.data()));
  std::vector<int32_t> z_symbols(z_values.size());
  for (size_t i = 0; i < z_values.size(); ++i)
    z_symbols[i] = int32_t(std::nearbyint(std::clamp(z_values[i], -1e9f, 1e9f)));
  t.analysis_s = since(start);
  if (options.effort > kMinEffort) {
    start = Clock::now();
    RefineInput in;
    in.x = &x;
    in.height = height;
    in.width = width;
    in.image_height = int(image.height);
    in.image_width = int(image.width);
    in.y = &y;
    in.z = &z_symbols;
    in.position = position;
    FACET_ASSIGN_OR_RETURN(RefinedLatents refined, model.refiner->refine(in, options.effort, options.tile_latents,
                                                                         options.threads, precision, options.progress));
    y = std::move(refined.y);
    z_symbols = std::move(refined.z);
    t.refine_s = since(start);
  }
  std::vector<float>().swap(x);  // the padded planes are not needed past here (12 bytes a pixel)

  PhotoStreamsInput streams_in;
  streams_in.y = &y;
  streams_in.z = &z_symbols;
  streams_in.latent_height = lh;
  streams_in.latent_width = lw;
  if (model.entropy.tables.has_appearance()) {
    start = Clock::now();
    streams_in.appearance_symbols = appearance_symbols(image, options.threads);
    t.appearance_s = since(start);
  }
  streams_in.alpha_source = &image;
  return encode_photo_streams(std::move(header), streams_in, model.entropy, options.threads, &t.hyper_s, &t.entropy_s);
}

StatusOr<Image> decompress_image(const uint8_t* data, size_t size, CodecModel& model,
                                 const DecompressOptions& options, CodingTimes* times) {
  FACET_ASSIGN_OR_RETURN(FctFile file, read_fct(data, size));
  return decompress_fct(file, model, options, times);
}

StatusOr<Image> decompress_fct(const FctFile& file, CodecModel& model, const DecompressOptions& options,
                               CodingTimes* times) {
  CodingTimes local;
  CodingTimes& t = times ? *times : local;
  const FctHeader& h = file.header;
  FACET_RETURN_ERROR_IF(h.model_hash != model.hash, kUnsupported,
                        "the file needs model '" + h.model_id + "' (hash " + std::to_string(h.model_hash) +
                            "); the loaded model " + model.path + " is '" + model.model_id() + "'");
  if (model.is_sprites()) {
    FctFile kept = file;
    FACET_RETURN_IF_ERROR(edit_factors(kept, {}, {}, [&] {
      std::set<std::string> present;
      for (const auto& name : options.drop)
        if (kept.header.find(name) >= 0) present.insert(name);
      return present;
    }()));
    return model.sprites->decompress(kept);
  }
  FACET_RETURN_ERROR_IF(!model.transforms, kInvalidArgument, "the model was loaded without its transforms");
  PhotoTransforms& transforms = *model.transforms;
  const ModelConfig& config = model.config();
  const TransformPrecision precision = resolve_cpu_precision(options.precision);
  FACET_RETURN_IF_ERROR(transforms.check_precision(precision));
  LatentDecodeOptions latent_options;
  latent_options.drop = options.drop;
  latent_options.spatial_scale = options.spatial_scale;
  latent_options.read_appearance = options.impose_appearance;
  latent_options.threads = options.threads;
  FACET_ASSIGN_OR_RETURN(PhotoLatents latents, decode_photo_latents(file, model.entropy, latent_options));
  t.entropy_s += latents.entropy_s;
  t.hyper_s = latents.hyper_s;
  std::vector<float>& y = latents.y_hat;
  const int lh = latents.latent_height, lw = latents.latent_width;
  const bool chroma_kept = latents.chroma_kept, impose = latents.appearance_read;
  const AppearanceVector& appearance = latents.appearance;

  const uint8_t depth = [&] {
    const int alpha_at = h.find(kAlphaStreamName);
    return alpha_at >= 0 && h.factors[alpha_at].element_type == ElementType::kU16 ? 16 : 8;
  }();
  // Synthesis, luma and appearance work on 8-bit samples; a 16-bit alpha widens the image after.
  FACET_ASSIGN_OR_RETURN(Image image, make_image(h.width, h.height, h.channels, 8));
  auto start = Clock::now();
  const double position = rate_position(config, h.quality / 100.0);
  const std::vector<float> inverse_gain = transforms.inverse_gain(position);
  const size_t plane = size_t(lh) * lw;
  for (int c = 0; c < config.m; ++c)
    for (size_t i = 0; i < plane; ++i) y[c * plane + i] *= inverse_gain[c];
  FACET_RETURN_IF_ERROR(tiled_synthesis(transforms, y, lh, lw, transforms.synthesis_scales(position),
                                        options.tile_latents, options.threads, precision, &image));
  if (!chroma_kept) to_luma(&image);  // no chroma: the grayscale image (FORMAT.md §5.6)
  t.synthesis_s = since(start);
  start = Clock::now();
  if (impose) {
    // The decoder shows the stored appearance: the synthesized image is moved from its own
    // factors to the file's. Without chroma only the luminance factors apply.
    impose_appearance(samples_of(image), appearance, options.threads,
                      chroma_kept ? ImposedFactors::kAll : ImposedFactors::kLuminance);
  }
  t.appearance_s = since(start);

  if (image.has_alpha()) {
    const int alpha_at = h.find(kAlphaStreamName);
    FACET_RETURN_ERROR_IF(alpha_at < 0, kCorrupt, "the header says alpha but there is no alpha stream");
    if (depth == 16) {
      image.bit_depth = 16;
      for (uint64_t p = 0; p < image.pixel_count(); ++p)
        for (int c = 0; c < image.color_channels(); ++c) image.samples[p * image.channels + c] *= 257;
    }
    FACET_RETURN_IF_ERROR(apply_alpha_stream(h.factors[alpha_at], file.streams[alpha_at], &image));
  }
  return image;
}

}  // namespace facet
