// facet eval factors (the photo model's factors, measured on a directory of images) and facet eval
// disentanglement (the sprites model against the renderer's ground-truth factors).
#include <ATen/Parallel.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "codec/codec.h"
#include "codec/sprite_codec.h"
#include "codec/sprite_render.h"
#include "codec/sprites_trainer.h"
#include "eval/bd_rate.h"
#include "eval/disentanglement.h"
#include "eval/metrics.h"
#include "eval/sap.h"

#include <nlohmann/json.hpp>

namespace facet::cli {
namespace {

struct EvalFactorsOptions {
  std::string directory, model, baseline_model;
  double quality = 75;
  int effort = kMinEffort;  // the encoder effort of every file the measurements write
  int thetas = 100;
  // Which measurements: edits (appearance cost and edit fidelity), disentanglement, chroma,
  // structure, cost (needs baseline_model).
  std::vector<std::string> measure = {"edits", "disentanglement", "chroma", "structure", "cost"};
  uint64_t seed = 1;
  int threads = 0;
};

// The edits of the edit-fidelity measurement, per appearance factor (stored units).
const std::vector<std::vector<double>> kEditDeltas = {
    {-1.0, -0.5, 0.5, 1.0},    // exposure, EV
    {-0.5, -0.25, 0.25, 0.5},  // contrast, log2
    {-1.0, -0.5, 0.5, 1.0},    // saturation, log2
    {-0.5, -0.25, 0.25, 0.5},  // temperature, EV
    {-0.25, -0.1, 0.1, 0.25},  // tint, EV
};
// The transform parameters of the disentanglement measurement: 9 values per factor, uniform over
// the range of the edit-fidelity measurement.
constexpr int kThetaValues = 9;
std::pair<double, double> theta_range(int k) { return {kEditDeltas[k].front(), kEditDeltas[k].back()}; }

// Rows [a, b) of a CodeMatrix or FactorMatrix.
template <typename Matrix>
Matrix row_slice(const Matrix& m, size_t a, size_t b) {
  Matrix out;
  out.rows = b - a;
  out.cols = m.cols;
  out.values.assign(m.values.begin() + a * m.cols, m.values.begin() + b * m.cols);
  return out;
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0.0 : s / double(v.size());
}

Image luma_image(const Image& rgb) {
  Image y = make_image(rgb.width, rgb.height, 1, 8).value();
  for (uint64_t i = 0; i < rgb.pixel_count(); ++i) {
    const uint16_t* s = &rgb.samples[i * 3];
    y.samples[i] = uint16_t(std::lround(0.299 * s[0] + 0.587 * s[1] + 0.114 * s[2]));
  }
  return y;
}

// Mean HSV saturation (max - min) / max of an 8-bit RGB image.
double mean_saturation(const Image& rgb) {
  double s = 0;
  for (uint64_t i = 0; i < rgb.pixel_count(); ++i) {
    const uint16_t* p = &rgb.samples[i * 3];
    const int hi = std::max({p[0], p[1], p[2]}), lo = std::min({p[0], p[1], p[2]});
    s += hi > 0 ? double(hi - lo) / hi : 0.0;
  }
  return s / double(rgb.pixel_count());
}

StatusOr<double> psnr_of(const Image& a, const Image& b) { return psnr_rgb(a, b); }

// RD point of one image at one quality (optionally with trailing structure groups dropped).
struct Coded {
  Bytes fct;
  Image decoded;
};

StatusOr<Coded> code(const Image& image, CodecModel& model, double quality, int threads, int effort,
                     const std::set<std::string>& drop = {}) {
  CompressOptions c;
  c.quality = quality;
  c.threads = threads;
  c.effort = effort;
  Coded out;
  FACET_ASSIGN_OR_RETURN(out.fct, compress_image(image, model, c));
  if (!drop.empty()) {
    FACET_ASSIGN_OR_RETURN(out.fct, edit_fct_bytes(out.fct.data(), out.fct.size(), {}, {}, drop));
  }
  DecompressOptions d;
  d.threads = threads;
  FACET_ASSIGN_OR_RETURN(out.decoded, decompress_image(out.fct.data(), out.fct.size(), model, d));
  return out;
}

double bpp_of(const Bytes& b, const Image& image) { return 8.0 * double(b.size()) / double(image.pixel_count()); }

// Mean (bpp, PSNR) of the images at each quality.
StatusOr<std::vector<RdPoint>> rd_curve(const std::vector<RdImage>& images, CodecModel& model,
                                        const std::vector<double>& qualities, int threads, int effort) {
  std::vector<RdPoint> curve;
  for (double q : qualities) {
    RdPoint p;
    for (const RdImage& im : images) {
      FACET_ASSIGN_OR_RETURN(Coded c, code(im.rgb8, model, q, threads, effort));
      p.bpp += bpp_of(c.fct, im.rgb8) / images.size();
      FACET_ASSIGN_OR_RETURN(double psnr, psnr_of(im.rgb8, c.decoded));
      p.psnr += psnr / images.size();
    }
    curve.push_back(p);
  }
  return curve;
}

// PSNR of `curve` (increasing bpp) at `bpp`, linear interpolation (clamped at the ends).
double psnr_at(const std::vector<RdPoint>& curve, double bpp) {
  if (bpp <= curve.front().bpp) return curve.front().psnr;
  for (size_t i = 0; i + 1 < curve.size(); ++i)
    if (bpp <= curve[i + 1].bpp) {
      const double t = (bpp - curve[i].bpp) / (curve[i + 1].bpp - curve[i].bpp);
      return curve[i].psnr + t * (curve[i + 1].psnr - curve[i].psnr);
    }
  return curve.back().psnr;
}

Status eval_factors(const EvalFactorsOptions& o) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // long runs: each result line as soon as it is measured
  const int threads = resolve_threads(o.threads);
  at::set_num_threads(threads);
  FACET_ASSIGN_OR_RETURN(std::vector<RdImage> images, load_rd_images(o.directory));
  FACET_ASSIGN_OR_RETURN(std::shared_ptr<CodecModel> model, load_model_option(o.model));
  FACET_RETURN_ERROR_IF(model->is_sprites(), kInvalidArgument, "eval factors measures a photo model");
  auto wants = [&](const char* name) { return std::find(o.measure.begin(), o.measure.end(), name) != o.measure.end(); };
  // The baseline is loaded before any measurement, so that a wrong one fails at once.
  std::shared_ptr<CodecModel> base;
  if (!o.baseline_model.empty() && wants("cost")) {
    FACET_ASSIGN_OR_RETURN(base, load_model_option(o.baseline_model));
    FACET_RETURN_ERROR_IF(base->is_sprites(), kInvalidArgument, "--baseline-model must be a photo model");
  }
  const ModelConfig& config = model->bundle.net->config();
  const auto globals = model->global_factors();
  std::printf("model %s (%s), %zu images from %s, quality %.0f, effort %d\n", config.model_id.c_str(), model->path.c_str(),
              images.size(), o.directory.c_str(), o.quality, o.effort);
  DecompressOptions plain;
  plain.threads = threads;

