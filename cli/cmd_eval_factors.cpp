// facet eval factors: the photo model's factors (appearance edits, their disentanglement, the
// chroma and structure groups, the cost against a model without factors) on a directory of images.
#include <ATen/Parallel.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "codec/codec.h"
#include "torch_codec/sprite_codec.h"
#include "sprites/sprite_render.h"
#include "train/sprites_trainer.h"
#include "eval/bd_rate.h"
#include "eval/disentanglement.h"
#include "eval/metrics.h"
#include "eval/sap.h"

#include <nlohmann/json.hpp>
#include "cli/cmd_eval.h"

namespace facet::cli {
namespace {

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

}  // namespace

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
  const ModelConfig& config = model->config();
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
    const bool factor_free_baseline = base->config().chroma == 0;
    std::printf("\nBD-rate (PSNR-RGB) of %s against %s: %+.2f%%%s\n", config.model_id.c_str(),
                base->model_id().c_str(), bd, factor_free_baseline ? " (target within +3%)" : "");
  }
  return ok_status();
}

}  // namespace facet::cli
