// The disentanglement metrics against values computed by disentanglement_lib's formulas on
// scikit-learn / numpy / scipy (tests/eval/data/disentanglement_reference.py) and by hand.
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

TEST_CASE("MIG of four samples matches hand-computed mutual information", "[disentanglement]") {
  // Two bins per code. Code 0 = (0, 0.5, 1, 0.2): edges 0, 0.5 (and 1), 0.5 lies on an inner
  // edge and goes right (np.digitize), so its bins are (0, 1, 1, 0). Code 1 = (3, 3, 3, 7): bins
  // (0, 0, 0, 1). Factors: f0 = (0, 1, 1, 0), f1 = (0, 0, 1, 1), f2 constant.
  const CodeMatrix codes{4, 2, {0.0, 3, 0.5, 3, 1.0, 3, 0.2, 7}};
  const FactorMatrix factors{4, 3, {0, 0, 5, 1, 0, 5, 1, 1, 5, 0, 1, 5}};
  const MigResult mig = compute_mig(codes, factors, 2).value();
  const double ln2 = std::log(2.0);
  // MI(code 1, f0) = MI(code 1, f1): joint (1/4, 1/2, 1/4) against marginals (3/4, 1/4) x (1/2,
  // 1/2): 1/4 ln(2/3) + 1/2 ln(4/3) + 1/4 ln 2 = 1.5 ln 2 - 0.75 ln 3.
  const double a = 1.5 * ln2 - 0.75 * std::log(3.0);
  REQUIRE(mig.mutual_info.size() == 6);
  CHECK(mig.mutual_info[0] == Approx(ln2).margin(1e-15));  // code 0 is f0
  CHECK(mig.mutual_info[1] == Approx(0).margin(1e-15));    // code 0 is independent of f1
  CHECK(mig.mutual_info[2] == 0);                          // constant factor
  CHECK(mig.mutual_info[3] == Approx(a).margin(1e-15));
  CHECK(mig.mutual_info[4] == Approx(a).margin(1e-15));
  CHECK(mig.mutual_info[5] == 0);
  CHECK(mig.factor_entropy[0] == Approx(ln2).margin(1e-15));
  CHECK(mig.factor_entropy[1] == Approx(ln2).margin(1e-15));
  CHECK(mig.factor_entropy[2] == 0);
  CHECK(mig.per_factor[0] == Approx(1 - a / ln2).margin(1e-14));
  CHECK(mig.per_factor[1] == Approx(a / ln2).margin(1e-14));
  CHECK(mig.per_factor[2] == 0);  // H = 0: left out of the mean
  CHECK(mig.mig == Approx(0.5).margin(1e-14));
}

TEST_CASE("MIG and continuous SAP match disentanglement_lib on numpy and scikit-learn",
          "[disentanglement]") {
  const DataSet a = reference_a();
  const MigResult mig = compute_mig(a.codes, a.factors, 10).value();
  const double mi[6] = {1.1634869943179083, 0.028677714810027635, 0.02760752230958987,
                        0.6109612338018238, 0.021209506987619933, 0.027624593529631293};
  for (int i = 0; i < 6; ++i) CHECK(mig.mutual_info[i] == Approx(mi[i]).margin(1e-13));
  CHECK(mig.factor_entropy[0] == Approx(1.6055489542544819).margin(1e-13));
  CHECK(mig.factor_entropy[1] == Approx(1.0957212202609348).margin(1e-13));
  CHECK(mig.mig == Approx(0.6194434232780336).margin(1e-13));

  const SapResult sap =
      compute_sap(a.codes, a.factors, a.codes, a.factors, SapVariant::kContinuous).value();
  const double scores[6] = {0.9227118573675153, 8.67468381544248e-05,  0.00016167496366195443,
                            0.6797282129823549, 0.0030768059110308685, 0.002664058874535829};
  for (int i = 0; i < 6; ++i) CHECK(sap.score_matrix[i] == Approx(scores[i]).margin(1e-13));
  CHECK(sap.sap == Approx(0.7983496027821517).margin(1e-13));
}