  // 1. Appearance: cost, edit fidelity, and what showing the stored values does to PSNR.
  if (!globals.empty() && wants("edits")) {
    std::vector<double> bits, psnr_shown, psnr_raw;
    std::vector<std::vector<double>> fidelity(kAppearanceFactorCount);
    for (const RdImage& im : images) {
      FACET_ASSIGN_OR_RETURN(Coded c, code(im.rgb8, *model, o.quality, threads, o.effort));
      FACET_ASSIGN_OR_RETURN(FctFile file, read_fct(c.fct.data(), c.fct.size()));
      double b = 0;
      for (const auto& g : globals) b += 8.0 * file.header.factors[file.header.find(g.name)].length;
      bits.push_back(b);
      FACET_ASSIGN_OR_RETURN(double shown, psnr_of(im.rgb8, c.decoded));
      DecompressOptions raw = plain;
      raw.impose_appearance = false;
      FACET_ASSIGN_OR_RETURN(Image raw_image, decompress_fct(file, *model, raw));
      FACET_ASSIGN_OR_RETURN(double raw_psnr, psnr_of(im.rgb8, raw_image));
      psnr_shown.push_back(shown);
      psnr_raw.push_back(raw_psnr);
      for (int k = 0; k < kAppearanceFactorCount; ++k)
        for (double delta : kEditDeltas[k]) {
          FctFile edited = file;
          FACET_RETURN_IF_ERROR(edit_factors(edited, globals, {{globals[k].name, {delta, true}}}, {}));
          FACET_ASSIGN_OR_RETURN(Image decoded_edit, decompress_fct(edited, *model, plain));
          RgbPlanes planes = image_planes(c.decoded);
          AppearanceVector d{};
          d[k] = delta;
          apply_appearance_delta(planes, d);
          Image expected = c.decoded;
          put_planes(planes, &expected);
          FACET_ASSIGN_OR_RETURN(double p, psnr_of(expected, decoded_edit));
          fidelity[k].push_back(std::min(p, 99.0));
        }
    }
    std::printf("\nappearance stream: %.1f bits per image (mean; %d factors, short-coded)\n", mean(bits),
                kAppearanceFactorCount);
    std::printf("decoded PSNR-RGB vs original: %.3f dB showing the stored appearance, %.3f dB as synthesized\n",
                mean(psnr_shown), mean(psnr_raw));
    std::printf("edit fidelity: PSNR(decode(edit(file, d)), T_d(decode(file))), capped at 99 dB\n");
    std::vector<double> all;
    for (int k = 0; k < kAppearanceFactorCount; ++k) {
      std::printf("  %-12s d in {", kAppearanceFactors[k].name);
      for (size_t i = 0; i < kEditDeltas[k].size(); ++i) std::printf("%s%+.2f", i ? ", " : "", kEditDeltas[k][i]);
      std::printf("} %s: mean %.2f dB, min %.2f dB\n", kAppearanceFactors[k].unit, mean(fidelity[k]),
                  *std::min_element(fidelity[k].begin(), fidelity[k].end()));
      all.insert(all.end(), fidelity[k].begin(), fidelity[k].end());
    }
    std::printf("  all: mean %.2f dB over %zu edits (target >= 30)\n", mean(all), all.size());
  }

