// facet rd: rate-distortion of the Facet model against JPEG / WebP / JPEG XL / AVIF on a directory
// of images, with Bjøntegaard deltas, published reference curves, JSON / CSV reports and a plot.
#include <ATen/Parallel.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <thread>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "codec/codec.h"
#include "common/file_io.h"
#include "eval/baselines.h"
#include "eval/metrics.h"
#include "eval/rd_plot.h"
#include "eval/rd_sweep.h"
#include "eval/variants.h"
#include "formats/image_io.h"

namespace facet::cli {
namespace {

struct RdOptions {
  std::string directory, model, reference, anchor = "jpeg";
  // The whole range of the model: 0 and 100 are its lowest and highest trained rate points.
  std::vector<double> qualities = {0, 15, 30, 45, 60, 75, 90, 100};
  std::vector<int> efforts = {kMinEffort};
  std::vector<std::string> baselines = {"jpeg", "webp", "jxl", "avif"};
  std::vector<std::string> variants = {"full"};
  std::string json, csv, plot;
  int jobs = 1;
  int threads = 0;
  int tile = 32;
  TransformPrecision precision = TransformPrecision::kAuto;
  bool force = false;
  bool no_progress = false;
};

// The Facet codec at one encoder effort; `name` is "facet", or "facet-eN" when several efforts are
// measured.
StatusOr<RdCodec> facet_codec(const RdOptions& o, int threads_per_job, int effort, const std::string& name) {
  FACET_ASSIGN_OR_RETURN(std::shared_ptr<CodecModel> model, load_model_option(o.model));
  FACET_RETURN_ERROR_IF(model->is_sprites(), kInvalidArgument, "facet rd measures photo models, not sprites models");
  for (double q : o.qualities)
    FACET_RETURN_ERROR_IF(!(q >= 0 && q <= 100), kInvalidArgument, "qualities are 0..100");
  RdCodec codec;
  codec.name = name;
  codec.version = std::string("facet ") + FACET_VERSION + ", model '" + model->config().model_id + "' (" +
                  model->path + "), transforms " + model->transforms->backend_name() + " " +
                  precision_name(resolve_cpu_precision(o.precision)) + ", effort " + std::to_string(effort);
  codec.setting_name = "quality";
  codec.settings = o.qualities;
  CompressOptions compress;
  compress.threads = threads_per_job;
  compress.tile_latents = o.tile;
  compress.precision = o.precision;
  compress.effort = effort;
  DecompressOptions decompress;
  decompress.threads = threads_per_job;
  decompress.tile_latents = o.tile;
  decompress.precision = o.precision;
  codec.encode = [model, compress](const Image& rgb8, double quality) mutable {
    CompressOptions options = compress;
    options.quality = quality;
    return compress_image(rgb8, *model, options);
  };
  codec.decode = [model, decompress](const Bytes& file) {
    return decompress_image(file.data(), file.size(), *model, decompress);
  };
  codec.variants.clear();
  for (const std::string& spec : o.variants) {
    FACET_ASSIGN_OR_RETURN(RdVariant variant, make_variant(spec));
    codec.variants.push_back(std::move(variant));
  }
  return codec;
}

// "\r[#######.............]  35/120  12 s" on a terminal; nothing elsewhere.
class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled), start_(std::chrono::steady_clock::now()) {}
  void update(size_t done, size_t total) {
    if (!enabled_ || total == 0) return;
    constexpr int kWidth = 30;
    const int filled = int(kWidth * done / total);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::fprintf(stderr, "\r[%s%s] %zu/%zu  %.0f s", std::string(filled, '#').c_str(),
                 std::string(kWidth - filled, '.').c_str(), done, total, seconds);
    if (done == total) std::fprintf(stderr, "\n");
    std::fflush(stderr);
  }

 private:
  bool enabled_;
  std::chrono::steady_clock::time_point start_;
};

Status write_output(const std::string& path, const std::string& text, bool force) {
  WriteOptions write;
  write.overwrite = force;
  write.allow_terminal = true;  // text: printing a report to the terminal with '-' is fine
  return write_file_atomic(path, reinterpret_cast<const uint8_t*>(text.data()), text.size(), write);
}

// A sweep can take half an hour: refuse an existing output before it starts, not after.
Status check_outputs(const RdOptions& o) {
  for (const std::string* path : {&o.json, &o.csv, &o.plot}) {
    if (path->empty() || *path == "-") continue;
    std::error_code ec;
    FACET_RETURN_ERROR_IF(std::filesystem::is_directory(*path, ec), kInvalidArgument, "'" + *path + "' is a directory");
    FACET_RETURN_ERROR_IF(!o.force && std::filesystem::exists(*path, ec), kInvalidArgument,
                          "'" + *path + "' exists; use -f to overwrite it");
  }
  return ok_status();
}

