// Gaussian conditional coding: the log-spaced scale table, sigma -> table index, and the
// discretized-Gaussian CDF tables (one per scale) that are baked once and stored with the weights.
#pragma once

#include <cstdint>
#include <vector>

#include "common/status.h"
#include "entropy/quantized_cdf.h"

namespace facet {

struct GaussianTableOptions {
  float min_scale = 0.11f;
  float max_scale = 256.0f;
  int levels = 64;
  // Probability left outside each table's symbol range; it goes to the escape symbol.
  double tail_mass = 1e-9;
};

// levels scales, log-spaced from min_scale to max_scale (increasing).
std::vector<float> make_scale_table(const GaussianTableOptions& options = {});

// Index of the smallest table scale >= sigma (the last one for larger sigma, 0 for NaN).
// Pure float comparisons: bit-exact on every IEEE-754 machine given the same sigma.
uint32_t scale_index(const std::vector<float>& scales, float sigma);

// pmf of round(v) for v ~ N(0, scale^2): P(k) = Phi((k + 1/2) / scale) - Phi((k - 1/2) / scale).
double discretized_gaussian_mass(double scale, int32_t k);

// One table per scale over the integers [-r, r], r = ceil(scale * z) where z is the normal
// quantile of tail_mass / 2; the rest of the mass is the escape's. Computed with libm's erfc, so
// the tables are baked at export time and stored, never recomputed by a decoder.
StatusOr<CdfTableSet> make_gaussian_cdf_tables(const std::vector<float>& scales,
                                               double tail_mass = 1e-9);

}  // namespace facet