  if (!globals.empty() && wants("disentanglement")) {
    // 2. Disentanglement of the encoded scalars against random transform parameters. The stored
    // scalars come from appearance_symbols(), the function compress_image() writes; the first
    // transform of each image also goes through compress_image() to check that they agree.
    std::mt19937_64 rng(o.seed);
    CodeMatrix codes, relative;
    FactorMatrix truth;
    codes.cols = relative.cols = kAppearanceFactorCount;
    truth.cols = kAppearanceFactorCount;
    int checked = 0, agreed = 0;
    for (const RdImage& im : images) {
      const auto original = appearance_symbols(im.rgb8);
      for (int r = 0; r < o.thetas; ++r) {
        AppearanceVector theta{};
        std::vector<int> labels;
        for (int k = 0; k < kAppearanceFactorCount; ++k) {
          const int v = int((rng() >> 11) % kThetaValues);
          labels.push_back(v);
          const auto [lo, hi] = theta_range(k);
          theta[k] = lo + (hi - lo) * v / (kThetaValues - 1);
        }
        RgbPlanes planes = image_planes(im.rgb8);
        apply_appearance_delta(planes, theta);
        Image transformed = im.rgb8;
        put_planes(planes, &transformed);
        const auto symbols = appearance_symbols(transformed);
        if (r == 0) {
          CompressOptions c;
          c.quality = o.quality;
          c.threads = threads;
          FACET_ASSIGN_OR_RETURN(Bytes fct, compress_image(transformed, *model, c));
          FACET_ASSIGN_OR_RETURN(FctFile file, read_fct(fct.data(), fct.size()));
          bool same = true;
          for (int k = 0; k < kAppearanceFactorCount; ++k) {
            FACET_ASSIGN_OR_RETURN(double v, read_global_factor(file, globals[k]));
            same &= std::lround(v / globals[k].step) == symbols[k];
          }
          ++checked;
          agreed += same;
        }
        for (int k = 0; k < kAppearanceFactorCount; ++k) {
          codes.values.push_back(symbols[k] * kAppearanceFactors[k].quant_step);
          relative.values.push_back((symbols[k] - original[k]) * kAppearanceFactors[k].quant_step);
        }
        truth.values.insert(truth.values.end(), labels.begin(), labels.end());
        ++codes.rows;
        ++relative.rows;
        ++truth.rows;
      }
    }
    std::printf("\ndisentanglement of the encoded appearance scalars vs T_theta parameters (%zu samples: %d random "
                "theta per image, each parameter uniform over %d values in its edit-fidelity range; seed %llu; "
                "compress_image agreed on %d of %d checked)\n",
                codes.rows, o.thetas, kThetaValues, (unsigned long long)o.seed, agreed, checked);
    // The images' own looks: the spread that the pooled codes carry besides theta.
    std::printf("  theta range, theta std, and the untransformed images' own values (mean +- std over %zu images):\n",
                images.size());
    for (int k = 0; k < kAppearanceFactorCount; ++k) {
      double s1 = 0, s2 = 0;
      for (const RdImage& im : images) {
        const double v = appearance_symbols(im.rgb8)[k] * kAppearanceFactors[k].quant_step;
        s1 += v;
        s2 += v * v;
      }
      const double m = s1 / images.size(), sd = std::sqrt(std::max(0.0, s2 / images.size() - m * m));
      const auto [lo, hi] = theta_range(k);
      const double step = (hi - lo) / (kThetaValues - 1);
      const double theta_sd = step * std::sqrt((kThetaValues * kThetaValues - 1) / 12.0);
      std::printf("    %-12s [%+.2f, %+.2f] %s, std %.3f; own %+.3f +- %.3f\n", kAppearanceFactors[k].name, lo, hi,
                  kAppearanceFactors[k].unit, theta_sd, m, sd);
    }
    // Images in order: train on the first 2/3 of the images, test on the rest.
    // With fewer than 3 images the split is by samples (the test images then share looks with
    // the training ones); each image's samples are contiguous.
    const bool by_image = images.size() >= 3;
    const size_t split = by_image ? (images.size() * 2 / 3) * size_t(o.thetas) : codes.rows * 2 / 3;
    FACET_RETURN_ERROR_IF(split == 0 || split == codes.rows, kInvalidArgument,
                          "disentanglement needs at least 3 samples (--thetas)");
    auto report = [&](const char* label, const CodeMatrix& m) -> Status {
      auto slice_codes = [&](size_t a, size_t b) { return row_slice(m, a, b); };
      auto slice_truth = [&](size_t a, size_t b) { return row_slice(truth, a, b); };
      FACET_ASSIGN_OR_RETURN(MigResult mig, compute_mig(m, truth, 20));
      FACET_ASSIGN_OR_RETURN(DciResult dci, compute_dci(slice_codes(0, split), slice_truth(0, split),
                                                        slice_codes(split, m.rows), slice_truth(split, m.rows),
                                                        DciOptions{}));
      FACET_ASSIGN_OR_RETURN(SapResult sap, compute_sap(slice_codes(0, split), slice_truth(0, split),
                                                        slice_codes(split, m.rows), slice_truth(split, m.rows),
                                                        SapVariant::kContinuous));
      std::printf("  %s: MIG %.3f (20-bin histograms; per factor:", label, mig.mig);
      for (int k = 0; k < kAppearanceFactorCount; ++k) std::printf(" %s %.3f", kAppearanceFactors[k].name, mig.per_factor[k]);
      std::printf(")\n    DCI (gradient-boosted trees; train: the first 2/3 of the %s, test: the rest): "
                  "disentanglement %.3f, completeness %.3f, informativeness train %.3f test %.3f; SAP (continuous) "
                  "%.3f\n",
                  by_image ? "images" : "samples", dci.disentanglement, dci.completeness, dci.informativeness_train,
                  dci.informativeness_test, sap.sap);
      return ok_status();
    };
    FACET_RETURN_IF_ERROR(report("response: stored scalars of T_theta(x) minus those of x (the image's own look removed)",
                                 relative));
    FACET_RETURN_IF_ERROR(report("pooled: the stored scalars as they are (theta plus the image's own look)", codes));
  }

