// pmf -> 16-bit CDF quantization and table validation.
#include "entropy/quantized_cdf.h"

#include <cmath>
#include <queue>
#include <string>

namespace facet {
namespace {

// Change in expected code length (bits, scaled by the probability) when frequency f moves by +1
// or -1. Greedy steps pick the cheapest change first.
double cost_of_increment(double p, uint32_t f) { return p * std::log2(double(f) / double(f + 1)); }
double cost_of_decrement(double p, uint32_t f) { return p * std::log2(double(f) / double(f - 1)); }

}  // namespace

StatusOr<QuantizedCdf> quantize_pmf(const std::vector<double>& pmf, double tail_mass, int32_t offset) {
  FACET_RETURN_ERROR_IF(pmf.empty(), kInvalidArgument, "pmf is empty");
  FACET_RETURN_ERROR_IF(pmf.size() + 1 > kMaxCdfSymbols, kInvalidArgument,
                        "pmf has " + std::to_string(pmf.size()) + " symbols; the limit is " +
                            std::to_string(kMaxCdfSymbols - 1));
  FACET_RETURN_ERROR_IF(int64_t{offset} + int64_t(pmf.size()) - 1 > INT32_MAX, kInvalidArgument,
                        "pmf range overflows int32");
  std::vector<double> mass(pmf);
  mass.push_back(tail_mass);
  double sum = 0.0;
  for (double m : mass) {
    FACET_RETURN_ERROR_IF(!std::isfinite(m) || m < 0.0, kInvalidArgument,
                          "pmf has a negative or non-finite mass");
    sum += m;
  }
  FACET_RETURN_ERROR_IF(!(sum > 0.0), kInvalidArgument, "pmf has zero total mass");

  const size_t n = mass.size();
  std::vector<uint32_t> freq(n);
  int64_t total = 0;
  for (size_t i = 0; i < n; ++i) {
    mass[i] /= sum;
    double scaled = std::round(mass[i] * kCdfTotal);
    freq[i] = scaled < 1.0 ? 1u : static_cast<uint32_t>(scaled);
    total += freq[i];
  }

  // Distribute the rounding error one unit at a time where it costs the fewest bits.
  int64_t diff = int64_t{kCdfTotal} - total;
  using Candidate = std::pair<double, size_t>;  // (cost, symbol); the heap yields the smallest cost
  auto by_cost = [](const Candidate& a, const Candidate& b) { return a.first > b.first; };
  std::priority_queue<Candidate, std::vector<Candidate>, decltype(by_cost)> heap(by_cost);
  if (diff > 0) {
    for (size_t i = 0; i < n; ++i) heap.push({cost_of_increment(mass[i], freq[i]), i});
    for (; diff > 0; --diff) {
      size_t i = heap.top().second;
      heap.pop();
      ++freq[i];
      heap.push({cost_of_increment(mass[i], freq[i]), i});
    }
  } else if (diff < 0) {
    for (size_t i = 0; i < n; ++i)
      if (freq[i] > 1) heap.push({cost_of_decrement(mass[i], freq[i]), i});
    for (; diff < 0; ++diff) {
      if (heap.empty()) return make_error(ErrorCode::kInternal, "cannot fit pmf into 16 bits");
      size_t i = heap.top().second;
      heap.pop();
      --freq[i];
      if (freq[i] > 1) heap.push({cost_of_decrement(mass[i], freq[i]), i});
    }
  }

  QuantizedCdf table;
  table.offset = offset;
  table.cdf.resize(n + 1);
  table.cdf[0] = 0;
  for (size_t i = 0; i < n; ++i) table.cdf[i + 1] = table.cdf[i] + freq[i];
  FACET_RETURN_IF_ERROR(validate_cdf(table));
  return table;
}

Status validate_cdf(const QuantizedCdf& table) {
  const size_t entries = table.cdf.size();
  FACET_RETURN_ERROR_IF(entries < 3, kCorrupt,
                        "CDF table has " + std::to_string(entries) + " entries; at least 3 needed");
  FACET_RETURN_ERROR_IF(entries - 1 > kMaxCdfSymbols, kLimitExceeded,
                        "CDF table has " + std::to_string(entries - 1) + " symbols; the limit is " +
                            std::to_string(kMaxCdfSymbols));
  FACET_RETURN_ERROR_IF(table.cdf.front() != 0, kCorrupt, "CDF table does not start at 0");
  FACET_RETURN_ERROR_IF(table.cdf.back() != kCdfTotal, kCorrupt,
                        "CDF table ends at " + std::to_string(table.cdf.back()) + ", not 65536");
  for (size_t i = 1; i < entries; ++i) {
    FACET_RETURN_ERROR_IF(table.cdf[i] <= table.cdf[i - 1], kCorrupt,
                          "CDF table is not strictly increasing at entry " + std::to_string(i) +
                              " (a zero-frequency symbol)");
  }
  FACET_RETURN_ERROR_IF(int64_t{table.offset} + int64_t(entries) - 3 > INT32_MAX, kCorrupt,
                        "CDF table range overflows int32");
  return ok_status();
}

StatusOr<CdfTableSet> CdfTableSet::create(const std::vector<QuantizedCdf>& tables) {
  FACET_RETURN_ERROR_IF(tables.size() > (uint32_t{1} << 20), kLimitExceeded, "too many CDF tables");
  CdfTableSet set;
  for (size_t t = 0; t < tables.size(); ++t) {
    Status status = validate_cdf(tables[t]);
    if (!status.ok()) return status.with_context("CDF table " + std::to_string(t));
    set.cdf_start_.push_back(static_cast<uint32_t>(set.cdf_data_.size()));
    set.cdf_data_.insert(set.cdf_data_.end(), tables[t].cdf.begin(), tables[t].cdf.end());
    set.symbol_counts_.push_back(tables[t].symbol_count());
    set.offsets_.push_back(tables[t].offset);
  }
  return set;
}

QuantizedCdf CdfTableSet::table(uint32_t t) const {
  QuantizedCdf q;
  q.offset = offsets_[t];
  q.cdf.assign(cdf(t), cdf(t) + symbol_counts_[t] + 1);
  return q;
}

}  // namespace facet
