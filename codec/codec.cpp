// compress_image / decompress_image: LibTorch transforms, deterministic hyper-synthesis, rANS.
#include "codec/codec.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <unistd.h>


#include "bitstream/photo_streams.h"
#include "model/appearance.h"
#include "networks/precision.h"
#include "codec/sprite_codec.h"
#include "codec/tiles.h"
#include "common/file_io.h"
#include "formats/checksum.h"
#include "formats/container_streams.h"
#include "formats/safetensors.h"

namespace facet {
namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// [1, 3, H, W] in [0, 1]; gray is repeated, alpha ignored, 16-bit rounded to 8 (FORMAT.md §5.5).
torch::Tensor image_to_tensor(const Image& image) {
  const int64_t h = image.height, w = image.width;
  auto x = torch::empty({1, 3, h, w}, torch::kFloat32);
  float* dst = x.data_ptr<float>();
  const int colors = image.color_channels();
  for (int64_t y = 0; y < h; ++y)
    for (int64_t xx = 0; xx < w; ++xx)
      for (int c = 0; c < 3; ++c) {
        uint32_t v = image.samples[(y * w + xx) * image.channels + (colors == 1 ? 0 : c)];
        if (image.bit_depth == 16) v = (v * 255 + 32767) / 65535;
        dst[(c * h + y) * w + xx] = float(v) / 255.0f;
      }
  return x;
}

StatusOr<torch::Tensor> tiled_analysis(PhotoModel& net, const torch::Tensor& x, int tile, int threads,
                                       TransformPrecision precision) {
  const int lh = int(x.size(2)) / kLatentStride, lw = int(x.size(3)) / kLatentStride;
  auto y = torch::empty({1, net->config().m, lh, lw});
  FACET_RETURN_IF_ERROR(run_tiles(plan_tiles(lh, lw, tile), threads, precision, [&](const Tile& t) {
    auto in = x.slice(2, t.y0 * kLatentStride, t.y1 * kLatentStride).slice(3, t.x0 * kLatentStride, t.x1 * kLatentStride);
    if (precision == TransformPrecision::kBf16) in = in.contiguous(torch::MemoryFormat::ChannelsLast);
    auto out = net->analysis(in);
    const int oy = t.ty - t.y0, ox = t.tx - t.x0;
    y.slice(2, t.ty, t.ty + t.th).slice(3, t.tx, t.tx + t.tw).copy_(out.slice(2, oy, oy + t.th).slice(3, ox, ox + t.tw));
  }));
  return y;
}

// Synthesis straight into 8-bit samples of `image` (cropping the padding).
Status tiled_synthesis(PhotoModel& net, const torch::Tensor& y_hat, const torch::Tensor& scales, int tile,
                       int threads, TransformPrecision precision, Image* image) {
  const int lh = int(y_hat.size(2)), lw = int(y_hat.size(3));
  const int colors = image->color_channels();
  return run_tiles(plan_tiles(lh, lw, tile), threads, precision, [&](const Tile& t) {
    auto in = y_hat.slice(2, t.y0, t.y1).slice(3, t.x0, t.x1);
    if (precision == TransformPrecision::kBf16) in = in.contiguous(torch::MemoryFormat::ChannelsLast);
    auto out = net->synthesis(in, scales);
    const int s = kLatentStride, oy = t.ty - t.y0, ox = t.tx - t.x0;
    auto px = out.slice(2, oy * s, (oy + t.th) * s).slice(3, ox * s, (ox + t.tw) * s);
    auto q = torch::round(px.clamp(0.0, 1.0) * 255.0).to(torch::kInt32).contiguous();
    const int32_t* v = q.data_ptr<int32_t>();
    const int h = t.th * s, w = t.tw * s;
    for (int yy = 0; yy < h; ++yy) {
      const uint32_t py = uint32_t(t.ty * s + yy);
      if (py >= image->height) break;
      for (int xx = 0; xx < w; ++xx) {
        const uint32_t pxx = uint32_t(t.tx * s + xx);
        if (pxx >= image->width) break;
        const int32_t r = v[(0 * h + yy) * w + xx], g = v[(1 * h + yy) * w + xx], b = v[(2 * h + yy) * w + xx];
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

double rate_position(const ModelConfig& config, double quality) {
  return std::clamp(quality, 0.0, 100.0) / 100.0 * (config.rate_points() - 1);
}

}  // namespace

const std::string& CodecModel::model_id() const {
  return sprites ? sprites->net->config().model_id : bundle.net->config().model_id;
}

std::vector<GlobalFactorModel> CodecModel::global_factors() const {
  if (sprites) return sprite_global_factors(*sprites);
  return photo_global_factors(bundle.entropy.tables);
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

std::array<int32_t, kAppearanceFactorCount> appearance_symbols(const Image& image) {
  const AppearanceVector f = measure_appearance(image_planes(image));
  std::array<int32_t, kAppearanceFactorCount> symbols{};
  for (int k = 0; k < kAppearanceFactorCount; ++k) {
    const AppearanceFactorInfo& info = kAppearanceFactors[k];
    symbols[k] = int32_t(std::lround(std::clamp(f[k], info.min, info.max) / info.quant_step));
  }
  return symbols;
}

StatusOr<std::shared_ptr<CodecModel>> load_codec_model_bytes(const Bytes& bytes, const std::string& name) {
  FACET_ASSIGN_OR_RETURN(TensorFile file, decode_weights_file(bytes.data(), bytes.size()));
  auto model = std::make_shared<CodecModel>();
  auto format = file.metadata.find("facet.format");
  if (format != file.metadata.end() && format->second == "facet-sprites-1") {
    auto sprites = sprites_model_from_tensor_file(file);
    if (!sprites.ok()) return sprites.status().with_context("model " + name);
    model->sprites = std::make_shared<SpritesBundle>(std::move(sprites).value());
    model->hash = hash64(bytes.data(), bytes.size());
    model->path = name;
    return model;
  }
  auto bundle = model_from_tensor_file(file);
  if (!bundle.ok()) return bundle.status().with_context("model " + name);
  model->bundle = std::move(bundle).value();
  model->hash = hash64(bytes.data(), bytes.size());
  model->path = name;
  return model;
}

StatusOr<std::shared_ptr<CodecModel>> load_codec_model(const std::string& path) {
  FACET_ASSIGN_OR_RETURN(Bytes bytes, read_file(path, kMaxWeightsFileBytes));
  return load_codec_model_bytes(bytes, path);
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
  if (model.is_sprites()) return compress_sprite(image, *model.sprites, model.hash);
  FACET_RETURN_ERROR_IF(image.width > kFctMaxDimension || image.height > kFctMaxDimension, kLimitExceeded,
                        "image larger than 65535 pixels on a side");
  FACET_RETURN_ERROR_IF(!(options.quality >= 0 && options.quality <= 100), kInvalidArgument,
                        "quality must be in 0..100");
  FACET_RETURN_ERROR_IF(options.effort < kMinEffort || options.effort > kMaxEffort, kInvalidArgument,
                        "effort must be in " + std::to_string(kMinEffort) + ".." + std::to_string(kMaxEffort));
  PhotoModel& net = model.bundle.net;
  const ModelConfig& config = net->config();
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
  std::vector<Bytes> streams;

  auto start = Clock::now();
  const TransformPrecision precision = resolve_precision(options.precision, torch::kCPU);
  torch::Tensor x, y, z;
  Status status = guard_torch([&]() -> Status {
    torch::NoGradGuard no_grad;
    x = image_to_tensor(image);
    const int ph = hyper_latent_extent(image.height) * kHyperStride - int(image.height);
    const int pw = hyper_latent_extent(image.width) * kHyperStride - int(image.width);
    if (ph || pw)
      x = torch::nn::functional::pad(
          x, torch::nn::functional::PadFuncOptions({0, pw, 0, ph}).mode(torch::kReplicate));
    return ok_status();
  });
  FACET_RETURN_IF_ERROR(status);
  FACET_ASSIGN_OR_RETURN(y, tiled_analysis(net, x, options.tile_latents, options.threads, precision));
  status = guard_torch([&]() -> Status {
    torch::NoGradGuard no_grad;
    OneLibTorchThread one;  // the hyper-analysis too computes the same numbers for any thread count
    const double position = rate_position(config, options.quality);
    y = (y * net->gain(position)).contiguous();
    z = torch::round(net->hyper_analysis(y)).to(torch::kInt32).contiguous();
    return ok_status();
  });
  FACET_RETURN_IF_ERROR(status);
  t.analysis_s = since(start);
  if (options.effort > kMinEffort) {
    start = Clock::now();
    FACET_ASSIGN_OR_RETURN(y, refine_latents(net, x, int(image.height), int(image.width), y, z,
                                             rate_position(config, options.quality), effort_settings(options.effort),
                                             options.tile_latents, options.threads, precision, options.progress));
    y = y.contiguous();
    t.refine_s = since(start);
  }

  start = Clock::now();
  const int zh = int(z.size(2)), zw = int(z.size(3)), hn = config.hyper_n;
  std::vector<int32_t> z_symbols(z.data_ptr<int32_t>(), z.data_ptr<int32_t>() + z.numel());
  FACET_ASSIGN_OR_RETURN(HyperSynthesisResult hs,
                         run_hyper_synthesis(model.bundle.entropy.hyper_synthesis, z_symbols, zh, zw, options.threads));
  t.hyper_s = since(start);

  start = Clock::now();
  FactorEntry hyper{kHyperStream, FactorKind::kHyper, StreamCoder::kRansFactorized, ElementType::kI32,
                    {uint32_t(hn), uint32_t(zh), uint32_t(zw)}, 1.0f};
  FACET_ASSIGN_OR_RETURN(Bytes hyper_stream,
                         encode_rans_stream(hyper, z_symbols, channel_indexes(hn, zh * zw),
                                            model.bundle.entropy.tables.z_tables));
  header.factors.push_back(hyper);
  streams.push_back(std::move(hyper_stream));

  // The coded groups in order (FORMAT.md §5.6): with group context each group's mean and indexes
  // come from the values of the groups before it as the decoder will hold them (§5.6.2).
  const EntropyModel& entropy = model.bundle.entropy;
  const int lh = int(y.size(2)), lw = int(y.size(3));
  const size_t plane = size_t(lh) * lw;
  const float* yv = y.data_ptr<float>();
  std::vector<float> decoded = hs.means.data;
  for (int k = 0; k < config.coded_groups(); ++k) {
    auto context_start = Clock::now();
    FACET_ASSIGN_OR_RETURN(CodedGroupParameters params,
                           coded_group_parameters(config, entropy.group_context, entropy.tables.scale_thresholds, hs,
                                                  decoded, k, options.threads));
    t.hyper_s += since(context_start);
    const int channels = config.coded_group_channels(k);
    const size_t begin = size_t(config.coded_group_first_channel(k)) * plane, count = size_t(channels) * plane;
    std::vector<int32_t> symbols(count);
    for (size_t i = 0; i < count; ++i) {
      symbols[i] = int32_t(std::lround(std::clamp(yv[begin + i] - params.means[i], -1e9f, 1e9f)));
      decoded[begin + i] = params.means[i] + float(symbols[i]);
    }
    FactorEntry entry{coded_group_stream_name(config, k), FactorKind::kSpatial, StreamCoder::kRansGaussian,
                      ElementType::kI32, {uint32_t(channels), uint32_t(lh), uint32_t(lw)}, 1.0f};
    entry.context = coded_group_context(config, k);
    FACET_ASSIGN_OR_RETURN(Bytes stream, encode_rans_stream(entry, symbols, params.indexes, entropy.tables.y_tables));
    header.factors.push_back(entry);
    streams.push_back(std::move(stream));
  }
  if (model.bundle.entropy.tables.has_appearance()) {
    const auto symbols = appearance_symbols(image);
    for (int k = 0; k < kAppearanceFactorCount; ++k) {
      const AppearanceFactorInfo& info = kAppearanceFactors[k];
      FactorEntry entry{info.name, FactorKind::kGlobal, StreamCoder::kShort, ElementType::kI32, {1},
                        float(info.quant_step)};
      const int32_t symbol = symbols[k];
      FACET_ASSIGN_OR_RETURN(Bytes stream, encode_short_stream(entry, {symbol}, {uint32_t(k)},
                                                               model.bundle.entropy.tables.appearance_tables));
      header.factors.push_back(entry);
      streams.push_back(std::move(stream));
    }
  }
  if (image.has_alpha()) {
    FactorEntry alpha;
    Bytes alpha_stream;
    FACET_RETURN_IF_ERROR(make_alpha_stream(image, &alpha, &alpha_stream));
    header.factors.push_back(alpha);
    streams.push_back(std::move(alpha_stream));
  }
  t.entropy_s = since(start);
  return write_fct(header, streams);
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
    return decompress_sprite(kept, *model.sprites);
  }
  PhotoModel& net = model.bundle.net;
  const ModelConfig& config = net->config();
  LatentDecodeOptions latent_options;
  latent_options.drop = options.drop;
  latent_options.spatial_scale = options.spatial_scale;
  latent_options.read_appearance = options.impose_appearance;
  latent_options.threads = options.threads;
  FACET_ASSIGN_OR_RETURN(PhotoLatents latents, decode_photo_latents(file, model.bundle.entropy, latent_options));
  t.entropy_s += latents.entropy_s;
  t.hyper_s = latents.hyper_s;
  std::vector<float>& y_hat = latents.y_hat;
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
  torch::Tensor y, scales;
  const double position = rate_position(config, h.quality / 100.0);
  Status status = guard_torch([&]() -> Status {
    torch::NoGradGuard no_grad;
    y = torch::from_blob(y_hat.data(), {1, config.m, lh, lw}, torch::kFloat32);
    y = (y * net->inverse_gain(position)).contiguous();
    scales = net->synthesis_scales(position);
    return ok_status();
  });
  FACET_RETURN_IF_ERROR(status);
  FACET_RETURN_IF_ERROR(tiled_synthesis(net, y, scales, options.tile_latents, options.threads,
                                        resolve_precision(options.precision, torch::kCPU), &image));
  if (!chroma_kept) to_luma(&image);  // no chroma: the grayscale image (FORMAT.md §5.6)
  if (impose) {
    // The decoder shows the stored appearance: the synthesized image is moved from its own
    // factors to the file's. Without chroma only the luminance factors apply.
    RgbPlanes planes = image_planes(image);
    AppearanceVector d{};
    const AppearanceVector now = measure_appearance(planes);
    for (int k = 0; k < kAppearanceFactorCount; ++k) d[k] = appearance[k] - now[k];
    if (!chroma_kept) d[2] = d[3] = d[4] = 0.0;
    apply_appearance_delta(planes, d);
    put_planes(planes, &image);
  }
  t.synthesis_s = since(start);

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