  // 3. Chroma.
  if (config.chroma > 0 && wants("chroma")) {
    std::vector<double> luma_psnr, saturation, saved, saved_share;
    for (const RdImage& im : images) {
      FACET_ASSIGN_OR_RETURN(Coded c, code(im.rgb8, *model, o.quality, threads, o.effort));
      FACET_ASSIGN_OR_RETURN(FctFile file, read_fct(c.fct.data(), c.fct.size()));
      const uint64_t chroma_bytes = file.header.factors[file.header.find("chroma")].length;
      FACET_RETURN_IF_ERROR(edit_factors(file, {}, {}, {"chroma"}));
      FACET_ASSIGN_OR_RETURN(Image gray, decompress_fct(file, *model, plain));
      FACET_ASSIGN_OR_RETURN(double p, psnr_y(luma_image(c.decoded), luma_image(gray)));
      luma_psnr.push_back(std::min(p, 99.0));
      saturation.push_back(mean_saturation(gray));
      saved.push_back(double(chroma_bytes));
      saved_share.push_back(100.0 * chroma_bytes / c.fct.size());
    }
    std::printf("\ndrop chroma (quality %.0f): luma PSNR vs the full decode's luma %.2f dB (min %.2f), mean HSV "
                "saturation %.4f, %.0f bytes saved per image (%.1f%% of the file)\n",
                o.quality, mean(luma_psnr), *std::min_element(luma_psnr.begin(), luma_psnr.end()), mean(saturation),
                mean(saved), mean(saved_share));
  }

  if (!wants("structure") && !base) return ok_status();
  // 4. Structure groups: thinning a stored file against encoding at the same rate.
  const std::vector<double> sweep = {0, 15, 30, 50, 70, 90, 100};
  FACET_ASSIGN_OR_RETURN(std::vector<RdPoint> full, rd_curve(images, *model, sweep, threads, o.effort));
  std::printf("\nre-encoded RD curve (quality: bpp, PSNR-RGB):");
  for (size_t i = 0; i < sweep.size(); ++i) std::printf("  %.0f: %.4f, %.3f", sweep[i], full[i].bpp, full[i].psnr);
  std::printf("\n");
  for (double q : {50.0, 90.0}) {
    if (!wants("structure")) break;
    for (int k = 0; k < config.groups; ++k) {
      std::set<std::string> drop;
      for (int g = config.groups - k; g < config.groups; ++g) drop.insert("structure." + std::to_string(g));
      RdPoint p;
      for (const RdImage& im : images) {
        FACET_ASSIGN_OR_RETURN(Coded c, code(im.rgb8, *model, q, threads, o.effort, drop));
        p.bpp += bpp_of(c.fct, im.rgb8) / images.size();
        FACET_ASSIGN_OR_RETURN(double psnr, psnr_of(im.rgb8, c.decoded));
        p.psnr += psnr / images.size();
      }
      std::printf("  quality %.0f, %d trailing groups dropped: %.4f bpp, %.3f dB; re-encoded at that rate %.3f dB "
                  "(gap %+.3f dB)\n",
                  q, k, p.bpp, p.psnr, psnr_at(full, p.bpp), p.psnr - psnr_at(full, p.bpp));
    }
  }

