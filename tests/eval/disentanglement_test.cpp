// Tests of MIG, SAP, DCI and the FactorVAE score: hand-computed cases, values from
// disentanglement_lib's formulas on scikit-learn 1.2.1 / numpy 1.24.2 / scipy 1.10.1, and
// synthetic codes whose scores are known (disentangled, rotated, independent of the factors).
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "eval/disentanglement.h"
#include "eval/sap.h"
#include "tests/eval/disentanglement_data.h"

using namespace facet;
using namespace facet::disentanglement_test_data;

TEST_CASE("Disentangled codes: MIG, SAP, DCI and FactorVAE near 1", "[disentanglement]") {
  const DataSet data = make_data(Kind::kDisentangled, 10000, 1);
  // Each factor value falls in its own bin (spacing 1 > bin width 9.06 / 20), so the matching code
  // carries all of H(v_k); the next largest MI is a plug-in bias of about (20-1)(10-1) / 2N nats.
  const MigResult mig = compute_mig(data.codes, data.factors).value();
  CHECK(mig.mig > 0.99);
  CHECK(mig.mig <= 1.0);

  const DataSet test = make_data(Kind::kDisentangled, 2000, 2);
  const SapResult continuous =
      compute_sap(data.codes, data.factors, test.codes, test.factors, SapVariant::kContinuous)
          .value();
  CHECK(continuous.sap > 0.99);
  const SapResult discrete =
      compute_sap(data.codes, data.factors, test.codes, test.factors, SapVariant::kDiscrete)
          .value();
  // A 1-D one-vs-rest linear SVM (C = 0.01) separates only the classes near the ends of the
  // matching code's range, so even a perfect code scores far below 1: about 0.28-0.31 on the
  // matching code against 0.1 (chance) elsewhere. scikit-learn's LinearSVC on the same
  // construction (numpy's random numbers, 10000 train / 2000 test rows): SAP 0.1835.
  CHECK(discrete.sap == Approx(0.1835).margin(0.02));
  CHECK(discrete.score_matrix[2 * 3 + 0] > discrete.score_matrix[0 * 3 + 0]);
  CHECK(discrete.score_matrix[4 * 3 + 1] > discrete.score_matrix[1 * 3 + 1]);
  CHECK(discrete.score_matrix[0 * 3 + 2] > discrete.score_matrix[3 * 3 + 2]);

  const DataSet train = make_data(Kind::kDisentangled, 2000, 3);
  const DciResult dci = compute_dci(train.codes, train.factors, test.codes, test.factors).value();
  CHECK(dci.disentanglement > 0.9);
  CHECK(dci.completeness > 0.9);
  CHECK(dci.informativeness_train > 0.99);
  CHECK(dci.informativeness_test > 0.99);
  // Code 2 predicts factor 0, code 4 factor 1, code 0 factor 2 (importance is D x K).
  CHECK(dci.importance[2 * 3 + 0] > 0.9);
  CHECK(dci.importance[4 * 3 + 1] > 0.9);
  CHECK(dci.importance[0 * 3 + 2] > 0.9);

  DciOptions lasso;
  lasso.predictor = DciPredictor::kLasso;
  const DciResult dci_lasso =
      compute_dci(train.codes, train.factors, test.codes, test.factors, lasso).value();
  CHECK(dci_lasso.disentanglement > 0.9);
  CHECK(dci_lasso.completeness > 0.9);
  CHECK(dci_lasso.informativeness_test > 0.99);

  FactorVaeOptions options;
  options.num_train = 2000;
  options.num_eval = 1000;
  const FactorVaeResult vae =
      compute_factor_vae_score(make_sampler(Kind::kDisentangled, 4), 5, options).value();
  CHECK(vae.num_active_dims == 5);  // noise dims have variance 1 >= 0.05: active, never chosen
  CHECK(vae.train_accuracy == 1.0);
  CHECK(vae.eval_accuracy == 1.0);
  CHECK(vae.classifier == std::vector<int>{2, -1, 0, -1, 1});
}