TEST_CASE("SAP of a hand-computable case, both variants", "[disentanglement]") {
  // Code 0 = (1, 2, 3, 4), code 1 constant, factor (0, 0, 1, 1): corr^2 = 2^2 / (5 * 1) = 0.8.
  const CodeMatrix codes{4, 2, {1, 5, 2, 5, 3, 5, 4, 5}};
  const FactorMatrix factors{4, 1, {0, 0, 1, 1}};
  const SapResult continuous =
      compute_sap(codes, factors, codes, factors, SapVariant::kContinuous).value();
  CHECK(continuous.score_matrix[0] == Approx(0.8).margin(1e-15));
  CHECK(continuous.score_matrix[1] == 0);
  CHECK(continuous.sap == Approx(0.8).margin(1e-15));
  // With C = 0.01 and four points the linear SVM is regularized to one class on both codes
  // (scikit-learn's LinearSVC predicts 1 for all four on code 0: w 0.0512, b -0.0095): accuracy
  // 1/2 each, SAP 0 - the regularization that makes published SAP values small.
  const SapResult discrete =
      compute_sap(codes, factors, codes, factors, SapVariant::kDiscrete).value();
  CHECK(discrete.score_matrix[0] == 0.5);
  CHECK(discrete.score_matrix[1] == 0.5);
  CHECK(discrete.sap == 0);
}

TEST_CASE("DCI scores from importance matrices", "[disentanglement]") {
  // R = [[2, 0], [1, 1]]: code 0 is pure (1), code 1 split evenly (0), each weighs 1/2 -> 0.5.
  // Completeness: factor 0 has (2/3, 1/3) -> 1 - H_2 = 0.0817, factor 1 (0, 1) -> 1, weights
  // (3/4, 1/4) -> 0.3113 (disentanglement_lib: 0.49999999990254024, 0.3112781243633397).
  const DciResult hand = dci_from_importance({2, 0, 1, 1}, 2, 2).value();
  CHECK(hand.disentanglement == Approx(0.49999999990254024).margin(1e-14));
  CHECK(hand.completeness == Approx(0.3112781243633397).margin(1e-14));
  CHECK(hand.per_code_disentanglement[1] == Approx(0).margin(1e-12));
  CHECK(hand.per_factor_completeness[1] == Approx(1).margin(1e-9));

  const DciResult identity = dci_from_importance({0, 1, 0, 0, 1, 0}, 3, 2).value();
  CHECK(identity.disentanglement == Approx(1).margin(1e-8));
  CHECK(identity.completeness == Approx(1).margin(1e-8));
  const DciResult uniform = dci_from_importance({1, 1, 1, 1}, 2, 2).value();
  CHECK(uniform.disentanglement == Approx(0).margin(1e-12));
  CHECK(uniform.completeness == Approx(0).margin(1e-12));
  const DciResult zeros = dci_from_importance({0, 0, 0, 0}, 2, 2).value();
  CHECK(zeros.disentanglement == Approx(0).margin(1e-12));
  CHECK(zeros.completeness == Approx(0).margin(1e-12));
}

TEST_CASE("DCI gradient boosting matches scikit-learn's GradientBoostingClassifier",
          "[disentanglement]") {
  // Integer codes with 16 values: the histogram holds every split scikit-learn considers.
  const DataSet train = reference_b(0, 300), test = reference_b(300, 500);
  const DciResult dci = compute_dci(train.codes, train.factors, test.codes, test.factors).value();
  const double importance[6] = {0.4190672678308884,  0.22822728168713957,  0.5478568299261602,
                                0.16175944097952077, 0.033075902242951184, 0.6100132773333398};
  for (int i = 0; i < 6; ++i) CHECK(dci.importance[i] == Approx(importance[i]).margin(1e-12));
  CHECK(dci.train_accuracy[0] == Approx(0.99).margin(1e-12));
  CHECK(dci.train_accuracy[1] == Approx(0.89).margin(1e-12));
  CHECK(dci.test_accuracy[0] == Approx(0.875).margin(1e-12));
  CHECK(dci.test_accuracy[1] == Approx(0.75).margin(1e-12));
  CHECK(dci.informativeness_test == Approx((0.875 + 0.75) / 2).margin(1e-12));
  CHECK(dci.disentanglement == Approx(0.32814128113669616).margin(1e-12));
  CHECK(dci.completeness == Approx(0.20797203794783883).margin(1e-12));
}

