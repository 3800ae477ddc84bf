// Data shared by the disentanglement metric tests: seeded synthetic codes whose scores are known,
// and the reference data sets whose scores disentanglement_lib (numpy, scikit-learn) computed.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "eval/disentanglement.h"

namespace facet::disentanglement_test_data {

// splitmix64: the same integers in the Python script that gave the reference values below.
inline uint64_t mix(uint64_t x) {
  uint64_t z = x + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

constexpr double kPi = 3.14159265358979323846;

// Seeded uniform and normal numbers (Box-Muller), the same on every standard library.
class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  double uniform() { return double(engine_() >> 11) * 0x1.0p-53; }
  int below(int n) { return int(uniform() * n); }
  double normal() {
    const double u1 = 1.0 - uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * u2);
  }

 private:
  std::mt19937_64 engine_;
};

// How synthetic codes are made from factor rows.
enum class Kind {
  kDisentangled,  // 3 factors -> 5 codes: f2, noise, f0, noise, f1 (factor dims + 0.01 noise)
  kRotated,       // 4 factors -> 4 codes: 45-degree rotations of (f0, f1) and of (f2, f3)
  kNoise,         // 3 factors -> 5 codes of pure N(0, 1) noise
};

inline size_t factor_count(Kind kind) {
  return kind == Kind::kRotated ? 4 : 3;
}

inline CodeMatrix make_codes(const FactorMatrix& f, Rng& rng, Kind kind) {
  const size_t dims = kind == Kind::kRotated ? 4 : 5;
  CodeMatrix codes{f.rows, dims, std::vector<double>(f.rows * dims)};
  const double s = std::sqrt(0.5);
  for (size_t r = 0; r < f.rows; ++r) {
    switch (kind) {
      case Kind::kDisentangled: {
        const int layout[5] = {2, -1, 0, -1, 1};
        for (size_t d = 0; d < dims; ++d)
          codes.at(r, d) = layout[d] < 0 ? rng.normal() : f.at(r, layout[d]) + 0.01 * rng.normal();
        break;
      }
      case Kind::kRotated:
        codes.at(r, 0) = s * (f.at(r, 0) + f.at(r, 1)) + 0.01 * rng.normal();
        codes.at(r, 1) = s * (f.at(r, 0) - f.at(r, 1)) + 0.01 * rng.normal();
        codes.at(r, 2) = s * (f.at(r, 2) + f.at(r, 3)) + 0.01 * rng.normal();
        codes.at(r, 3) = s * (f.at(r, 2) - f.at(r, 3)) + 0.01 * rng.normal();
        break;
      case Kind::kNoise:
        for (size_t d = 0; d < dims; ++d) codes.at(r, d) = rng.normal();
        break;
    }
  }
  return codes;
}

struct DataSet {
  CodeMatrix codes;
  FactorMatrix factors;
};

// n rows of factors with 10 values each, uniform and independent, and their codes.
inline DataSet make_data(Kind kind, size_t n, uint64_t seed) {
  Rng rng(seed);
  const size_t k = factor_count(kind);
  FactorMatrix factors{n, k, std::vector<int>(n * k)};
  for (int& v : factors.values) v = rng.below(10);
  return {make_codes(factors, rng, kind), factors};
}

inline GroundTruthSampler make_sampler(Kind kind, uint64_t seed) {
  auto rng = std::make_shared<Rng>(seed);
  GroundTruthSampler sampler;
  sampler.factor_sizes.assign(factor_count(kind), 10);
  sampler.represent = [rng, kind](const FactorMatrix& f) -> StatusOr<CodeMatrix> {
    return make_codes(f, *rng, kind);
  };
  return sampler;
}

// Reference data set A: 500 rows, 3 codes, 2 factors (5 and 3 values). Reference data set B: 500
// rows of 3 integer codes with 16 values each (so that every candidate split of scikit-learn is a
// histogram bin boundary), a 3-class and a binary factor; rows 0..299 train, 300..499 test.
// Python (reference script, /usr/bin/python3 with Debian 12's python3-sklearn):
//   def h(x): splitmix64 as mix() above
//   A: f = [h(1000000+i) % 5, h(2000000+i) % 3]
//      c = [f0 + (h(3i) % 1000) / 700.0, f1 * 0.5 + (h(3i+1) % 1000) / 1000.0,
//           (h(3i+2) % 1000) / 7.0]
//      MI: mutual_info_score(ys[j], np.digitize(mus[i], np.histogram(mus[i], 10)[1][:-1]))
//      SAP: np.cov(mus[i], ys[j], ddof=1), cov^2 / (var var)
//      lasso: X, y standardized (population std);
//             Lasso(alpha=0.02, fit_intercept=False, tol=1e-14, max_iter=10**6).fit(X, y).coef_
//   B: x = [float(h(10i+j) % 16) for j in 0..2]; f0 = (x0 >= 8) + (x1 >= 12), replaced by
//      h(10i+6) % 3 when h(10i+5) % 7 == 0; f1 = (x2 + 0.5 x0 >= 11), flipped when
//      h(10i+7) % 5 == 0;
//      GradientBoostingClassifier(random_state=0).fit(Xtr, ytr).feature_importances_, accuracies,
//      then disentanglement_lib's dci.disentanglement / dci.completeness. The same importances
//      (to 1e-12) with random_state 1..7: no two splits tie, so scikit-learn's random feature order
//      does not matter. (Factors whose trees have tied splits, common in tiny nodes of integer
//      codes, give importances that move by ~1e-3 with random_state; Facet takes the lowest
//      feature.)
inline DataSet reference_a() {
  const size_t n = 500;
  DataSet data{{n, 3, std::vector<double>(n * 3)}, {n, 2, std::vector<int>(n * 2)}};
  for (size_t i = 0; i < n; ++i) {
    const int f0 = int(mix(1000000 + i) % 5), f1 = int(mix(2000000 + i) % 3);
    data.factors.at(i, 0) = f0;
    data.factors.at(i, 1) = f1;
    data.codes.at(i, 0) = f0 + double(mix(3 * i) % 1000) / 700.0;
    data.codes.at(i, 1) = f1 * 0.5 + double(mix(3 * i + 1) % 1000) / 1000.0;
    data.codes.at(i, 2) = double(mix(3 * i + 2) % 1000) / 7.0;
  }
  return data;
}