TEST_CASE("Rotated codes: MIG, SAP and DCI disentanglement low", "[disentanglement]") {
  // Codes (f0 + f1)/sqrt2, (f0 - f1)/sqrt2 and the same for (f2, f3). Binned, each code is exactly
  // f0 + f1 or f0 - f1 (19 values spaced 0.707 apart in 20 bins 0.636 wide), and (f0, f0 - f1)
  // has the distribution of (f0, f0 + f1) shifted, so both codes carry the same MI about f0
  // (H(f0 + f1) - H(f1) = 0.491 nats): the gap, hence MIG, is 0 up to sampling noise.
  const DataSet data = make_data(Kind::kRotated, 10000, 11);
  const MigResult mig = compute_mig(data.codes, data.factors).value();
  CHECK(mig.mig < 0.05);
  CHECK(mig.mutual_info[0 * 4 + 0] == Approx(mig.mutual_info[1 * 4 + 0]).margin(0.03));
  // Each code has correlation^2 1/2 with two factors: continuous SAP near 0.
  const DataSet test = make_data(Kind::kRotated, 2000, 12);
  const SapResult sap =
      compute_sap(data.codes, data.factors, test.codes, test.factors, SapVariant::kContinuous)
          .value();
  CHECK(sap.sap < 0.05);
  // Each code is needed for two factors and each factor needs two codes: per code importance
  // about (1/2, 1/2, 0, 0) -> 1 - H_4 = 1/2, far from the disentangled codes' > 0.9.
  const DataSet train = make_data(Kind::kRotated, 2000, 13);
  const DciResult dci = compute_dci(train.codes, train.factors, test.codes, test.factors).value();
  CHECK(dci.disentanglement < 0.7);
  CHECK(dci.disentanglement > 0.3);
  CHECK(dci.completeness < 0.7);
  // Fixing f0 halves the variance of both of its codes: the argmin picks either, so each code
  // dimension gets the votes of two factors and the majority classifier is right about half the
  // time.
  FactorVaeOptions options;
  options.num_train = 1000;
  options.num_eval = 500;
  const FactorVaeResult vae =
      compute_factor_vae_score(make_sampler(Kind::kRotated, 14), 15, options).value();
  CHECK(vae.eval_accuracy < 0.75);
}

TEST_CASE("Codes independent of the factors: MIG near 0, DCI informativeness near chance",
          "[disentanglement]") {
  const DataSet data = make_data(Kind::kNoise, 10000, 21);
  const MigResult mig = compute_mig(data.codes, data.factors).value();
  CHECK(mig.mig < 0.02);  // only the plug-in bias fluctuates
  const DataSet test = make_data(Kind::kNoise, 2000, 22);
  const SapResult sap =
      compute_sap(data.codes, data.factors, test.codes, test.factors, SapVariant::kContinuous)
          .value();
  CHECK(sap.sap < 0.01);
  const DataSet train = make_data(Kind::kNoise, 2000, 23);
  const DciResult dci = compute_dci(train.codes, train.factors, test.codes, test.factors).value();
  CHECK(dci.informativeness_test < 0.15);  // chance is 1/10
  CHECK(dci.informativeness_test > 0.05);
  FactorVaeOptions options;
  options.num_train = 1000;
  options.num_eval = 500;
  const FactorVaeResult vae =
      compute_factor_vae_score(make_sampler(Kind::kNoise, 24), 25, options).value();
  CHECK(vae.eval_accuracy < 0.5);  // chance is 1/3
}

TEST_CASE("FactorVAE: pruning, no active dimension, determinism, sampler errors",
          "[disentanglement]") {
  FactorVaeOptions options;
  options.num_train = 200;
  options.num_eval = 100;
  options.num_variance_estimate = 500;
  // Code 0 = f0, code 1 = 0.1 f1 (std 0.29 >= 0.05: active), code 2 = 0.001 f1 (std 0.0029 < 0.05:
  // pruned, it gets no vote).
  GroundTruthSampler sampler;
  sampler.factor_sizes = {10, 10};
  sampler.represent = [](const FactorMatrix& f) -> StatusOr<CodeMatrix> {
    CodeMatrix codes{f.rows, 3, std::vector<double>(f.rows * 3)};
    for (size_t r = 0; r < f.rows; ++r) {
      codes.at(r, 0) = f.at(r, 0);
      codes.at(r, 1) = 0.1 * f.at(r, 1);
      codes.at(r, 2) = 0.001 * f.at(r, 1);
    }
    return codes;
  };
  const FactorVaeResult a = compute_factor_vae_score(sampler, 7, options).value();
  CHECK(a.active == std::vector<bool>{true, true, false});
  CHECK(a.num_active_dims == 2);
  CHECK(a.eval_accuracy == 1.0);
  CHECK(a.classifier == std::vector<int>{0, 1, -1});
  CHECK(a.global_variances[0] == Approx(8.25).epsilon(0.1));
  const FactorVaeResult b = compute_factor_vae_score(sampler, 7, options).value();
  CHECK(a.train_votes == b.train_votes);
  CHECK(a.eval_votes == b.eval_votes);
  CHECK(a.global_variances == b.global_variances);

  options.prune_std_threshold = 10;  // nothing is active
  const FactorVaeResult none = compute_factor_vae_score(sampler, 7, options).value();
  CHECK(none.num_active_dims == 0);
  CHECK(none.train_accuracy == 0);
  CHECK(none.eval_accuracy == 0);

  GroundTruthSampler failing = sampler;
  failing.represent = [](const FactorMatrix&) -> StatusOr<CodeMatrix> {
    return make_error(ErrorCode::kIo, "model file vanished");
  };
  auto failed = compute_factor_vae_score(failing, 7, options);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.status().code() == ErrorCode::kIo);

  GroundTruthSampler short_rows = sampler;
  short_rows.represent = [](const FactorMatrix&) -> StatusOr<CodeMatrix> {
    return CodeMatrix{1, 1, {0.0}};
  };
  CHECK(compute_factor_vae_score(short_rows, 7, options).status().code() ==
        ErrorCode::kInvalidArgument);
}

