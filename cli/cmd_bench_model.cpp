// facet bench model: the networks' cost (parameters, kMAC/pixel) and measured encode/decode
// time and throughput on an image, per thread count.
#include <ATen/Parallel.h>
#include <chrono>
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
  int repeats = 3;
  double quality = 75;
};

int run_bench_model(const BenchModelOptions& o) {
  std::string path = o.model;
  if (path.empty()) {
    auto found = find_default_model(program_path());
    if (!found.ok()) return report_error(found.status());
    path = *found;
  }
  auto model = load_codec_model(path);
  if (!model.ok()) return report_error(model.status());
  const ModelConfig& c = (*model)->bundle.net->config();
  const ModelCost cost = model_cost((*model)->bundle.net);
  std::printf("model %s (%s): N=%d M=%d hyper N=%d, %d groups, %d rate points, %.2f M parameters\n",
              path.c_str(), c.model_id.c_str(), c.n, c.m, c.hyper_n, c.groups, c.rate_points(),
              cost.parameters / 1e6);
  std::printf("kMAC/pixel: analysis %.1f, synthesis %.1f, hyper (h_a + h_s) %.1f; encode %.1f, decode %.1f\n",
              cost.analysis_kmac_per_pixel, cost.synthesis_kmac_per_pixel, cost.hyper_kmac_per_pixel,
              cost.analysis_kmac_per_pixel + cost.hyper_kmac_per_pixel,
              cost.synthesis_kmac_per_pixel + cost.hyper_kmac_per_pixel);

  Image image;
  if (o.image.empty()) {
    image = make_image(768, 512, 3, 8).value();
    for (size_t i = 0; i < image.samples.size(); ++i) image.samples[i] = uint16_t((i * 2654435761u >> 7) & 255);
  } else {
    auto bytes = read_file(o.image);
    if (!bytes.ok()) return report_error(bytes.status());
    auto decoded = decode_image(bytes->data(), bytes->size());
    if (!decoded.ok()) return report_error(decoded.status());
    image = std::move(decoded).value();
  }
  const double pixels = double(image.pixel_count());
  std::vector<int> thread_counts = o.threads;
  if (thread_counts.empty()) thread_counts = {int(std::max(1u, std::thread::hardware_concurrency()))};
  for (int threads : thread_counts) {
    at::set_num_threads(threads);
    CompressOptions co;
    co.quality = o.quality;
    co.threads = threads;
    DecompressOptions dopt;
    dopt.threads = threads;
    double best_encode = 1e30, best_decode = 1e30;
    CodingTimes best_et, best_dt;
    Bytes file;
    for (int r = 0; r < o.repeats; ++r) {
      CodingTimes et, dt;
      auto start = std::chrono::steady_clock::now();
      auto encoded = compress_image(image, **model, co, &et);
      const double e = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (!encoded.ok()) return report_error(encoded.status());
      start = std::chrono::steady_clock::now();
      auto decoded = decompress_image(encoded->data(), encoded->size(), **model, dopt, &dt);
      const double d = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (!decoded.ok()) return report_error(decoded.status());
      if (e < best_encode) best_encode = e, best_et = et;
      if (d < best_decode) best_decode = d, best_dt = dt;
      file = std::move(encoded).value();
    }
    const double enc_gflop = 2 * (cost.analysis_kmac_per_pixel + cost.hyper_kmac_per_pixel) * 1e3 * pixels / 1e9;
    const double dec_gflop = 2 * (cost.synthesis_kmac_per_pixel + cost.hyper_kmac_per_pixel) * 1e3 * pixels / 1e9;
    std::printf("%ux%u, %d threads, best of %d: %.4f bpp\n", image.width, image.height, threads, o.repeats,
                8.0 * file.size() / pixels);
    std::printf("  encode %.3f s (analysis %.3f, hyper-synthesis %.3f, entropy %.3f): %.1f GFLOP, %.1f GFLOP/s\n",
                best_encode, best_et.analysis_s, best_et.hyper_s, best_et.entropy_s, enc_gflop, enc_gflop / best_encode);
    std::printf("  decode %.3f s (entropy %.3f, hyper-synthesis %.3f, synthesis %.3f): %.1f GFLOP, %.1f GFLOP/s\n",
                best_decode, best_dt.entropy_s, best_dt.hyper_s, best_dt.synthesis_s, dec_gflop, dec_gflop / best_decode);
  }
  return kExitOk;
}

}  // namespace

void add_bench_model_command(CLI::App& bench, Runner* run) {
  auto o = std::make_shared<BenchModelOptions>();
  CLI::App* cmd = bench.add_subcommand("model", "Network cost and measured encode/decode speed of a model");
  cmd->add_option("IMAGE", o->image, "Image to code (default: a synthetic 768x512 image)");
  cmd->add_option("--model", o->model, "Weights file (default: the shipped model)");
  cmd->add_option("--threads", o->threads, "Thread counts to measure (default: all cores)");
  cmd->add_option("--repeats", o->repeats, "Runs per measurement; the best is reported")->capture_default_str();
  cmd->add_option("-q,--quality", o->quality, "Quality")->capture_default_str();
  cmd->callback([o, run] { *run = [o] { return run_bench_model(*o); }; });
}

}  // namespace facet::cli