  // 5. The cost of the factors: BD-rate against the same architecture trained without them.
  if (base) {
    FACET_ASSIGN_OR_RETURN(std::vector<RdPoint> base_curve, rd_curve(images, *base, sweep, threads, o.effort));
    std::printf("\nbaseline %s RD curve:", base->model_id().c_str());
    for (size_t i = 0; i < sweep.size(); ++i)
      std::printf("  %.0f: %.4f, %.3f", sweep[i], base_curve[i].bpp, base_curve[i].psnr);
    FACET_ASSIGN_OR_RETURN(double bd, bd_rate_percent(base_curve, full));
    // The +3% target is for a baseline without factors; against another factor model (comparing
    // two trainings, say) the number is a plain BD-rate.
    const bool factor_free_baseline = base->bundle.net->config().chroma == 0;
    std::printf("\nBD-rate (PSNR-RGB) of %s against %s: %+.2f%%%s\n", config.model_id.c_str(),
                base->model_id().c_str(), bd, factor_free_baseline ? " (target within +3%)" : "");
  }
  return ok_status();
}

struct EvalSpritesOptions {
  std::string model;
  int points = 10000;
  int held_out = 1000;
  uint64_t seed = 12345;
  int threads = 0;
  bool json = false;
};

Status eval_disentanglement(const EvalSpritesOptions& o) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  // With --json the report is one JSON document on standard output; the text goes to stderr.
  FILE* text = o.json ? stderr : stdout;
  nlohmann::json report;
  at::set_num_threads(resolve_threads(o.threads));
  FACET_ASSIGN_OR_RETURN(std::shared_ptr<CodecModel> model, load_model_option(o.model));
  FACET_RETURN_ERROR_IF(!model->is_sprites(), kInvalidArgument, "eval disentanglement needs a sprites model (--model)");
  SpritesBundle& sprites = *model->sprites;
  SpritesVae net = sprites.net;
  torch::NoGradGuard no_grad;
  auto represent = [&](const std::vector<int>& factors, size_t n) -> StatusOr<CodeMatrix> {
    auto x = torch::empty({int64_t(n), 1, kSpriteSize, kSpriteSize});
    float* dst = x.data_ptr<float>();
    uint8_t pixels[kSpritePixels];
    for (size_t i = 0; i < n; ++i) {
      const SpriteFactors f{factors[i * 5], factors[i * 5 + 1], factors[i * 5 + 2], factors[i * 5 + 3], factors[i * 5 + 4]};
      FACET_RETURN_IF_ERROR(render_sprite_into(f, pixels));
      for (size_t p = 0; p < kSpritePixels; ++p) dst[i * kSpritePixels + p] = pixels[p];
    }
    auto means = encode_sprite_means(net, x).contiguous();
    CodeMatrix m;
    m.rows = n;
    m.cols = size_t(means.size(1));
    m.values.assign(means.data_ptr<float>(), means.data_ptr<float>() + means.numel());
    return m;
  };
  auto sample = [&](uint64_t seed, size_t n, FactorMatrix* truth) -> StatusOr<CodeMatrix> {
    std::mt19937_64 rng(seed);
    truth->rows = n;
    truth->cols = 5;
    truth->values.clear();
    for (size_t i = 0; i < n; ++i) {
      const auto a = random_sprite_factors(rng).to_array();
      truth->values.insert(truth->values.end(), a.begin(), a.end());
    }
    return represent(truth->values, n);
  };
  std::fprintf(text, "model %s (%s): %d latents, beta %.3g, %zu stored:", sprites.net->config().model_id.c_str(),
              model->path.c_str(), sprites.net->config().latents, sprites.net->config().beta, sprites.info.stored.size());
  for (const auto& s : sprites.info.stored)
    std::fprintf(text, " z%d=%s (KL %.2f nats, MI %.2f nats, step %.3f)", s.latent, s.name.c_str(), s.kl, s.mutual_info, s.step);
  std::fprintf(text, "\n");
  FactorMatrix train_truth, test_truth;
  FACET_ASSIGN_OR_RETURN(CodeMatrix train, sample(o.seed, size_t(o.points), &train_truth));
  FACET_ASSIGN_OR_RETURN(CodeMatrix test, sample(o.seed + 1, size_t(o.points / 2), &test_truth));
  const int bins = 20;
  FACET_ASSIGN_OR_RETURN(MigResult mig, compute_mig(train, train_truth, bins));
  std::fprintf(text, "MIG %.3f (%d points, %d-bin histograms of the posterior means; per factor:", mig.mig, o.points, bins);
  for (int k = 0; k < 5; ++k) std::fprintf(text, " %s %.3f", kSpriteFactorNames[k], mig.per_factor[k]);
  std::fprintf(text, ")\n");
  FACET_ASSIGN_OR_RETURN(SapResult sap_d, compute_sap(train, train_truth, test, test_truth, SapVariant::kDiscrete));
  FACET_ASSIGN_OR_RETURN(SapResult sap_c, compute_sap(train, train_truth, test, test_truth, SapVariant::kContinuous));
  std::fprintf(text,
               "SAP %.3f (discrete, as published: 1-D linear SVMs, liblinear's LinearSVC with C 0.01 and balanced "
               "class weights, accuracy on the %d test points; per factor:",
               sap_d.sap, o.points / 2);
  for (int k = 0; k < 5; ++k) std::fprintf(text, " %s %.3f", kSpriteFactorNames[k], sap_d.per_factor[k]);
  std::fprintf(text, "); continuous variant %.3f (R^2 of 1-D linear fits)\n", sap_c.sap);
  const DciOptions dci_options;
  FACET_ASSIGN_OR_RETURN(DciResult dci, compute_dci(train, train_truth, test, test_truth, dci_options));
  std::fprintf(text, "DCI (gradient-boosted trees, %d train / %d test): disentanglement %.3f, completeness %.3f, "
              "informativeness train %.3f test %.3f\n",
              o.points, o.points / 2, dci.disentanglement, dci.completeness, dci.informativeness_train,
              dci.informativeness_test);
  GroundTruthSampler sampler;
  sampler.factor_sizes.assign(kSpriteFactorSizes.begin(), kSpriteFactorSizes.end());
  sampler.represent = [&](const FactorMatrix& f) { return represent(f.values, f.rows); };
  const FactorVaeOptions fv_options;
  FACET_ASSIGN_OR_RETURN(FactorVaeResult fv, compute_factor_vae_score(sampler, o.seed + 2, fv_options));
  std::fprintf(text,
               "FactorVAE score %.3f (eval accuracy on %d votes; train %.3f on %d; batches of %d; pruning: a latent "
               "is kept when its std over %d samples is >= %.3g, as in disentanglement_lib's study: kept %d of "
               "%zu)\n",
               fv.eval_accuracy, fv_options.num_eval, fv.train_accuracy, fv_options.num_train, fv_options.batch_size,
               fv_options.num_variance_estimate, fv_options.prune_std_threshold, fv.num_active_dims,
               fv.global_variances.size());

