// facet bench model: the networks' cost (parameters, kMAC/pixel) and measured encode/decode
// time and throughput on an image, per thread count.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <cstdio>
#include <memory>
#include <thread>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "codec/codec.h"
#include "common/file_io.h"
#include "formats/image_io.h"

namespace facet::cli {
namespace {

struct BenchModelOptions {
  std::string model, image;
  std::vector<int> threads;
  std::vector<double> qualities;
  std::vector<std::string> precisions;
  std::vector<std::string> backends;
  int repeats = 1;
};

int run_bench_model(const BenchModelOptions& o) {
  std::vector<TransformsBackend> backends;
  for (const std::string& b : o.backends) backends.push_back(backend_names().at(b));
  if (backends.empty()) backends.push_back(TransformsBackend::kOnednn);
  const bool wants_libtorch =
      std::find(backends.begin(), backends.end(), TransformsBackend::kLibTorch) != backends.end();
  if (wants_libtorch && !has_libtorch()) return run_with_libtorch("--backend libtorch");
  auto model = load_model_option(o.model, wants_libtorch ? TransformsBackend::kLibTorch : TransformsBackend::kOnednn);
  if (!model.ok()) return report_error(model.status());
  if ((*model)->is_sprites())
    return report_error(make_error(ErrorCode::kInvalidArgument, "bench model measures photo models; use facet eval disentanglement for sprites"));
  // Each backend's transforms on the one model: the oneDNN engine is built from the same weights.
  std::map<TransformsBackend, std::shared_ptr<PhotoTransforms>> transforms;
  if (wants_libtorch) transforms[TransformsBackend::kLibTorch] = (*model)->transforms;
  if (!wants_libtorch) {
    transforms[TransformsBackend::kOnednn] = (*model)->transforms;
  } else if (std::find(backends.begin(), backends.end(), TransformsBackend::kOnednn) != backends.end()) {
    auto onednn = load_model_option(o.model, TransformsBackend::kOnednn);
    if (!onednn.ok()) return report_error(onednn.status());
    transforms[TransformsBackend::kOnednn] = (*onednn)->transforms;
  }
  const std::string& path = (*model)->path;
  const ModelConfig& c = (*model)->config();
  const TransformCost cost = transform_cost(c);
  std::printf("model %s (%s): N=%d M=%d hyper N=%d, %d groups, %d rate points, %.2f M parameters\n",
              path.c_str(), c.model_id.c_str(), c.n, c.m, c.hyper_n, c.groups, c.rate_points(),
              (*model)->parameters / 1e6);
  std::printf("kMAC/pixel: analysis %.1f, synthesis %.1f, hyper (h_a + h_s) %.1f; encode %.1f, decode %.1f\n",
              cost.analysis_kmac_per_pixel, cost.synthesis_kmac_per_pixel, cost.hyper_kmac_per_pixel,
              cost.analysis_kmac_per_pixel + cost.hyper_kmac_per_pixel,
              cost.synthesis_kmac_per_pixel + cost.hyper_kmac_per_pixel);

  // The images: a synthetic 768x512 one, a file, or every image of a directory (sorted).
  std::vector<std::pair<std::string, Image>> images;
  if (o.image.empty()) {
    Image synthetic = make_image(768, 512, 3, 8).value();
    for (size_t i = 0; i < synthetic.samples.size(); ++i)
      synthetic.samples[i] = uint16_t((i * 2654435761u >> 7) & 255);
    images.emplace_back("synthetic", std::move(synthetic));
  } else {
    std::vector<std::string> paths;
    if (std::filesystem::is_directory(o.image)) {
      for (const auto& e : std::filesystem::directory_iterator(o.image))
        if (e.is_regular_file()) paths.push_back(e.path().string());
      std::sort(paths.begin(), paths.end());
    } else {
      paths.push_back(o.image);
    }
    for (const auto& p : paths) {
      auto bytes = read_file(p);
      if (!bytes.ok()) return report_error(bytes.status());
      const ImageFileKind kind = detect_image_kind(bytes->data(), bytes->size());
      if (kind == ImageFileKind::kUnknown || kind == ImageFileKind::kFct) continue;
      auto decoded = decode_image(bytes->data(), bytes->size());
      if (!decoded.ok()) return report_error(decoded.status().with_context(p));
      images.emplace_back(p, std::move(decoded).value());
    }
  }
  if (images.empty()) return report_error(make_error(ErrorCode::kInvalidArgument, "no images"));

  std::vector<int> thread_counts = o.threads;
  if (thread_counts.empty()) thread_counts = {resolve_threads(0)};
  std::vector<double> qualities = o.qualities;
  if (qualities.empty()) qualities = {75};
  std::vector<TransformPrecision> precisions;
  for (const std::string& p : o.precisions) precisions.push_back(resolve_cpu_precision(precision_names().at(p)));
  if (precisions.empty()) {
    precisions.push_back(TransformPrecision::kFp32);
    if (resolve_cpu_precision(TransformPrecision::kAuto) == TransformPrecision::kBf16)
      precisions.push_back(TransformPrecision::kBf16);
  }
  const std::string flags = cpu_bf16_flags();
  std::printf("CPU bf16 flags: %s; --precision auto is %s here\n", flags.empty() ? "none" : flags.c_str(),
              precision_name(resolve_cpu_precision(TransformPrecision::kAuto)));
  for (TransformsBackend backend : backends)
  for (TransformPrecision precision : precisions)
  for (int threads : thread_counts) {
    (*model)->transforms = transforms.at(backend);
    std::printf("%zu image(s), %s transforms, %s, %d threads, best of %d runs per image\n", images.size(),
                backend_name(backend), precision_name(precision), threads, o.repeats);
    if (Status s = (*model)->transforms->check_precision(precision); !s.ok()) {
      std::printf("  skipped: %s\n", s.message().c_str());
      continue;
    }
    std::printf("  %7s %8s %10s %10s %10s %12s %12s\n", "quality", "bpp", "PSNR-RGB", "encode s", "decode s",
                "enc GFLOP/s", "dec GFLOP/s");
    for (double quality : qualities) {
      CompressOptions co;
      co.quality = quality;
      co.threads = threads;
      co.precision = precision;
      DecompressOptions dopt;
      dopt.threads = threads;
      dopt.precision = precision;
      double sum_bpp = 0, sum_psnr = 0, sum_encode = 0, sum_decode = 0, sum_pixels = 0;
      for (const auto& [name, image] : images) {
        double best_encode = 1e30, best_decode = 1e30;
        Bytes file;
        Image out;
        for (int r = 0; r < o.repeats; ++r) {
          auto start = std::chrono::steady_clock::now();
          auto encoded = compress_image(image, **model, co);
          best_encode = std::min(best_encode, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
          if (!encoded.ok()) return report_error(encoded.status().with_context(name));
          start = std::chrono::steady_clock::now();
          auto decoded = decompress_image(encoded->data(), encoded->size(), **model, dopt);
          best_decode = std::min(best_decode, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
          if (!decoded.ok()) return report_error(decoded.status().with_context(name));
          file = std::move(encoded).value();
          out = std::move(decoded).value();
        }
        // PSNR over the colour channels at 8 bits (the convention of published Kodak curves).
        double se = 0;
        uint64_t count = 0;
        for (uint64_t p = 0; p < image.pixel_count(); ++p)
          for (int c = 0; c < image.color_channels(); ++c) {
            const double a = image.samples[p * image.channels + c], b = out.samples[p * out.channels + c];
            se += (a - b) * (a - b);
            ++count;
          }
        const double mse = se / double(count);
        sum_psnr += mse > 0 ? 10 * std::log10(255.0 * 255.0 / mse) : 99;
        sum_bpp += 8.0 * file.size() / double(image.pixel_count());
        sum_encode += best_encode;
        sum_decode += best_decode;
        sum_pixels += double(image.pixel_count());
      }
      const double n = double(images.size());
      const double enc_gflop = 2e-6 * (cost.analysis_kmac_per_pixel + cost.hyper_kmac_per_pixel) * sum_pixels;
      const double dec_gflop = 2e-6 * (cost.synthesis_kmac_per_pixel + cost.hyper_kmac_per_pixel) * sum_pixels;
      std::printf("  %7.1f %8.4f %10.3f %10.3f %10.3f %12.1f %12.1f\n", quality, sum_bpp / n, sum_psnr / n,
                  sum_encode / n, sum_decode / n, enc_gflop / sum_encode, dec_gflop / sum_decode);
    }
  }
  return kExitOk;
}

}  // namespace

void add_bench_model_command(CLI::App& bench, Runner* run) {
  auto o = std::make_shared<BenchModelOptions>();
  CLI::App* cmd = bench.add_subcommand("model", "Network cost and measured encode/decode speed of a model");
  cmd->add_option("IMAGES", o->image, "Image file or directory to code (default: a synthetic 768x512 image)");
  cmd->add_option("--model", o->model, "Weights file (default: the shipped model)");
  cmd->add_option("--threads", o->threads, "Thread counts to measure (default: all cores)")->delimiter(',');
  cmd->add_option("--repeats", o->repeats, "Runs per measurement; the best is reported")->capture_default_str();
  cmd->add_option("-q,--quality", o->qualities, "Qualities to measure (default: 75)")->delimiter(',');
  cmd->add_option("--precision", o->precisions,
                  "Transform precisions to measure: fp32, bf16, auto (default: fp32, and bf16 where the CPU has it)")
      ->delimiter(',')
      ->check(CLI::IsMember({"auto", "fp32", "bf16"}));
  cmd->add_option("--backend", o->backends,
                  "Transforms to measure: onednn (facet's), libtorch (the reference, in facet-torch) (default: onednn)")
      ->delimiter(',')
      ->check(CLI::IsMember({"onednn", "libtorch"}));
  cmd->footer("Example:\n  facet bench model kodak/ -q 25,50,75 --threads 1,2 --precision fp32,bf16\n"
              "  facet bench model kodak/ -q 50 --threads 2 --backend onednn,libtorch");
  cmd->callback([o, run] { *run = [o] { return run_bench_model(*o); }; });
}

}  // namespace facet::cli