int run_rd(const RdOptions& o) {
  Status outputs = check_outputs(o);
  if (!outputs.ok()) return report_error(outputs);
  if (o.jobs < 1) return report_error(make_error(ErrorCode::kInvalidArgument, "--jobs must be at least 1"));
  const int threads = resolve_threads(o.threads);
  for (int effort : o.efforts)
    if (effort > kMinEffort && !has_libtorch()) return run_with_libtorch("effort " + std::to_string(effort));
  // Every job codes with its share of the threads (tile workers).
  const int threads_per_job = std::max(1, threads / o.jobs);

  std::vector<RdCodec> codecs;
  for (int effort : o.efforts) {
    const std::string name = o.efforts.size() == 1 ? "facet" : "facet-e" + std::to_string(effort);
    auto facet = facet_codec(o, threads_per_job, effort, name);
    if (!facet.ok()) return report_error(facet.status());
    codecs.push_back(std::move(facet).value());
  }
  for (const std::string& name : o.baselines) {
    if (name.empty() || name == "none") continue;
    auto lookup = find_baseline(name);
    if (!lookup.ok()) return report_error(lookup.status());
    if (!lookup->available) {
      std::fprintf(stderr, "facet rd: skipping %s: %s\n", name.c_str(), lookup->skip_reason.c_str());
      continue;
    }
    codecs.push_back(std::move(lookup->codec));
  }
  std::vector<RdCurve> references;
  if (!o.reference.empty()) {
    auto loaded = load_reference_curves(o.reference);
    if (!loaded.ok()) return report_error(loaded.status());
    references = std::move(loaded).value();
  }
  auto images = load_rd_images(o.directory);
  if (!images.ok()) return report_error(images.status());

  bool small = false;
  for (const RdImage& image : *images)
    small |= image.rgb8.width < kMsSsimMinDimension || image.rgb8.height < kMsSsimMinDimension;
  if (small)
    std::fprintf(stderr, "facet rd: some images are under %ux%u pixels: their MS-SSIM (and its means) is null\n",
                 kMsSsimMinDimension, kMsSsimMinDimension);
  size_t codings = 0;
  for (const RdCodec& codec : codecs) codings += codec.settings.size() * images->size();
  std::printf("facet rd: %zu images of %s, %zu codings, %d job(s), %d thread(s) per job\n", images->size(),
              o.directory.c_str(), codings, o.jobs, threads_per_job);
  for (const RdCodec& codec : codecs)
    std::printf("  %-6s %s; %zu %s settings\n", codec.name.c_str(), codec.version.c_str(), codec.settings.size(),
                codec.setting_name.c_str());
  std::fflush(stdout);

  ProgressBar bar(!o.no_progress && isatty(STDERR_FILENO));
  RdSweepOptions sweep;
  sweep.jobs = o.jobs;
  sweep.progress = [&bar](size_t done, size_t total) { bar.update(done, total); };
  auto curves = run_rd_sweep(*images, codecs, sweep);
  if (!curves.ok()) return report_error(curves.status());

  RdReport report;
  for (const RdImage& image : *images) report.image_names.push_back(image.name);
  report.curves = std::move(curves).value();
  report.curves.insert(report.curves.end(), references.begin(), references.end());
  report.anchor = o.anchor;
  Status bd = compute_bd(&report);
  if (!bd.ok()) std::fprintf(stderr, "facet rd: no Bjøntegaard deltas: %s\n", bd.message().c_str());
  std::printf("\n%s", rd_table_text(report).c_str());

  if (!o.json.empty()) {
    Status s = write_output(o.json, rd_json_text(report), o.force);
    if (!s.ok()) return report_error(s);
  }
  if (!o.csv.empty()) {
    Status s = write_output(o.csv, rd_csv_text(report), o.force);
    if (!s.ok()) return report_error(s);
  }
  if (!o.plot.empty()) {
    RdPlotOptions plot;
    plot.title = "facet rd: " + std::to_string(images->size()) + " image(s) of " +
                 std::filesystem::path(o.directory).filename().string() + ", bpp vs PSNR-RGB";
    auto png = draw_rd_plot(report.curves, plot);
    if (!png.ok()) return report_error(png.status());
    WriteOptions write;
    write.overwrite = o.force;
    Status s = write_file_atomic(o.plot, *png, write);
    if (!s.ok()) return report_error(s);
  }
  return kExitOk;
}

}  // namespace