  auto per_factor = [](const std::vector<double>& values) {
    nlohmann::json j = nlohmann::json::object();
    for (size_t k = 0; k < values.size() && k < 5; ++k) j[kSpriteFactorNames[k]] = values[k];
    return j;
  };
  const nlohmann::json split = {{"train_points", o.points}, {"test_points", o.points / 2},
                                {"train_seed", o.seed}, {"test_seed", o.seed + 1}};
  report["model"] = {{"id", sprites.net->config().model_id}, {"path", model->path},
                     {"latents", sprites.net->config().latents}};
  report["codes"] = "posterior means of the encoder on sprites of Facet's own dSprites-like renderer";
  report["factors"] = {{"names", std::vector<std::string>(kSpriteFactorNames.begin(), kSpriteFactorNames.end())},
                       {"sizes", std::vector<int>(kSpriteFactorSizes.begin(), kSpriteFactorSizes.end())}};
  report["metrics"]["mig"] = {{"value", mig.mig}, {"per_factor", per_factor(mig.per_factor)},
                              {"settings", {{"bins", bins}, {"discretization", "np.histogram edges per latent"},
                                            {"mutual_information", "plug-in, nats"}, {"points", o.points},
                                            {"seed", o.seed}}}};
  report["metrics"]["sap"] = {
      {"value", sap_d.sap}, {"variant", "discrete"}, {"per_factor", per_factor(sap_d.per_factor)},
      {"score_matrix", sap_d.score_matrix},
      {"settings", {{"classifier", "linear SVM per latent and factor (liblinear L2R_L2LOSS_SVC_DUAL, as LinearSVC)"},
                    {"C", 0.01}, {"class_weight", "balanced"}, {"multi_class", "one-vs-rest"},
                    {"intercept_scaling", 1}, {"tolerance", 1e-4}, {"score", "test accuracy"}, {"split", split}}}};
  report["metrics"]["sap_continuous"] = {
      {"value", sap_c.sap}, {"variant", "continuous"}, {"per_factor", per_factor(sap_c.per_factor)},
      {"score_matrix", sap_c.score_matrix},
      {"settings", {{"score", "R^2 of a 1-D linear regression on the train split"}, {"split", split}}}};
  report["metrics"]["dci"] = {
      {"disentanglement", dci.disentanglement}, {"completeness", dci.completeness},
      {"informativeness_train", dci.informativeness_train}, {"informativeness_test", dci.informativeness_test},
      {"importance", dci.importance},
      {"settings", {{"predictor", "gradient-boosted trees (as sklearn GradientBoostingClassifier)"},
                    {"stages", dci_options.num_stages}, {"learning_rate", dci_options.learning_rate},
                    {"max_depth", dci_options.max_depth}, {"histogram_bins", dci_options.max_bins},
                    {"split", split}}}};
  report["metrics"]["factor_vae"] = {
      {"value", fv.eval_accuracy}, {"train_accuracy", fv.train_accuracy},
      {"settings", {{"batch_size", fv_options.batch_size}, {"train_votes", fv_options.num_train},
                    {"eval_votes", fv_options.num_eval}, {"variance_samples", fv_options.num_variance_estimate},
                    {"seed", o.seed + 2},
                    {"pruning", {{"rule", "std >= threshold (disentanglement_lib's study, prune_dims.threshold)"},
                                 {"threshold", fv_options.prune_std_threshold},
                                 {"kept", fv.num_active_dims},
                                 {"latents", fv.global_variances.size()}}}}}};

