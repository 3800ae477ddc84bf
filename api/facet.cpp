// libfacet: include/facet/facet.h on the codec (codec/codec.h). Every C++ error and exception
// stops here and becomes a facet_status with a per-thread message.
#include "facet/facet.h"

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <new>
#include <set>
#include <string>
#include <vector>

#include "api/facet_internal.h"
#include "bitstream/factor_edit.h"
#include "codec/codec.h"
#include "common/file_io.h"
#include "formats/container.h"
#include "formats/safetensors.h"

struct facet_model {
  std::shared_ptr<facet::CodecModel> model;
};

struct facet_file_info {
  facet::FctHeader header;
  uint64_t header_bytes = 0;
  bool has_values = false;
  std::vector<uint64_t> bytes;
  std::vector<int> has_value;
  std::vector<double> values;
  std::vector<std::string> kinds, coders, units, element_types, reads;
};

namespace {

using facet::ErrorCode;
using facet::Status;

thread_local std::string last_error;
thread_local facet::Status last_status;  // the failure as the codebase has it (api/facet_internal.h)

facet_status to_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return FACET_OK;
    case ErrorCode::kInvalidArgument: return FACET_ERROR_INVALID_ARGUMENT;
    case ErrorCode::kTruncated: return FACET_ERROR_TRUNCATED;
    case ErrorCode::kBadMagic: return FACET_ERROR_BAD_MAGIC;
    case ErrorCode::kUnsupportedVersion: return FACET_ERROR_UNSUPPORTED_VERSION;
    case ErrorCode::kChecksumMismatch: return FACET_ERROR_CHECKSUM;
    case ErrorCode::kLimitExceeded: return FACET_ERROR_LIMIT;
    case ErrorCode::kStreamOutOfRange:
    case ErrorCode::kStreamOverlap:
    case ErrorCode::kTrailingBytes:
    case ErrorCode::kCorrupt: return FACET_ERROR_CORRUPT;
    case ErrorCode::kUnsupported: return FACET_ERROR_UNSUPPORTED;
    case ErrorCode::kIo: return FACET_ERROR_IO;
    case ErrorCode::kInternal: return FACET_ERROR_INTERNAL;
  }
  return FACET_ERROR_INTERNAL;
}

facet::ErrorCode code_of(facet_status status) {
  switch (status) {
    case FACET_OK: return ErrorCode::kOk;
    case FACET_ERROR_INVALID_ARGUMENT: return ErrorCode::kInvalidArgument;
    case FACET_ERROR_TRUNCATED: return ErrorCode::kTruncated;
    case FACET_ERROR_BAD_MAGIC: return ErrorCode::kBadMagic;
    case FACET_ERROR_UNSUPPORTED_VERSION: return ErrorCode::kUnsupportedVersion;
    case FACET_ERROR_CHECKSUM: return ErrorCode::kChecksumMismatch;
    case FACET_ERROR_LIMIT: return ErrorCode::kLimitExceeded;
    case FACET_ERROR_CORRUPT: return ErrorCode::kCorrupt;
    case FACET_ERROR_UNSUPPORTED: return ErrorCode::kUnsupported;
    case FACET_ERROR_IO: return ErrorCode::kIo;
    case FACET_ERROR_INTERNAL: return ErrorCode::kInternal;
  }
  return ErrorCode::kInternal;
}

facet_status fail(const Status& status) {
  last_error = status.to_string();
  last_status = status;
  return to_status(status.code());
}

facet_status fail(facet_status status, const std::string& message) {
  last_error = message;
  last_status = facet::make_error(code_of(status), message);
  return status;
}

// Runs f (returning facet_status) with every exception turned into a status: nothing C++ crosses.
template <typename F>
facet_status guarded(F&& f) {
  last_error.clear();
  last_status = facet::ok_status();
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return fail(FACET_ERROR_LIMIT, "out of memory");
  } catch (const std::exception& e) {
    return fail(FACET_ERROR_INTERNAL, std::string("internal: ") + e.what());
  } catch (...) {
    return fail(FACET_ERROR_INTERNAL, "internal: unknown exception");
  }
}