inline DataSet reference_b(size_t begin, size_t end) {
  const size_t n = end - begin;
  DataSet data{{n, 3, std::vector<double>(n * 3)}, {n, 2, std::vector<int>(n * 2)}};
  for (size_t i = begin; i < end; ++i) {
    int x[3];
    for (int j = 0; j < 3; ++j) x[j] = int(mix(10 * i + j) % 16);
    int f0 = int(x[0] >= 8) + int(x[1] >= 12);
    if (mix(10 * i + 5) % 7 == 0) f0 = int(mix(10 * i + 6) % 3);
    int f1 = 2 * x[2] + x[0] >= 22 ? 1 : 0;
    if (mix(10 * i + 7) % 5 == 0) f1 = 1 - f1;
    for (int j = 0; j < 3; ++j) data.codes.at(i - begin, j) = x[j];
    data.factors.at(i - begin, 0) = f0;
    data.factors.at(i - begin, 1) = f1;
  }
  return data;
}

// Reference data set C (tests/eval/data/disentanglement_reference.py, data_c): three factors of 4,
// 8 and 2 values and five codes on different scales, for the regularized SVMs of discrete SAP.
inline DataSet reference_c(size_t begin, size_t end) {
  const size_t n = end - begin;
  DataSet data{{n, 5, std::vector<double>(n * 5)}, {n, 3, std::vector<int>(n * 3)}};
  for (size_t i = begin; i < end; ++i) {
    const size_t r = i - begin;
    const int f[3] = {int(mix(4000000 + i) % 4), int(mix(5000000 + i) % 8), int(mix(6000000 + i) % 2)};
    double u[5];
    for (int j = 0; j < 5; ++j) u[j] = double(mix(7000000 + 8 * i + j) % 1000) / 1000.0 - 0.5;
    for (int j = 0; j < 3; ++j) data.factors.at(r, j) = f[j];
    data.codes.at(r, 0) = (f[0] - 1.5) + 1.2 * u[0];
    data.codes.at(r, 1) = 0.3 * (f[1] - 3.5) + 0.8 * u[1];
    data.codes.at(r, 2) = 2.0 * f[2] - 1.0 + 3.0 * u[2];
    data.codes.at(r, 3) = 0.5 * (f[0] - 1.5) + 0.25 * (f[1] - 3.5) + u[3];
    data.codes.at(r, 4) = 0.05 * (f[1] - 3.5) + 0.05 * u[4];
  }
  return data;
}

// The FactorVAE sampler of the reference script (represent()): 3 factors of 10 values; codes
// 0.08 g0 + 0.12 n (std 0.144: kept by the study's std threshold of 0.05, pruned by a variance
// threshold of 0.05), g1 + 0.3 n, g2 + 0.5 g1 + 0.3 n, n, 0.01 n (collapsed), g = the factor at
// unit variance, n standard normal noise.
inline GroundTruthSampler reference_factor_vae_sampler(uint64_t seed) {
  auto rng = std::make_shared<Rng>(seed);
  GroundTruthSampler sampler;
  sampler.factor_sizes = {10, 10, 10};
  sampler.represent = [rng](const FactorMatrix& f) -> StatusOr<CodeMatrix> {
    CodeMatrix codes{f.rows, 5, std::vector<double>(f.rows * 5)};
    for (size_t r = 0; r < f.rows; ++r) {
      double g[3], n[5];
      for (int k = 0; k < 3; ++k) g[k] = (f.at(r, k) - 4.5) / 2.8722813232690143;
      for (double& v : n) v = rng->normal();
      codes.at(r, 0) = 0.08 * g[0] + 0.12 * n[0];
      codes.at(r, 1) = g[1] + 0.3 * n[1];
      codes.at(r, 2) = g[2] + 0.5 * g[1] + 0.3 * n[2];
      codes.at(r, 3) = n[3];
      codes.at(r, 4) = 0.01 * n[4];
    }
    return codes;
  };
  return sampler;
}

// Wall-clock and CPU seconds since construction, as "1.234 s (CPU 1.200 s)".
class Timer {
 public:
  Timer() : wall_(std::chrono::steady_clock::now()), cpu_(std::clock()) {}
  std::string elapsed() const {
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_).count();
    const double cpu = double(std::clock() - cpu_) / CLOCKS_PER_SEC;
    char text[64];
    std::snprintf(text, sizeof text, "%.3f s (CPU %.3f s)", wall, cpu);
    return text;
  }

 private:
  std::chrono::steady_clock::time_point wall_;
  std::clock_t cpu_;
};


}  // namespace facet::disentanglement_test_data