  // The codec on held-out sprites, and the posX edit.
  std::mt19937_64 rng(o.seed + 3);
  double payload_bits = 0, file_bytes = 0, accuracy = 0, iou = 0, ideal = 0;
  int within = 0, edits = 0;
  double shift_error = 0;
  const auto globals = model->global_factors();
  const GlobalFactorModel* pos_x = nullptr;
  for (const auto& g : globals)
    if (g.name == "posX") pos_x = &g;
  for (int i = 0; i < o.held_out; ++i) {
    const SpriteFactors f = random_sprite_factors(rng);
    uint8_t pixels[kSpritePixels];
    FACET_RETURN_IF_ERROR(render_sprite_into(f, pixels));
    Image image = make_image(kSpriteSize, kSpriteSize, 1, 8).value();
    for (size_t p = 0; p < kSpritePixels; ++p) image.samples[p] = pixels[p] ? 255 : 0;
    FACET_ASSIGN_OR_RETURN(Bytes fct, compress_image(image, *model, CompressOptions{}));
    FACET_ASSIGN_OR_RETURN(FctFile file, read_fct(fct.data(), fct.size()));
    for (size_t s = 0; s < file.streams.size(); ++s) {
      payload_bits += 8.0 * file.streams[s].size();
      FACET_ASSIGN_OR_RETURN(double v, read_global_factor(file, globals[s]));
      ideal += -std::log2(double(sprites.info.tables.cdf(globals[s].table)[int(std::lround(v / globals[s].step)) - sprites.info.tables.offset(globals[s].table) + 1] -
                                 sprites.info.tables.cdf(globals[s].table)[int(std::lround(v / globals[s].step)) - sprites.info.tables.offset(globals[s].table)]) /
                          65536.0);
    }
    file_bytes += fct.size();
    FACET_ASSIGN_OR_RETURN(Image decoded, decompress_fct(file, *model, DecompressOptions{}));
    int same = 0, inter = 0, uni = 0;
    for (size_t p = 0; p < kSpritePixels; ++p) {
      const bool a = pixels[p] != 0, b = decoded.samples[p] != 0;
      same += a == b;
      inter += a && b;
      uni += a || b;
    }
    accuracy += double(same) / kSpritePixels;
    iou += uni ? double(inter) / uni : 1.0;
    if (pos_x && i < 200) {  // move the sprite to a new posX and measure the decoded centroid's shift
      const int target = int((rng() >> 11) % 32);
      FctFile moved = file;
      FACET_RETURN_IF_ERROR(edit_factors(moved, globals, {{"posX", {target / 31.0, false}}}, {}));
      FACET_ASSIGN_OR_RETURN(Image after, decompress_fct(moved, *model, DecompressOptions{}));
      std::vector<uint8_t> before_px(kSpritePixels), after_px(kSpritePixels);
      for (size_t p = 0; p < kSpritePixels; ++p) {
        before_px[p] = decoded.samples[p] != 0;
        after_px[p] = after.samples[p] != 0;
      }
      auto c0 = sprite_centroid(before_px.data());
      auto c1 = sprite_centroid(after_px.data());
      if (!c0.ok() || !c1.ok()) continue;
      // Expected shift: from the sprite's posX to the target, one pixel per position step
      // (sprite_render.h: the centre is at 16.5 + 31 * posX pixels).
      const double measured = c1->x - c0->x;
      const double step_px = 1.0;
      const double want = (target - f.pos_x) * step_px;
      shift_error += std::abs(measured - want);
      within += std::abs(measured - want) <= step_px;
      ++edits;
    }
  }
  std::fprintf(text, "codec on %d held-out sprites (seed %llu): %.1f payload bits per sprite (stream bytes; %.1f ideal), "
              "%.1f bytes per file with header; pixel accuracy %.4f, IoU %.4f\n",
              o.held_out, (unsigned long long)(o.seed + 3), payload_bits / o.held_out, ideal / o.held_out,
              file_bytes / o.held_out, accuracy / o.held_out, iou / o.held_out);
  if (edits)
    std::fprintf(text, "edit --set posX: %d sprites moved to a random posX; decoded centroid shift vs expected: mean error "
                "%.3f px, %.1f%% within one position step (1 px)\n",
                edits, shift_error / edits, 100.0 * within / edits);
  report["codec"] = {{"held_out", o.held_out}, {"seed", o.seed + 3},
                     {"payload_bits_per_sprite", payload_bits / o.held_out},
                     {"ideal_bits_per_sprite", ideal / o.held_out}, {"file_bytes", file_bytes / o.held_out},
                     {"pixel_accuracy", accuracy / o.held_out}, {"iou", iou / o.held_out}};
  if (edits)
    report["codec"]["posx_edit"] = {{"sprites", edits}, {"mean_error_px", shift_error / edits},
                                    {"within_one_step", double(within) / edits}};
  if (o.json) std::printf("%s\n", report.dump(2).c_str());
  return ok_status();
}

}  // namespace