facet::TransformPrecision precision_of(facet_precision p) {
  switch (p) {
    case FACET_PRECISION_FP32: return facet::TransformPrecision::kFp32;
    case FACET_PRECISION_BF16: return facet::TransformPrecision::kBf16;
    default: return facet::TransformPrecision::kAuto;
  }
}

bool valid_precision(facet_precision p) {
  return p == FACET_PRECISION_AUTO || p == FACET_PRECISION_FP32 || p == FACET_PRECISION_BF16;
}

facet_timings timings_of(const facet::CodingTimes& t) {
  facet_timings out;
  out.analysis = t.analysis_s;
  out.refine = t.refine_s;
  out.hyper = t.hyper_s;
  out.entropy = t.entropy_s;
  out.synthesis = t.synthesis_s;
  out.appearance = t.appearance_s;
  return out;
}

facet_status new_model(facet::StatusOr<std::shared_ptr<facet::CodecModel>> loaded, facet_model** model) {
  if (!loaded.ok()) return fail(loaded.status());
  auto* m = new facet_model;
  m->model = std::move(loaded).value();
  *model = m;
  return FACET_OK;
}

// Drops and settings of the decoder and of facet_edit, checked.
facet_status parse_edits(const facet_factor_setting* settings, size_t setting_count, const char* const* drop,
                         size_t drop_count, std::map<std::string, facet::FactorSetting>* parsed_settings,
                         std::set<std::string>* parsed_drops) {
  if ((setting_count && !settings) || (drop_count && !drop))
    return fail(FACET_ERROR_INVALID_ARGUMENT, "a count without its array");
  for (size_t i = 0; i < setting_count; ++i) {
    if (!settings[i].name) return fail(FACET_ERROR_INVALID_ARGUMENT, "a factor setting without a name");
    facet::FactorSetting s;
    s.value = settings[i].value;
    s.relative = settings[i].relative != 0;
    if (!parsed_settings->emplace(settings[i].name, s).second)
      return fail(FACET_ERROR_INVALID_ARGUMENT, std::string("factor '") + settings[i].name + "' is set twice");
  }
  for (size_t i = 0; i < drop_count; ++i) {
    if (!drop[i]) return fail(FACET_ERROR_INVALID_ARGUMENT, "a dropped factor without a name");
    parsed_drops->insert(drop[i]);
  }
  return FACET_OK;
}

// The file, parsed and edited (settings need its model).
facet_status edited_file(const facet_model* model, const uint8_t* data, size_t size,
                         const facet_factor_setting* settings, size_t setting_count, const char* const* drop,
                         size_t drop_count, facet::FctFile* out) {
  if (!data && size) return fail(FACET_ERROR_INVALID_ARGUMENT, "no data");
  std::map<std::string, facet::FactorSetting> parsed_settings;
  std::set<std::string> parsed_drops;
  if (facet_status s = parse_edits(settings, setting_count, drop, drop_count, &parsed_settings, &parsed_drops))
    return s;
  auto file = facet::read_fct(data, size);
  if (!file.ok()) return fail(file.status());
  std::vector<facet::GlobalFactorModel> globals;
  if (!parsed_settings.empty()) {
    if (!model) return fail(FACET_ERROR_INVALID_ARGUMENT, "setting a factor needs the file's model");
    if (model->model->hash != file->header.model_hash)
      return fail(FACET_ERROR_UNSUPPORTED, "the file needs model '" + file->header.model_id + "'; the loaded model " +
                                               model->model->path + " is '" + model->model->model_id() + "'");
    globals = model->model->global_factors();
  }
  Status edited = facet::edit_factors(*file, globals, parsed_settings, parsed_drops);
  if (!edited.ok()) return fail(edited);
  *out = std::move(file).value();
  return FACET_OK;
}

