// Quantized CDF tables (16-bit precision): construction from a pmf, validation, indexed table sets.
#pragma once

#include <cstdint>
#include <vector>

#include "common/status.h"

namespace facet {

// All rANS coding in Facet uses 16-bit cumulative frequencies: every table sums to 2^16.
constexpr int kCdfPrecisionBits = 16;
constexpr uint32_t kCdfTotal = uint32_t{1} << kCdfPrecisionBits;
// Largest table, counting the escape symbol. Bounds decoder memory and search depth.
constexpr uint32_t kMaxCdfSymbols = 8192;

// One table over the values offset .. offset + symbol_count() - 2; the last symbol is the escape
// that announces a value outside that range (coded next with bypass bits, see enc_rans.h).
// cdf has symbol_count() + 1 entries: cdf[0] = 0, strictly increasing, cdf.back() = 2^16, so
// every symbol, the escape included, has a non-zero frequency.
struct QuantizedCdf {
  std::vector<uint32_t> cdf;
  int32_t offset = 0;

  uint32_t symbol_count() const { return cdf.empty() ? 0 : static_cast<uint32_t>(cdf.size() - 1); }
};

// Quantizes a pmf over offset .. offset + pmf.size() - 1 plus the probability of everything else
// (tail_mass, given to the escape symbol). Every symbol gets frequency >= 1; the rounding error is
// then distributed greedily where it costs the fewest expected bits, so the table is the 16-bit
// table closest (in KL divergence, up to the greedy step) to the pmf.
// Fails (kInvalidArgument) for an empty pmf, too many symbols, or negative / non-finite masses.
StatusOr<QuantizedCdf> quantize_pmf(const std::vector<double>& pmf, double tail_mass, int32_t offset);

// Checks one table: 2 .. kMaxCdfSymbols symbols, cdf[0] = 0, strictly increasing, ends at 2^16.
Status validate_cdf(const QuantizedCdf& table);

// The tables a stream is coded with; each symbol names its table by index. Stored flat so that
// the decoder's lookups stay in a few cache lines. Built only through create(), which validates
// every table, so a CdfTableSet in hand is always well formed.
class CdfTableSet {
 public:
  CdfTableSet() = default;
  static StatusOr<CdfTableSet> create(const std::vector<QuantizedCdf>& tables);

  uint32_t table_count() const { return static_cast<uint32_t>(offsets_.size()); }
  // cdf of table t: symbol_count(t) + 1 entries.
  const uint32_t* cdf(uint32_t t) const { return cdf_data_.data() + cdf_start_[t]; }
  uint32_t symbol_count(uint32_t t) const { return symbol_counts_[t]; }
  int32_t offset(uint32_t t) const { return offsets_[t]; }
  QuantizedCdf table(uint32_t t) const;

 private:
  std::vector<uint32_t> cdf_data_;
  std::vector<uint32_t> cdf_start_;
  std::vector<uint32_t> symbol_counts_;
  std::vector<int32_t> offsets_;
};

}  // namespace facet