TEST_CASE("Disentanglement metrics reject invalid inputs", "[disentanglement]") {
  const CodeMatrix codes{4, 2, {0, 1, 2, 3, 4, 5, 6, 7}};
  const FactorMatrix factors{4, 2, {0, 1, 1, 0, 0, 1, 1, 0}};
  auto invalid = [](const Status& status) { return status.code() == ErrorCode::kInvalidArgument; };

  CHECK(compute_mig(codes, factors).ok());
  CHECK(invalid(compute_mig(CodeMatrix{}, factors).status()));
  CHECK(invalid(compute_mig(codes, FactorMatrix{}).status()));
  CHECK(invalid(compute_mig(codes, factors, 0).status()));
  CHECK(invalid(compute_mig(CodeMatrix{3, 2, {0, 1, 2, 3, 4, 5}}, factors).status()));  // rows
  CHECK(invalid(compute_mig(CodeMatrix{4, 2, {0, 1, 2}}, factors).status()));           // size
  CHECK(invalid(compute_mig(CodeMatrix{4, 1, {0, 1, 2, 3}}, factors).status()));        // D = 1
  CodeMatrix nan = codes;
  nan.values[5] = std::nan("");
  CHECK(invalid(compute_mig(nan, factors).status()));
  CodeMatrix inf = codes;
  inf.values[0] = INFINITY;
  CHECK(invalid(compute_dci(inf, factors, codes, factors).status()));
  FactorMatrix negative = factors;
  negative.values[3] = -1;
  CHECK(invalid(compute_mig(codes, negative).status()));
  CHECK(invalid(compute_mig(codes, FactorMatrix{4, 1, {2, 2, 2, 2}}).status()));  // all constant

  const SapVariant c = SapVariant::kContinuous;
  CHECK(compute_sap(codes, factors, codes, factors, c).ok());
  CHECK(invalid(compute_sap(codes, factors, CodeMatrix{4, 3, std::vector<double>(12)}, factors, c)
                    .status()));  // D differs between train and test
  CHECK(invalid(compute_sap(codes, factors, codes, FactorMatrix{4, 1, {0, 1, 0, 1}}, c)
                    .status()));  // K differs
  CHECK(invalid(compute_sap(codes, negative, codes, factors, SapVariant::kDiscrete).status()));

  CHECK(compute_dci(codes, factors, codes, factors).ok());
  CHECK(invalid(
      compute_dci(codes, FactorMatrix{4, 1, {0, 1, 0, 1}}, codes, FactorMatrix{4, 1, {0, 1, 0, 1}})
          .status()));  // K = 1
  DciOptions options;
  options.max_bins = 300;
  CHECK(invalid(compute_dci(codes, factors, codes, factors, options).status()));
  options = DciOptions();
  options.learning_rate = 0;
  CHECK(invalid(compute_dci(codes, factors, codes, factors, options).status()));
  options = DciOptions();
  options.predictor = DciPredictor::kLasso;
  options.lasso_alpha = -1;
  CHECK(invalid(compute_dci(codes, factors, codes, factors, options).status()));
  CHECK(invalid(dci_from_importance({1, 2, 3}, 2, 2).status()));
  CHECK(invalid(dci_from_importance({1, -2, 3, 4}, 2, 2).status()));

  GroundTruthSampler sampler;
  CHECK(invalid(compute_factor_vae_score(sampler, 1).status()));  // no factors
  sampler.factor_sizes = {3, 0};
  sampler.represent = [](const FactorMatrix& f) -> StatusOr<CodeMatrix> {
    return CodeMatrix{f.rows, 1, std::vector<double>(f.rows)};
  };
  CHECK(invalid(compute_factor_vae_score(sampler, 1).status()));  // a factor with no value
  sampler.factor_sizes = {3, 2};
  FactorVaeOptions vae_options;
  vae_options.batch_size = 1;
  CHECK(invalid(compute_factor_vae_score(sampler, 1, vae_options).status()));
  sampler.represent = nullptr;
  CHECK(invalid(compute_factor_vae_score(sampler, 1).status()));
}