// The decoded image of a file: 8-bit samples, or with keep_depth a 16-bit alpha's depth.
facet_status decode(const facet_model* model, const uint8_t* data, size_t size,
                    const facet_decompress_options* options, facet::Image* out, bool keep_depth = false) {
  if (!model) return fail(FACET_ERROR_INVALID_ARGUMENT, "no model");
  facet_decompress_options defaults;
  facet_decompress_options_init(&defaults);
  const facet_decompress_options& o = options ? *options : defaults;
  if (o.threads < 1 || o.threads > 1024) return fail(FACET_ERROR_INVALID_ARGUMENT, "threads must be 1..1024");
  if (!valid_precision(o.precision)) return fail(FACET_ERROR_INVALID_ARGUMENT, "unknown precision");
  facet::FctFile file;
  if (facet_status s = edited_file(model, data, size, o.settings, o.setting_count, o.drop, o.drop_count, &file))
    return s;
  if (o.tile < 0 || o.tile > 4096) return fail(FACET_ERROR_INVALID_ARGUMENT, "tile must be 0..4096");
  facet::DecompressOptions d;
  d.threads = o.threads;
  d.precision = precision_of(o.precision);
  d.tile_latents = o.tile;
  d.impose_appearance = o.as_synthesized == 0;
  facet::CodingTimes times;
  auto image = facet::decompress_fct(file, *model->model, d, &times);
  if (!image.ok()) return fail(image.status());
  if (image->bit_depth == 16 && !keep_depth) {
    for (uint16_t& v : image->samples) v = uint16_t((uint32_t(v) * 255 + 32767) / 65535);
    image->bit_depth = 8;
  }
  if (o.timings) *o.timings = timings_of(times);
  *out = std::move(image).value();
  return FACET_OK;
}

void copy_rows(const facet::Image& image, uint8_t* pixels, size_t stride) {
  const size_t row = size_t(image.width) * image.channels;
  for (uint32_t y = 0; y < image.height; ++y) {
    const uint16_t* src = &image.samples[size_t(y) * row];
    uint8_t* dst = pixels + size_t(y) * stride;
    for (size_t i = 0; i < row; ++i) dst[i] = uint8_t(src[i]);
  }
}

// Where the library itself lies, for the installed model beside it.
std::string library_directory() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&facet_version_number), &info) && info.dli_fname) {
    std::error_code ec;
    auto path = std::filesystem::canonical(info.dli_fname, ec);
    if (!ec) return path.parent_path().string();
  }
  return {};
}

}  // namespace

