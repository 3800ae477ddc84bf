// facet bench entropy: rANS coding overhead against the ideal code length, and single-core
// encode/decode throughput for Gaussian-conditional coding with a per-symbol table index.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sched.h>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "entropy/dec_rans.h"
#include "entropy/enc_rans.h"
#include "entropy/gaussian_tables.h"

namespace facet::cli {
namespace {

struct BenchOptions {
  size_t symbols = 4'000'000;
  int repeats = 5;
  uint64_t seed = 1;
  double min_sigma = 0.11;
  double max_sigma = 32.0;
  bool json = false;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int run_bench_entropy(const BenchOptions& o) {
  // One core: keep the thread where it is so migrations do not blur the timing.
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(sched_getcpu(), &one);
  sched_setaffinity(0, sizeof one, &one);

  if (o.symbols == 0 || o.repeats < 1 || !(o.min_sigma > 0) || !(o.max_sigma >= o.min_sigma))
    return report_error(make_error(ErrorCode::kInvalidArgument, "bad benchmark parameters"));
  const std::vector<float> scales = make_scale_table();
  auto tables = make_gaussian_cdf_tables(scales);
  if (!tables.ok()) return report_error(tables.status());

  // Source: sigma log-uniform in [min, max]; y = round(N(0, sigma^2)); index = scale_index(sigma).
  std::mt19937_64 rng(o.seed);
  std::uniform_real_distribution<double> log_sigma(std::log(o.min_sigma), std::log(o.max_sigma));
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<int32_t> values(o.symbols), indexes(o.symbols);
  double ideal_source_bits = 0, ideal_model_bits = 0, ideal_table_bits = 0;
  size_t escapes = 0;
  for (size_t i = 0; i < o.symbols; ++i) {
    const double sigma = std::exp(log_sigma(rng));
    const uint32_t t = scale_index(scales, float(sigma));
    const int32_t y = int32_t(std::lround(normal(rng) * sigma));
    values[i] = y;
    indexes[i] = int32_t(t);
    ideal_source_bits -= std::log2(discretized_gaussian_mass(sigma, y));
    ideal_model_bits -= std::log2(discretized_gaussian_mass(scales[t], y));
    const uint32_t* cdf = tables->cdf(t);
    const int64_t s = int64_t{y} - tables->offset(t);
    const uint32_t escape = tables->symbol_count(t) - 1;
    if (s >= 0 && s < escape) {
      ideal_table_bits -= std::log2(double(cdf[s + 1] - cdf[s]) / kCdfTotal);
    } else {
      ++escapes;
      ideal_table_bits -= std::log2(double(cdf[escape + 1] - cdf[escape]) / kCdfTotal);
    }
  }

  Bytes stream;
  double best_encode = 1e30, best_decode = 1e30;
  std::vector<int32_t> decoded(o.symbols);
  for (int r = 0; r < o.repeats; ++r) {
    auto start = std::chrono::steady_clock::now();
    auto encoded = encode_with_indexes(values.data(), indexes.data(), values.size(), *tables);
    best_encode = std::min(best_encode, seconds_since(start));
    if (!encoded.ok()) return report_error(encoded.status());
    stream = std::move(encoded).value();
    start = std::chrono::steady_clock::now();
    Status status = decode_with_indexes(stream.data(), stream.size(), indexes.data(), indexes.size(),
                                        *tables, decoded.data());
    best_decode = std::min(best_decode, seconds_since(start));
    if (!status.ok()) return report_error(status);
    if (decoded != values)
      return report_error(make_error(ErrorCode::kInternal, "round trip mismatch"));
  }
  const double actual_bits = 8.0 * double(stream.size());
  const double n = double(o.symbols);
  auto overhead = [&](double ideal) { return 100.0 * (actual_bits - ideal) / ideal; };
  const double encode_msym = n / best_encode / 1e6, decode_msym = n / best_decode / 1e6;

  if (o.json) {
    nlohmann::json j = {{"symbols", o.symbols},
                        {"sigma_range", {o.min_sigma, o.max_sigma}},
                        {"stream_bits_per_symbol", actual_bits / n},
                        {"ideal_bits_per_symbol_model", ideal_model_bits / n},
                        {"overhead_percent_vs_model", overhead(ideal_model_bits)},
                        {"overhead_percent_vs_table", overhead(ideal_table_bits)},
                        {"overhead_percent_vs_source", overhead(ideal_source_bits)},
                        {"escapes", escapes},
                        {"encode_msymbols_per_s", encode_msym},
                        {"decode_msymbols_per_s", decode_msym}};
    std::printf("%s\n", j.dump(2).c_str());
    return kExitOk;
  }
  std::printf("rANS Gaussian-conditional benchmark, one core, %zu symbols, best of %d\n", o.symbols,
              o.repeats);
  std::printf("  source: sigma log-uniform in [%g, %g], y = round(N(0, sigma^2)), %zu escapes\n",
              o.min_sigma, o.max_sigma, escapes);
  std::printf("  coded size                  %.5f bits/symbol\n", actual_bits / n);
  std::printf("  ideal -log2 p, table scale  %.5f bits/symbol  overhead %+.3f%%\n",
              ideal_model_bits / n, overhead(ideal_model_bits));
  std::printf("  ideal, 16-bit table itself  %.5f bits/symbol  overhead %+.3f%%  (coder alone)\n",
              ideal_table_bits / n, overhead(ideal_table_bits));
  std::printf("  ideal, true sigma           %.5f bits/symbol  overhead %+.3f%%  (incl. 64-level scale table)\n",
              ideal_source_bits / n, overhead(ideal_source_bits));
  std::printf("  encode  %8.1f M symbols/s  (%.3f s)\n", encode_msym, best_encode);
  std::printf("  decode  %8.1f M symbols/s  (%.3f s)\n", decode_msym, best_decode);
  return kExitOk;
}

}  // namespace

void add_bench_command(CLI::App& app, Runner* run) {
  auto options = std::make_shared<BenchOptions>();
  CLI::App* bench = app.add_subcommand("bench", "Measure Facet's components on this machine");
  bench->require_subcommand(1);
  CLI::App* entropy = bench->add_subcommand(
      "entropy", "rANS overhead vs the ideal code length and throughput (one core)");
  entropy->add_option("--symbols", options->symbols, "Symbols per run")->capture_default_str();
  entropy->add_option("--repeats", options->repeats, "Runs; the best time is reported")->capture_default_str();
  entropy->add_option("--seed", options->seed, "Random seed of the source")->capture_default_str();
  entropy->add_option("--min-sigma", options->min_sigma, "Smallest source scale")->capture_default_str();
  entropy->add_option("--max-sigma", options->max_sigma, "Largest source scale")->capture_default_str();
  entropy->add_flag("--json", options->json, "Print JSON");
  entropy->callback([options, run] { *run = [options] { return run_bench_entropy(*options); }; });
  add_bench_model_command(*bench, run);
}

}  // namespace facet::cli
