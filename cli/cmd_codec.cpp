// facet compress / facet decompress: image <-> .fct with a photo model.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <thread>
#include <unistd.h>

#include "batch/batch.h"
#include "cli/cli_common.h"
#include "cli/commands.h"
#include "codec/codec.h"
#include "common/file_io.h"
#include "formats/image_io.h"

namespace facet::cli {
namespace {

struct CodecCommandOptions {
  std::string input, output, model;
  double quality = 75;
  int effort = kMinEffort;
  int threads = 0;
  int tile = 32;
  TransformPrecision precision = TransformPrecision::kAuto;
  TransformsBackend backend = TransformsBackend::kOnednn;
  bool force = false;
  bool verbose = false;
  std::vector<std::string> set, drop;  // decompress: factor edits applied before decoding
  bool as_synthesized = false;
  std::string shard = "1/1", manifest;  // a directory: the shard to code and its manifest
  bool psnr = false;                    // a directory (compress): PSNR of each file in the manifest
};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// A progress bar on a terminal (stderr), nothing otherwise.
void draw_progress(size_t done, size_t total, const std::string& path) {
  static const bool terminal = isatty(fileno(stderr));
  if (!terminal || total == 0) return;
  const int width = 30, filled = int(width * done / total);
  std::string shown = path.size() > 40 ? "..." + path.substr(path.size() - 37) : path;
  std::fprintf(stderr, "\r[%s%s] %zu/%zu %-40s", std::string(size_t(filled), '#').c_str(),
               std::string(size_t(width - filled), ' ').c_str(), done, total, shown.c_str());
  if (done == total) std::fprintf(stderr, "\n");
  std::fflush(stderr);
}

// facet compress DIR -o OUTDIR / facet decompress DIR -o OUTDIR (batch/batch.h).
int run_batch_command(const CodecCommandOptions& o, BatchDirection direction, int threads) {
  auto shard = parse_shard(o.shard);
  if (!shard.ok()) return report_error(shard.status());
  auto model = load_model_option(o.model, o.backend);
  if (!model.ok()) return report_error(model.status());
  BatchOptions b;
  b.direction = direction;
  b.input_dir = o.input;
  b.output_dir = o.output;
  b.shard = *shard;
  b.manifest = o.manifest;
  b.measure_psnr = o.psnr;
  b.compress.quality = o.quality;
  b.compress.effort = o.effort;
  b.compress.threads = threads;
  b.compress.tile_latents = o.tile;
  b.compress.precision = o.precision;
  b.decompress.threads = threads;
  b.decompress.tile_latents = o.tile;
  b.decompress.precision = o.precision;
  b.decompress.impose_appearance = !o.as_synthesized;
  auto edits = parse_edit_options(o.set, o.drop);
  if (!edits.ok()) return report_error(edits.status());
  b.settings = edits->settings;
  b.drops = edits->drops;
  b.progress = draw_progress;
  const auto start = std::chrono::steady_clock::now();
  auto summary = run_batch(b, **model);
  if (!summary.ok()) return report_error(summary.status());
  std::fprintf(stderr,
               "facet: shard %d/%d: %zu files: %zu coded, %zu skipped (done before), %zu failed; %llu -> %llu bytes; "
               "%.1f s; manifest %s\n",
               b.shard.index, b.shard.count, summary->files, summary->coded, summary->skipped, summary->failed,
               (unsigned long long)summary->input_bytes, (unsigned long long)summary->output_bytes,
               seconds_since(start), summary->manifest.c_str());
  return summary->failed == 0 ? kExitOk : kExitBadData;
}

bool is_directory(const std::string& path) {
  std::error_code ec;
  return path != "-" && std::filesystem::is_directory(path, ec);
}

facet_precision api_precision(TransformPrecision p) {
  switch (p) {
    case TransformPrecision::kFp32: return FACET_PRECISION_FP32;
    case TransformPrecision::kBf16: return FACET_PRECISION_BF16;
    default: return FACET_PRECISION_AUTO;
  }
}

// One image through the C API (facet_compress_image): the command line is built on it.
int run_compress(const CodecCommandOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  const int threads = resolve_threads(o.threads);
  if (o.effort > kMinEffort && !has_libtorch()) return run_with_libtorch("effort " + std::to_string(o.effort));
  if (is_directory(o.input)) return run_batch_command(o, BatchDirection::kCompress, threads);
  // The model first: a command handed to facet-torch must not have read standard input.
  auto loaded = load_model_option(o.model, o.backend);
  if (!loaded.ok()) return report_error(loaded.status());
  const std::string backend = (*loaded)->transforms ? (*loaded)->transforms->backend_name() : "sprites";
  ApiModel model = api_model(*loaded);
  const double load_s = seconds_since(start);
  const auto read_start = std::chrono::steady_clock::now();
  auto input = read_file(o.input);
  if (!input.ok()) return report_error(input.status());
  auto image = decode_image(input->data(), input->size());
  if (!image.ok()) return report_error(image.status().with_context(o.input));
  // The samples as the API takes them: bytes, or 16-bit words as they are.
  std::vector<uint8_t> bytes;
  facet_image pixels{};
  pixels.width = image->width;
  pixels.height = image->height;
  pixels.channels = image->channels;
  pixels.bits = image->bit_depth;
  if (image->bit_depth == 8) {
    bytes.assign(image->samples.begin(), image->samples.end());
    pixels.pixels = bytes.data();
  } else {
    pixels.pixels = image->samples.data();
  }
  const double read_s = seconds_since(read_start);
  facet_compress_options options;
  facet_compress_options_init(&options);
  options.quality = o.quality;
  options.effort = o.effort;
  options.threads = threads;
  options.tile = o.tile;
  options.precision = api_precision(o.precision);
  if (o.effort > kMinEffort)
    options.progress = [](void*, const facet_progress* p) {
      if (p->tile < 0) {  // the hyper-latents' stage, the whole image
        std::fprintf(stderr, "refine: hyper-latents, iteration %d/%d: %.4f bpp (latents and hyper-latents, best %.4f)\n",
                     p->iteration, p->iterations, p->bpp, p->best_objective);
        return;
      }
      std::fprintf(stderr, "refine: tile %d/%d, iteration %d/%d: %.4f bpp (latents), %.2f dB, objective %.4f (best %.4f)\n",
                   p->tile + 1, p->tiles, p->iteration, p->iterations, p->bpp, p->psnr, p->objective,
                   p->best_objective);
    };
  facet_timings times{};
  options.timings = &times;
  uint8_t* encoded = nullptr;
  size_t encoded_size = 0;
  if (facet_compress_image(model.get(), &pixels, &options, &encoded, &encoded_size) != FACET_OK)
    return report_error(api_error().with_context(o.input));
  std::unique_ptr<uint8_t, void (*)(void*)> owned(encoded, facet_free);
  WriteOptions write;
  write.overwrite = o.force;
  Status written = write_file_atomic(o.output, encoded, encoded_size, write);
  if (!written.ok()) return report_error(written);
  if (o.verbose) {
    std::fprintf(stderr,
                 "%s: %ux%u, %zu bytes, %.4f bpp, q %.1f, effort %d, %d threads, %s: model %.3f s, read %.3f s, "
                 "analysis %.3f s, refine %.3f s, hyper %.3f s, entropy %.3f s, appearance %.3f s, total %.3f s\n",
                 o.output.c_str(), image->width, image->height, encoded_size,
                 8.0 * encoded_size / double(image->pixel_count()), o.quality, o.effort, threads, backend.c_str(),
                 load_s, read_s, times.analysis, times.refine, times.hyper, times.entropy, times.appearance,
                 seconds_since(start));
  }
  return kExitOk;
}

// One file through the C API (facet_decompress_image), then PNG.
int run_decompress(const CodecCommandOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  const int threads = resolve_threads(o.threads);
  if (is_directory(o.input)) return run_batch_command(o, BatchDirection::kDecompress, threads);
  // The model first: a command handed to facet-torch must not have read standard input.
  auto loaded = load_model_option(o.model, o.backend);
  if (!loaded.ok()) return report_error(loaded.status());
  const std::string backend = (*loaded)->transforms ? (*loaded)->transforms->backend_name() : "sprites";
  ApiModel model = api_model(*loaded);
  const double load_s = seconds_since(start);
  auto input = read_file(o.input);
  if (!input.ok()) return report_error(input.status());
  auto edits = parse_edit_options(o.set, o.drop);
  if (!edits.ok()) return report_error(edits.status());
  const ApiEdits api = api_edits(*edits);
  facet_decompress_options options;
  facet_decompress_options_init(&options);
  options.threads = threads;
  options.tile = o.tile;
  options.precision = api_precision(o.precision);
  options.as_synthesized = o.as_synthesized ? 1 : 0;
  options.settings = api.settings.data();
  options.setting_count = api.settings.size();
  options.drop = api.drops.data();
  options.drop_count = api.drops.size();
  facet_timings times{};
  options.timings = &times;
  facet_image decoded{};
  if (facet_decompress_image(model.get(), input->data(), input->size(), &options, &decoded) != FACET_OK)
    return report_error(api_error().with_context(o.input));
  std::unique_ptr<void, void (*)(void*)> owned(decoded.pixels, facet_free);
  auto image = make_image(decoded.width, decoded.height, uint8_t(decoded.channels), uint8_t(decoded.bits));
  if (!image.ok()) return report_error(image.status());
  if (decoded.bits == 16) {
    std::memcpy(image->samples.data(), decoded.pixels, image->samples.size() * sizeof(uint16_t));
  } else {
    const auto* samples = static_cast<const uint8_t*>(decoded.pixels);
    std::copy(samples, samples + image->samples.size(), image->samples.begin());
  }
  const auto write_start = std::chrono::steady_clock::now();
  auto png = encode_png(*image);
  if (!png.ok()) return report_error(png.status());
  WriteOptions write;
  write.overwrite = o.force;
  Status written = write_file_atomic(o.output, *png, write);
  if (!written.ok()) return report_error(written);
  if (o.verbose) {
    std::fprintf(stderr,
                 "%s: %ux%u from %zu bytes (%.4f bpp), %d threads, %s: model %.3f s, entropy %.3f s, hyper %.3f s, "
                 "synthesis %.3f s, appearance %.3f s, write %.3f s, total %.3f s\n",
                 o.output.c_str(), image->width, image->height, input->size(),
                 8.0 * input->size() / double(image->pixel_count()), threads, backend.c_str(), load_s, times.entropy,
                 times.hyper, times.synthesis, times.appearance, seconds_since(write_start), seconds_since(start));
  }
  return kExitOk;
}

void add_common(CLI::App* cmd, CodecCommandOptions& o) {
  cmd->add_option("-o,--output", o.output, "Output file ('-' for standard output)")->required();
  cmd->add_option("--model", o.model, "Weights file (default: the shipped model)");
  cmd->add_option("--threads", o.threads, "Threads (default: all cores)")->check(CLI::Range(0, 1024));
  cmd->add_option("--tile", o.tile,
                  "Tile edge in latents (16 px each): tiles bound the memory and are what the threads share; "
                  "0 = the whole image on one thread")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  cmd->add_option("--precision", o.precision,
                  "Transforms' arithmetic: auto (bf16 where the CPU has avx512_bf16 or amx_bf16), fp32 (the "
                  "reference path) or bf16")
      ->transform(CLI::CheckedTransformer(precision_names(), CLI::ignore_case))
      ->default_str("auto");
  cmd->add_option("--backend", o.backend,
                  "What runs the transforms: onednn (the default, no LibTorch) or libtorch (the reference; "
                  "runs in facet-torch)")
      ->transform(CLI::CheckedTransformer(backend_names(), CLI::ignore_case))
      ->default_str("onednn");
  cmd->add_flag("-f,--force", o.force, "Overwrite an existing output");
  cmd->add_flag("-v,--verbose", o.verbose, "Print size, bpp and timings to stderr");
  cmd->add_option("--shard", o.shard,
                  "INPUT a directory: code only shard K of N (K/N, 1-based; e.g. a job array's task), chosen by "
                  "a hash of each file's relative path")
      ->capture_default_str();
  cmd->add_option("--manifest", o.manifest,
                  "INPUT a directory: the JSON-lines manifest (default OUTDIR/facet-manifest[-K-of-N].jsonl)");
}

}  // namespace

void add_codec_commands(CLI::App& app, Runner* run) {
  auto c = std::make_shared<CodecCommandOptions>();
  CLI::App* compress = app.add_subcommand("compress", "Compress an image (PNG, JPEG, WebP, BMP, TIFF, PPM) to .fct");
  compress->add_option("INPUT", c->input,
                       "Image file ('-' for standard input), or a directory: every image under it is compressed "
                       "to the same relative path under -o (resumable, --shard)")
      ->required();
  compress->add_option("-q,--quality", c->quality, "Quality 0..100 (continuous)")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  compress->add_option("-e,--effort", c->effort,
                       "Encoder effort " + std::to_string(kMinEffort) + ".." + std::to_string(kMaxEffort) +
                           ": 1 is the analysis transform alone; higher efforts refine the latents for this image "
                           "(slower encoding, fewer bits for the same quality; the same decoder)")
      ->check(CLI::Range(kMinEffort, kMaxEffort))
      ->capture_default_str();
  add_common(compress, *c);
  compress->add_flag("--psnr", c->psnr, "INPUT a directory: decode each file again and record its PSNR in the manifest");
  compress->footer("Examples:\n  facet compress photo.png -o photo.fct -q 60\n  facet compress photos/ -o archive/ -q 60 --shard 3/8\n  facet compress photo.png -o photo.fct -q 60 --effort 3\n  cat photo.png | facet compress - -o - > photo.fct");
  compress->callback([c, run] { *run = [c] { return run_compress(*c); }; });

  auto d = std::make_shared<CodecCommandOptions>();
  CLI::App* decompress = app.add_subcommand("decompress", "Decompress a .fct file to PNG");
  decompress->add_option("INPUT", d->input,
                         "Facet file ('-' for standard input), or a directory: every .fct under it is decoded to "
                         "the same relative path (.png) under -o (resumable, --shard)")
      ->required();
  add_common(decompress, *d);
  decompress->add_option("--set", d->set, "Change a global factor before decoding: NAME=VALUE, NAME=+DELTA, NAME:=VALUE");
  decompress->add_option("--drop", d->drop, "Decode without this factor (its prior mean instead)");
  decompress->add_flag("--as-synthesized", d->as_synthesized,
                       "Show the synthesis output as is, without moving it to the stored appearance factors");
  decompress->footer("Examples:\n  facet decompress photo.fct -o photo.png -v\n"
                     "  facet decompress photo.fct -o warm.png --set temperature=+0.5 --drop structure.2");
  decompress->callback([d, run] { *run = [d] { return run_decompress(*d); }; });
}

}  // namespace facet::cli