// Timings at N = 10,000, D = 10, K = 5 (factor sizes 3, 6, 40, 32, 32, as dSprites). Hidden: run
// with `facet_tests "[.disentanglement-bench]"`.
TEST_CASE("Disentanglement metric timings at N=10000, D=10, K=5", "[.disentanglement-bench]") {
  const size_t n = 10000, d = 10;
  const std::vector<int> sizes = {3, 6, 40, 32, 32};
  const size_t k = sizes.size();
  auto represent = [d, k](const FactorMatrix& f, Rng& rng) {
    CodeMatrix codes{f.rows, d, std::vector<double>(f.rows * d)};
    for (size_t r = 0; r < f.rows; ++r)
      for (size_t i = 0; i < d; ++i)
        codes.at(r, i) = (i < k ? f.at(r, i) : 0.0) + rng.normal() * (i < k ? 0.1 : 1.0);
    return codes;
  };
  Rng rng(31);
  auto make = [&](size_t rows) {
    FactorMatrix f{rows, k, std::vector<int>(rows * k)};
    for (size_t r = 0; r < rows; ++r)
      for (size_t j = 0; j < k; ++j) f.at(r, j) = rng.below(sizes[j]);
    return DataSet{represent(f, rng), f};
  };
  const DataSet train = make(n), test = make(n / 2);

  Timer timer;
  const MigResult mig = compute_mig(train.codes, train.factors).value();
  std::printf("MIG %.4f: %s\n", mig.mig, timer.elapsed().c_str());
  timer = Timer();
  const SapResult sap_c =
      compute_sap(train.codes, train.factors, test.codes, test.factors, SapVariant::kContinuous)
          .value();
  std::printf("SAP continuous %.4f: %s\n", sap_c.sap, timer.elapsed().c_str());
  timer = Timer();
  const SapResult sap_d =
      compute_sap(train.codes, train.factors, test.codes, test.factors, SapVariant::kDiscrete)
          .value();
  std::printf("SAP discrete %.4f: %s\n", sap_d.sap, timer.elapsed().c_str());
  timer = Timer();
  const DciResult dci = compute_dci(train.codes, train.factors, test.codes, test.factors).value();
  std::printf("DCI (GBT) D %.4f C %.4f I train %.4f test %.4f: %s\n", dci.disentanglement,
              dci.completeness, dci.informativeness_train, dci.informativeness_test,
              timer.elapsed().c_str());
  // Worst case for the trees: codes independent of the factors never make a node pure.
  CodeMatrix noise_train = train.codes, noise_test = test.codes;
  for (double& v : noise_train.values) v = rng.normal();
  for (double& v : noise_test.values) v = rng.normal();
  timer = Timer();
  const DciResult dci_noise =
      compute_dci(noise_train, train.factors, noise_test, test.factors).value();
  std::printf("DCI (GBT) on noise codes: D %.4f C %.4f I train %.4f test %.4f: %s\n",
              dci_noise.disentanglement, dci_noise.completeness, dci_noise.informativeness_train,
              dci_noise.informativeness_test, timer.elapsed().c_str());
  DciOptions lasso;
  lasso.predictor = DciPredictor::kLasso;
  timer = Timer();
  const DciResult dci_lasso =
      compute_dci(train.codes, train.factors, test.codes, test.factors, lasso).value();
  std::printf("DCI (lasso) D %.4f C %.4f I test %.4f: %s\n", dci_lasso.disentanglement,
              dci_lasso.completeness, dci_lasso.informativeness_test, timer.elapsed().c_str());
  auto sampler_rng = std::make_shared<Rng>(32);
  GroundTruthSampler sampler{
      sizes, [&represent, sampler_rng](const FactorMatrix& f) -> StatusOr<CodeMatrix> {
        return represent(f, *sampler_rng);
      }};
  timer = Timer();
  const FactorVaeResult vae = compute_factor_vae_score(sampler, 33).value();
  std::printf("FactorVAE %.4f (train %.4f), 10000 + 5000 votes of 64 rows: %s\n", vae.eval_accuracy,
              vae.train_accuracy, timer.elapsed().c_str());
  CHECK(dci.informativeness_test > 0.5);
}
