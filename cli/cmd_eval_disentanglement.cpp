// facet eval disentanglement: MIG, SAP, DCI and the FactorVAE score of the sprites model against the
// renderer's ground-truth factors, and its codec on held-out sprites.
#include <ATen/Parallel.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "codec/codec.h"
#include "torch_codec/libtorch_backend.h"
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

Status eval_disentanglement(const EvalSpritesOptions& o) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  // With --json the report is one JSON document on standard output; the text goes to stderr.
  FILE* text = o.json ? stderr : stdout;
  nlohmann::json report;
  at::set_num_threads(resolve_threads(o.threads));
  FACET_ASSIGN_OR_RETURN(std::shared_ptr<CodecModel> model, load_model_option(o.model));
  FACET_RETURN_ERROR_IF(!model->is_sprites(), kInvalidArgument, "eval disentanglement needs a sprites model (--model)");
  SpritesBundle& sprites = *libtorch_sprites(*model);
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


}  // namespace facet::cli