StatusOr<std::vector<RdImage>> load_rd_images(const std::string& directory) {
  std::vector<std::string> paths;
  std::error_code ec;
  if (std::filesystem::is_directory(directory, ec)) {
    for (const auto& entry : std::filesystem::directory_iterator(directory, ec))
      if (entry.is_regular_file()) paths.push_back(entry.path().string());
    FACET_RETURN_ERROR_IF(ec, kIo, "cannot list " + directory + ": " + ec.message());
    std::sort(paths.begin(), paths.end());
  } else {
    paths.push_back(directory);
  }
  std::vector<RdImage> images;
  for (const std::string& path : paths) {
    FACET_ASSIGN_OR_RETURN(Bytes bytes, read_file(path));
    const ImageFileKind kind = detect_image_kind(bytes.data(), bytes.size());
    if (kind == ImageFileKind::kUnknown || kind == ImageFileKind::kFct) continue;  // not an image
    auto decoded = decode_image(bytes.data(), bytes.size());
    if (!decoded.ok()) return decoded.status().with_context(path);
    images.push_back({std::filesystem::path(path).filename().string(), to_rgb8(*decoded)});
  }
  FACET_RETURN_ERROR_IF(images.empty(), kInvalidArgument, "no images in " + directory);
  return images;
}

void add_rd_command(CLI::App& app, Runner* run) {
  auto o = std::make_shared<RdOptions>();
  CLI::App* cmd = app.add_subcommand("rd", "Rate-distortion of the model against JPEG, WebP, JPEG XL, AVIF");
  cmd->add_option("DIR", o->directory, "Directory of images (sorted; other files are skipped)")->required();
  cmd->add_option("-q,--quality", o->qualities, "Facet qualities to measure")->delimiter(',')->capture_default_str();
  cmd->add_option("-e,--effort", o->efforts,
                  "Facet encoder efforts to measure (" + std::to_string(kMinEffort) + ".." +
                      std::to_string(kMaxEffort) + "); several give curves facet-e1, facet-e2, ... "
                      "(--anchor facet-e1 for BD-rates against effort 1)")
      ->delimiter(',')
      ->check(CLI::Range(kMinEffort, kMaxEffort))
      ->capture_default_str();
  cmd->add_option("--baselines", o->baselines, "Baselines: jpeg,webp,jxl,avif (missing tools are skipped); none")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--reference", o->reference, "Published curves to overlay (JSON: codecs -> name -> bpp, psnr)");
  std::string variant_help = "Stored-file variants of the Facet files to measure:";
  for (const VariantSyntax& s : variant_syntaxes()) variant_help += " " + s.syntax + " (" + s.meaning + ");";
  cmd->add_option("--variants", o->variants, variant_help)->delimiter(',')->capture_default_str();
  cmd->add_option("--anchor", o->anchor, "Curve the BD-rates are measured against (e.g. webp, ref:JPEG)")
      ->capture_default_str();
  cmd->add_option("--json", o->json, "Write the results as JSON ('-' for standard output)");
  cmd->add_option("--csv", o->csv, "Write per-point means and per-image rows as CSV");
  cmd->add_option("--plot", o->plot, "Write the RD plot (bpp vs PSNR-RGB) as PNG");
  cmd->add_option("--jobs", o->jobs, "Images measured in parallel")->check(CLI::Range(1, 256))->capture_default_str();
  cmd->add_option("--model", o->model, "Weights file (default: the shipped model)");
  cmd->add_option("--threads", o->threads, "LibTorch threads in all, divided among the jobs (default: all cores)")
      ->check(CLI::Range(0, 1024));
  cmd->add_option("--precision", o->precision,
                  "Facet's transforms: auto (bf16 where the CPU has avx512_bf16 or amx_bf16), fp32 or bf16")
      ->transform(CLI::CheckedTransformer(precision_names(), CLI::ignore_case))
      ->default_str("auto");
  cmd->add_option("--tile", o->tile, "Tile edge in latents (16 px each); 0 = whole image")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  cmd->add_flag("-f,--force", o->force, "Overwrite existing output files");
  cmd->add_flag("--no-progress", o->no_progress, "No progress bar on stderr");
  cmd->footer(
      "Examples:\n"
      "  facet rd kodak/ --plot rd.png\n"
      "  facet rd kodak/ -q 10,30,50,70,90 --baselines jpeg,webp --json rd.json --csv rd.csv --jobs 2\n"
      "  facet rd kodak/ --reference kodak_published.json --anchor ref:JPEG\n"
      "  facet rd kodak/ --variants full,drop:structure:1,drop:structure:2\n"
      "  facet rd kodak/ --effort 1,2,4 --anchor facet-e1 --baselines jpeg");
  cmd->callback([o, run] { *run = [o] { return run_rd(*o); }; });
}

}  // namespace facet::cli