TEST_CASE("DCI lasso matches scikit-learn's Lasso", "[disentanglement]") {
  const DataSet a = reference_a();
  DciOptions options;
  options.predictor = DciPredictor::kLasso;
  options.lasso_tolerance = 1e-12;
  const DciResult dci = compute_dci(a.codes, a.factors, a.codes, a.factors, options).value();
  // |coef| of factor 0: (0.940578917823786, 0, 0); factor 1: (0, 0.8045230140104199,
  // 0.000741637495507974). Importance is D x K.
  const double importance[6] = {0.940578917823786,  0.0, 0.0,
                                0.8045230140104199, 0.0, 0.000741637495507974};
  for (int i = 0; i < 6; ++i) CHECK(dci.importance[i] == Approx(importance[i]).margin(1e-9));
  CHECK(dci.informativeness_train > 0.3);
  CHECK(dci.informativeness_train == dci.informativeness_test);  // same split
}

TEST_CASE("Discrete SAP matches disentanglement_lib's LinearSVC", "[disentanglement]") {
  // Data set C, rows 0..1999 train, 2000..2999 test; scikit-learn 1.2.1's LinearSVC(C=0.01,
  // class_weight="balanced") per code and factor, every fit converged (reference script).
  const DataSet train = reference_c(0, 2000), test = reference_c(2000, 3000);
  const SapResult sap =
      compute_sap(train.codes, train.factors, test.codes, test.factors, SapVariant::kDiscrete).value();
  const double scores[15] = {0.766, 0.128, 0.489, 0.241, 0.332, 0.479, 0.241, 0.143,
                             0.833, 0.441, 0.236, 0.474, 0.254, 0.246, 0.484};
  for (int i = 0; i < 15; ++i) CHECK(sap.score_matrix[i] == Approx(scores[i]).margin(0.01));
  CHECK(sap.sap == Approx(0.25166666666666665).margin(0.01));
  // The same inputs give the same result (liblinear's shuffling is seeded).
  const SapResult again =
      compute_sap(train.codes, train.factors, test.codes, test.factors, SapVariant::kDiscrete).value();
  CHECK(again.score_matrix == sap.score_matrix);
}

TEST_CASE("FactorVAE score and its pruning rule match disentanglement_lib", "[disentanglement]") {
  // The reference script's port of factor_vae.py on the same sampler (numpy's RandomState, seeds
  // 0..2; the random numbers differ from Facet's, so the scores agree statistically): with the
  // study's pruning (std >= 0.05) 4 latents are kept and the score is 0.9786 / 0.9746 / 0.9772;
  // with a threshold of sqrt(0.05) on the std (Facet's old rule, variance >= 0.05) the informative
  // latent of std 0.144 is dropped: 3 kept, 0.7934 / 0.7862 / 0.7868.
  const FactorVaeResult study = compute_factor_vae_score(reference_factor_vae_sampler(1), 2).value();
  CHECK(study.num_active_dims == 4);
  CHECK(study.active == std::vector<bool>{true, true, true, true, false});
  CHECK(study.eval_accuracy == Approx(0.977).margin(0.02));
  CHECK(study.train_accuracy == Approx(0.978).margin(0.02));
  FactorVaeOptions variance_rule;
  variance_rule.prune_std_threshold = std::sqrt(0.05);
  const FactorVaeResult old = compute_factor_vae_score(reference_factor_vae_sampler(1), 2, variance_rule).value();
  CHECK(old.num_active_dims == 3);
  CHECK(old.eval_accuracy == Approx(0.789).margin(0.02));
}