void add_eval_command(CLI::App& app, Runner* run) {
  CLI::App* eval = app.add_subcommand("eval", "Measure factors: appearance, chroma and structure groups, or sprites disentanglement");
  eval->require_subcommand(1);
  auto f = std::make_shared<EvalFactorsOptions>();
  CLI::App* factors = eval->add_subcommand("factors", "The photo model's factors on a directory of images");
  factors->add_option("DIR", f->directory, "Directory of images (or one image)")->required();
  factors->add_option("--model", f->model, "Model (default: the shipped model)");
  factors->add_option("--baseline-model", f->baseline_model, "Same architecture without factors: BD-rate of the cost");
  factors->add_option("-q,--quality", f->quality, "Quality of the appearance and chroma measurements")->capture_default_str();
  factors->add_option("-e,--effort", f->effort, "Encoder effort of the files measured")
      ->check(CLI::Range(kMinEffort, kMaxEffort))
      ->capture_default_str();
  factors->add_option("--thetas", f->thetas, "Random transforms per image (disentanglement)")->capture_default_str();
  factors->add_option("--seed", f->seed, "Seed of the random transforms")->capture_default_str();
  factors->add_option("--measure", f->measure, "Measurements: edits, disentanglement, chroma, structure, cost")
      ->delimiter(',')
      ->check(CLI::IsMember({"edits", "disentanglement", "chroma", "structure", "cost"}))
      ->capture_default_str();
  factors->add_option("--threads", f->threads, "Threads (default: all cores)");
  factors->callback([f, run] {
    *run = [f] {
      Status s = eval_factors(*f);
      return s.ok() ? int(kExitOk) : report_error(s);
    };
  });
  auto d = std::make_shared<EvalSpritesOptions>();
  CLI::App* dis = eval->add_subcommand("disentanglement", "MIG, SAP, DCI, FactorVAE and the codec of a sprites model");
  dis->add_option("--model", d->model, "Sprites model")->required();
  dis->add_option("--points", d->points, "Samples for MIG, SAP and DCI training (test: half)")->capture_default_str();
  dis->add_option("--held-out", d->held_out, "Held-out sprites for the codec measurement")->capture_default_str();
  dis->add_option("--seed", d->seed, "Seed")->capture_default_str();
  dis->add_option("--threads", d->threads, "Threads (default: all cores)");
  dis->add_flag("--json", d->json, "Print every metric with its variant and settings as JSON (the text goes to stderr)");
  dis->callback([d, run] {
    *run = [d] {
      Status s = eval_disentanglement(*d);
      return s.ok() ? int(kExitOk) : report_error(s);
    };
  });
}

}  // namespace facet::cli