extern "C" {

unsigned facet_version_number(void) { return FACET_VERSION_NUMBER; }

const char* facet_version_string(void) {
#define FACET_STRINGIFY2(x) #x
#define FACET_STRINGIFY(x) FACET_STRINGIFY2(x)
  return FACET_STRINGIFY(FACET_VERSION_MAJOR) "." FACET_STRINGIFY(FACET_VERSION_MINOR) "." FACET_STRINGIFY(
      FACET_VERSION_PATCH);
}

const char* facet_last_error(void) { return last_error.c_str(); }

const char* facet_status_name(facet_status status) {
  switch (status) {
    case FACET_OK: return "ok";
    case FACET_ERROR_INVALID_ARGUMENT: return "invalid-argument";
    case FACET_ERROR_TRUNCATED: return "truncated";
    case FACET_ERROR_BAD_MAGIC: return "bad-magic";
    case FACET_ERROR_UNSUPPORTED_VERSION: return "unsupported-version";
    case FACET_ERROR_CHECKSUM: return "checksum-mismatch";
    case FACET_ERROR_LIMIT: return "limit-exceeded";
    case FACET_ERROR_CORRUPT: return "corrupt";
    case FACET_ERROR_UNSUPPORTED: return "unsupported";
    case FACET_ERROR_IO: return "io";
    case FACET_ERROR_INTERNAL: return "internal";
  }
  return "unknown";
}

void facet_free(void* buffer) { std::free(buffer); }

facet_status facet_model_load(const char* path, facet_model** model) {
  return guarded([&] {
    if (!path || !model) return fail(FACET_ERROR_INVALID_ARGUMENT, "no path or no model pointer");
    return new_model(facet::load_codec_model(path), model);
  });
}

facet_status facet_model_load_bytes(const void* data, size_t size, facet_model** model) {
  return guarded([&] {
    if ((!data && size) || !model) return fail(FACET_ERROR_INVALID_ARGUMENT, "no data or no model pointer");
    const auto* bytes = static_cast<const uint8_t*>(data);
    return new_model(facet::load_codec_model_bytes(facet::Bytes(bytes, bytes + size), "(bytes)"), model);
  });
}

facet_status facet_model_load_default(facet_model** model) {
  return guarded([&] {
    if (!model) return fail(FACET_ERROR_INVALID_ARGUMENT, "no model pointer");
    namespace fs = std::filesystem;
    std::vector<fs::path> candidates;
    if (const char* env = std::getenv("FACET_MODEL")) candidates.emplace_back(env);
    const std::string dir = library_directory();
    if (!dir.empty()) candidates.push_back(fs::path(dir).parent_path() / "share/facet/models" / facet::kDefaultModelFile);
    candidates.push_back(fs::path(FACET_INSTALL_MODELS_DIR) / facet::kDefaultModelFile);  // the configured prefix
    candidates.push_back(fs::path(FACET_SOURCE_MODELS_DIR) / facet::kDefaultModelFile);   // the build tree
    std::string tried;
    for (const auto& c : candidates) {
      std::error_code ec;
      if (fs::is_regular_file(c, ec)) return new_model(facet::load_codec_model(c.string()), model);
      tried += "\n  " + c.string();
    }
    return fail(FACET_ERROR_IO, "no model found (set FACET_MODEL); tried:" + tried);
  });
}

void facet_model_free(facet_model* model) { delete model; }

const char* facet_model_id(const facet_model* model) { return model ? model->model->model_id().c_str() : ""; }

void facet_compress_options_init(facet_compress_options* options) {
  if (!options) return;
  options->quality = 75;
  options->effort = 1;
  options->threads = 1;
  options->precision = FACET_PRECISION_AUTO;
  options->tile = 32;
  options->progress = nullptr;
  options->progress_user = nullptr;
  options->timings = nullptr;
}

facet_status facet_compress(const facet_model* model, const uint8_t* pixels, uint32_t width, uint32_t height,
                            uint32_t channels, size_t stride, const facet_compress_options* options, uint8_t** out,
                            size_t* out_size) {
  facet_image image;
  image.pixels = const_cast<uint8_t*>(pixels);
  image.width = width;
  image.height = height;
  image.channels = channels;
  image.bits = 8;
  image.stride = stride;
  return facet_compress_image(model, &image, options, out, out_size);
}

facet_status facet_compress_image(const facet_model* model, const facet_image* image, const facet_compress_options* options,
                                  uint8_t** out, size_t* out_size) {
  return guarded([&] {
    if (!model || !image || !image->pixels || !out || !out_size)
      return fail(FACET_ERROR_INVALID_ARGUMENT, "no model, pixels or output pointer");
    const uint32_t channels = image->channels, width = image->width, height = image->height;
    if (channels < 1 || channels > 4) return fail(FACET_ERROR_INVALID_ARGUMENT, "channels must be 1..4");
    if (image->bits != 8 && image->bits != 16) return fail(FACET_ERROR_INVALID_ARGUMENT, "bits must be 8 or 16");
    const size_t sample = image->bits / 8, row = size_t(width) * channels;
    const size_t stride = image->stride ? image->stride : row * sample;
    if (stride < row * sample) return fail(FACET_ERROR_INVALID_ARGUMENT, "stride below width * channels * bytes per sample");
    facet_compress_options defaults;
    facet_compress_options_init(&defaults);
    const facet_compress_options& o = options ? *options : defaults;
    if (o.threads < 1 || o.threads > 1024) return fail(FACET_ERROR_INVALID_ARGUMENT, "threads must be 1..1024");
    if (!valid_precision(o.precision)) return fail(FACET_ERROR_INVALID_ARGUMENT, "unknown precision");
    if (o.tile < 0 || o.tile > 4096) return fail(FACET_ERROR_INVALID_ARGUMENT, "tile must be 0..4096");
    auto converted = facet::make_image(width, height, uint8_t(channels), uint8_t(image->bits));
    if (!converted.ok()) return fail(converted.status());
    const auto* bytes = static_cast<const uint8_t*>(image->pixels);
    for (uint32_t y = 0; y < height; ++y) {
      uint16_t* dst = &converted->samples[size_t(y) * row];
      if (sample == 1) {
        for (size_t i = 0; i < row; ++i) dst[i] = bytes[size_t(y) * stride + i];
      } else {
        std::memcpy(dst, bytes + size_t(y) * stride, row * sizeof(uint16_t));
      }
    }
    facet::CompressOptions c;
    c.quality = o.quality;
    c.effort = o.effort;
    c.threads = o.threads;
    c.tile_latents = o.tile;
    c.precision = precision_of(o.precision);
    if (o.progress) {
      c.progress = [fn = o.progress, user = o.progress_user](const facet::RefineProgress& p) {
        facet_progress progress{p.tile, p.tiles, p.iteration, p.iterations, p.bpp, p.psnr, p.objective, p.best_objective};
        fn(user, &progress);
      };
    }
    facet::CodingTimes times;
    auto file = facet::compress_image(*converted, *model->model, c, &times);
    if (!file.ok()) return fail(file.status());
    auto* buffer = static_cast<uint8_t*>(std::malloc(file->size() ? file->size() : 1));
    if (!buffer) return fail(FACET_ERROR_LIMIT, "out of memory");
    std::memcpy(buffer, file->data(), file->size());
    *out = buffer;
    *out_size = file->size();
    if (o.timings) *o.timings = timings_of(times);
    return FACET_OK;
  });
}

void facet_decompress_options_init(facet_decompress_options* options) {
  if (!options) return;
  options->threads = 1;
  options->precision = FACET_PRECISION_AUTO;
  options->drop = nullptr;
  options->drop_count = 0;
  options->settings = nullptr;
  options->setting_count = 0;
  options->tile = 32;
  options->as_synthesized = 0;
  options->timings = nullptr;
}

facet_status facet_image_size(const uint8_t* data, size_t size, uint32_t* width, uint32_t* height,
                              uint32_t* channels) {
  return guarded([&] {
    if ((!data && size) || !width || !height || !channels)
      return fail(FACET_ERROR_INVALID_ARGUMENT, "no data or output pointer");
    auto header = facet::read_fct_header(data, size);
    if (!header.ok()) return fail(header.status());
    *width = header->width;
    *height = header->height;
    *channels = header->channels;
    return FACET_OK;
  });
}

facet_status facet_decompress(const facet_model* model, const uint8_t* data, size_t size,
                              const facet_decompress_options* options, uint8_t** pixels, uint32_t* width,
                              uint32_t* height, uint32_t* channels) {
  return guarded([&] {
    if (!pixels || !width || !height || !channels) return fail(FACET_ERROR_INVALID_ARGUMENT, "no output pointer");
    facet::Image image;
    if (facet_status s = decode(model, data, size, options, &image)) return s;
    const size_t bytes = image.samples.size();
    auto* buffer = static_cast<uint8_t*>(std::malloc(bytes ? bytes : 1));
    if (!buffer) return fail(FACET_ERROR_LIMIT, "out of memory");
    copy_rows(image, buffer, size_t(image.width) * image.channels);
    *pixels = buffer;
    *width = image.width;
    *height = image.height;
    *channels = image.channels;
    return FACET_OK;
  });
}

facet_status facet_decompress_image(const facet_model* model, const uint8_t* data, size_t size,
                                    const facet_decompress_options* options, facet_image* out) {
  return guarded([&] {
    if (!out) return fail(FACET_ERROR_INVALID_ARGUMENT, "no output pointer");
    facet::Image image;
    if (facet_status s = decode(model, data, size, options, &image, /*keep_depth=*/true)) return s;
    const size_t samples = image.samples.size(), bytes = samples * (image.bit_depth / 8);
    auto* buffer = static_cast<uint8_t*>(std::malloc(bytes ? bytes : 1));
    if (!buffer) return fail(FACET_ERROR_LIMIT, "out of memory");
    if (image.bit_depth == 16) {
      std::memcpy(buffer, image.samples.data(), bytes);
    } else {
      for (size_t i = 0; i < samples; ++i) buffer[i] = uint8_t(image.samples[i]);
    }
    out->pixels = buffer;
    out->width = image.width;
    out->height = image.height;
    out->channels = image.channels;
    out->bits = image.bit_depth;
    out->stride = size_t(image.width) * image.channels * (image.bit_depth / 8);
    return FACET_OK;
  });
}

facet_status facet_decompress_into(const facet_model* model, const uint8_t* data, size_t size,
                                   const facet_decompress_options* options, uint8_t* pixels, size_t capacity,
                                   size_t stride) {
  return guarded([&] {
    if (!pixels) return fail(FACET_ERROR_INVALID_ARGUMENT, "no pixel buffer");
    auto header = facet::read_fct_header(data, size);
    if (!header.ok()) return fail(header.status());
    const size_t row = size_t(header->width) * header->channels;
    if (stride == 0) stride = row;
    if (stride < row) return fail(FACET_ERROR_INVALID_ARGUMENT, "stride below width * channels");
    if (capacity < stride * (header->height - 1) + row)
      return fail(FACET_ERROR_INVALID_ARGUMENT, "the buffer holds " + std::to_string(capacity) + " bytes; the image needs " +
                                                    std::to_string(stride * (header->height - 1) + row));
    facet::Image image;
    if (facet_status s = decode(model, data, size, options, &image)) return s;
    copy_rows(image, pixels, stride);
    return FACET_OK;
  });
}

facet_status facet_inspect(const facet_model* model, const uint8_t* data, size_t size, facet_file_info** info) {
  return guarded([&] {
    if ((!data && size) || !info) return fail(FACET_ERROR_INVALID_ARGUMENT, "no data or output pointer");
    auto file = facet::read_fct(data, size);
    if (!file.ok()) return fail(file.status());
    auto out = std::make_unique<facet_file_info>();
    out->header = file->header;
    auto header_bytes = facet::fct_header_size(file->header);
    if (!header_bytes.ok()) return fail(header_bytes.status());
    out->header_bytes = *header_bytes;
    std::map<std::string, std::pair<double, std::string>> values;
    if (model && model->model->hash == file->header.model_hash) {
      out->has_values = true;
      for (const facet::GlobalFactorModel& g : model->model->global_factors()) {
        if (file->header.find(g.name) < 0) continue;
        auto stored = facet::read_global_factor(*file, g);
        if (stored.ok()) values[g.name] = {g.to_user(*stored), g.unit};
      }
    }
    for (size_t i = 0; i < file->header.factors.size(); ++i) {
      const facet::FactorEntry& f = file->header.factors[i];
      out->bytes.push_back(file->streams[i].size());
      out->kinds.push_back(facet::factor_kind_name(f.kind));
      out->coders.push_back(facet::stream_coder_name(f.coder));
      out->element_types.push_back(facet::element_type_name(f.element_type));
      std::string reads;
      for (const std::string& name : f.context) reads += (reads.empty() ? "" : ",") + name;
      out->reads.push_back(reads);
      auto v = values.find(f.name);
      out->has_value.push_back(v != values.end());
      out->values.push_back(v != values.end() ? v->second.first : 0.0);
      out->units.push_back(v != values.end() ? v->second.second : std::string());
    }
    *info = out.release();
    return FACET_OK;
  });
}

void facet_file_info_free(facet_file_info* info) { delete info; }
uint32_t facet_file_info_width(const facet_file_info* info) { return info ? info->header.width : 0; }
uint32_t facet_file_info_height(const facet_file_info* info) { return info ? info->header.height : 0; }
uint32_t facet_file_info_channels(const facet_file_info* info) { return info ? info->header.channels : 0; }
double facet_file_info_quality(const facet_file_info* info) { return info ? info->header.quality / 100.0 : 0; }
uint32_t facet_file_info_format_version(const facet_file_info* info) { return info ? info->header.version : 0; }
const char* facet_file_info_model_id(const facet_file_info* info) { return info ? info->header.model_id.c_str() : ""; }
size_t facet_file_info_factor_count(const facet_file_info* info) { return info ? info->header.factors.size() : 0; }
uint64_t facet_file_info_model_hash(const facet_file_info* info) { return info ? info->header.model_hash : 0; }
uint32_t facet_file_info_source_bit_depth(const facet_file_info* info) { return info ? info->header.source_bit_depth : 0; }
uint64_t facet_file_info_header_bytes(const facet_file_info* info) { return info ? info->header_bytes : 0; }
int facet_file_info_has_values(const facet_file_info* info) { return info && info->has_values; }

facet_status facet_file_info_factor(const facet_file_info* info, size_t index, facet_factor* factor) {
  return guarded([&] {
    if (!info || !factor) return fail(FACET_ERROR_INVALID_ARGUMENT, "no info or factor pointer");
    if (index >= info->header.factors.size())
      return fail(FACET_ERROR_INVALID_ARGUMENT, "factor " + std::to_string(index) + " of " +
                                                    std::to_string(info->header.factors.size()));
    factor->name = info->header.factors[index].name.c_str();
    factor->kind = info->kinds[index].c_str();
    factor->coder = info->coders[index].c_str();
    factor->bytes = info->bytes[index];
    factor->has_value = info->has_value[index];
    factor->value = info->values[index];
    const facet::FactorEntry& f = info->header.factors[index];
    factor->unit = info->units[index].c_str();
    factor->element_type = info->element_types[index].c_str();
    factor->rank = uint32_t(std::min<size_t>(f.shape.size(), 4));
    for (uint32_t d = 0; d < 4; ++d) factor->shape[d] = d < factor->rank ? f.shape[d] : 0;
    factor->quant_step = f.quant_step;
    factor->offset = f.offset;
    factor->checksum = f.checksum;
    factor->reads = info->reads[index].c_str();
    return FACET_OK;
  });
}

facet_status facet_edit(const facet_model* model, const uint8_t* data, size_t size,
                        const facet_factor_setting* settings, size_t setting_count, const char* const* drop,
                        size_t drop_count, uint8_t** out, size_t* out_size) {
  return guarded([&] {
    if (!out || !out_size) return fail(FACET_ERROR_INVALID_ARGUMENT, "no output pointer");
    facet::FctFile file;
    if (facet_status s = edited_file(model, data, size, settings, setting_count, drop, drop_count, &file)) return s;
    auto bytes = facet::write_fct(file.header, file.streams);
    if (!bytes.ok()) return fail(bytes.status());
    auto* buffer = static_cast<uint8_t*>(std::malloc(bytes->size() ? bytes->size() : 1));
    if (!buffer) return fail(FACET_ERROR_LIMIT, "out of memory");
    std::memcpy(buffer, bytes->data(), bytes->size());
    *out = buffer;
    *out_size = bytes->size();
    return FACET_OK;
  });
}

}  // extern "C"

// ---- api/facet_internal.h ----

facet_model* facet_model_wrap(std::shared_ptr<facet::CodecModel> model) {
  auto* m = new facet_model;
  m->model = std::move(model);
  return m;
}

facet::Status facet_last_status() { return last_status; }
