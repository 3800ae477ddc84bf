// Exact nested-interval coder for short messages (bitstream in short_coder.h).
#include "entropy/short_coder.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "entropy/bignum.h"

namespace facet {
namespace {

Status check_message_shape(const CdfTableSet& tables, const std::vector<uint32_t>& table_index) {
  FACET_RETURN_ERROR_IF(table_index.size() > kMaxShortMessageSymbols, kLimitExceeded,
                        "short message has " + std::to_string(table_index.size()) +
                            " symbols; the limit is " + std::to_string(kMaxShortMessageSymbols));
  for (size_t i = 0; i < table_index.size(); ++i) {
    FACET_RETURN_ERROR_IF(table_index[i] >= tables.table_count(), kInvalidArgument,
                          "table index " + std::to_string(table_index[i]) + " of symbol " +
                              std::to_string(i) + " is outside the " +
                              std::to_string(tables.table_count()) + " tables");
  }
  return ok_status();
}

// The symbol of `value` in table t, or -1 when the table cannot code it (outside the table's
// range, or the escape).
int64_t symbol_of(const CdfTableSet& tables, uint32_t t, int32_t value) {
  const int64_t symbol = int64_t{value} - tables.offset(t);
  const int64_t coded = int64_t{tables.symbol_count(t)} - 1;  // the escape is not coded
  return symbol >= 0 && symbol < coded ? symbol : -1;
}

// The encoder's bytes for the interval [low, low + range) of [0, 2^total_bits), total_bits a
// multiple of 8 and range >= 1: the shortest string, then the smallest value (see the header).
Bytes choose_bytes(const BigUint& low, const BigUint& range, size_t total_bits) {
  if (low.is_zero()) return {};
  BigUint below = low;  // L - 1
  below.sub_small(1);
  BigUint high = low;  // L + R - 1, the last point of the interval
  high.add(range);
  high.sub_small(1);
  // Multiples of 2^s lie in [L, L + R - 1] iff (L - 1) >> s != (L + R - 1) >> s, i.e. iff s <= t.
  const int64_t t = BigUint::highest_differing_bit(below, high);  // >= 0 since R >= 1
  const size_t s = static_cast<size_t>(t) / 8 * 8;                // t < total_bits, so s < it
  BigUint value = std::move(below);
  value.shift_right(s);
  value.add_small(1);
  return value.to_bytes_be((total_bits - s) / 8);
}

}  // namespace

StatusOr<Bytes> encode_short_message(const CdfTableSet& tables,
                                     const std::vector<uint32_t>& table_index,
                                     const std::vector<int32_t>& values) {
  FACET_RETURN_ERROR_IF(table_index.size() != values.size(), kInvalidArgument,
                        "short message has " + std::to_string(values.size()) + " values but " +
                            std::to_string(table_index.size()) + " table indexes");
  FACET_RETURN_IF_ERROR(check_message_shape(tables, table_index));
  BigUint low, range(1), scratch;
  for (size_t i = 0; i < values.size(); ++i) {
    const uint32_t t = table_index[i];
    const int64_t symbol = symbol_of(tables, t, values[i]);
    FACET_RETURN_ERROR_IF(
        symbol < 0, kInvalidArgument,
        "value " + std::to_string(values[i]) + " of symbol " + std::to_string(i) +
            " is outside table " + std::to_string(t) + " (values " +
            std::to_string(tables.offset(t)) + ".." +
            std::to_string(int64_t{tables.offset(t)} + tables.symbol_count(t) - 2) + ")");
    const uint32_t* cdf = tables.cdf(t);
    const uint32_t start = cdf[symbol];
    const uint32_t freq = cdf[symbol + 1] - start;
    // L <- 2^16 L + c R; R <- f R.
    low.shift_left(kCdfPrecisionBits);
    scratch = range;
    scratch.mul_small(start);
    low.add(scratch);
    range.mul_small(freq);
  }
  return choose_bytes(low, range, size_t{kCdfPrecisionBits} * values.size());
}

StatusOr<std::vector<int32_t>> decode_short_message(const CdfTableSet& tables,
                                                    const std::vector<uint32_t>& table_index,
                                                    const uint8_t* data, size_t size) {
  FACET_RETURN_IF_ERROR(check_message_shape(tables, table_index));
  FACET_RETURN_ERROR_IF(data == nullptr && size != 0, kInvalidArgument, "null short message data");
  const size_t n = table_index.size();
  // Every encoding of n symbols has at most 2n bytes; a longer one cannot be the encoder's.
  FACET_RETURN_ERROR_IF(size > 2 * n, kCorrupt,
                        "short message of " + std::to_string(n) + " symbols has " +
                            std::to_string(size) + " bytes; at most " + std::to_string(2 * n) +
                            " are possible");
  // The encoder never ends on a zero byte (a shorter string would point into the interval).
  FACET_RETURN_ERROR_IF(size != 0 && data[size - 1] == 0, kCorrupt,
                        "short message ends with a zero byte (not canonical)");

  // 16-bit digit i of V (big-endian, zero past the end of the data).
  auto digit = [&](size_t i) -> uint32_t {
    const size_t at = 2 * i;
    const uint32_t hi = at < size ? data[at] : 0;
    const uint32_t lo = at + 1 < size ? data[at + 1] : 0;
    return hi << 8 | lo;
  };

  // Invariant before symbol i: y = floor(V / 2^{16(n-1-i)}) - 2^16 L_i with 0 <= y < 2^16 R_i,
  // so the symbol's slot q_i = floor(y / R_i) is in [0, 2^16).
  std::vector<int32_t> values(n);
  BigUint y(n == 0 ? 0 : digit(0)), range(1), product, next_range, rest;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t t = table_index[i];
    const uint32_t* cdf = tables.cdf(t);
    const uint32_t symbols = tables.symbol_count(t);

    // Estimate q_i from the top bits (range_top >= 2^31 once range has more than 32 bits, so the
    // estimate is off by at most a little), then settle the symbol with exact comparisons.
    const size_t shift = range.bit_length() > 32 ? range.bit_length() - 32 : 0;
    const uint64_t range_top = range.bits_at(shift);  // >= 1, < 2^32
    const uint64_t y_top = y.bits_at(shift);          // < 2^48 by the invariant
    const uint32_t estimate =
        static_cast<uint32_t>(std::min<uint64_t>(y_top / range_top, kCdfTotal - 1));
    // The symbol whose slots contain the estimate: cdf[s] <= estimate < cdf[s + 1].
    uint32_t s =
        static_cast<uint32_t>(std::upper_bound(cdf, cdf + symbols + 1, estimate) - cdf) - 1;
    // Move down while c(s) R > y (stops at s = 0 since c(0) = 0).
    for (;;) {
      product = range;
      product.mul_small(cdf[s]);
      if (BigUint::compare(product, y) <= 0) break;
      --s;
    }
    // Move up while y - c(s) R >= f(s) R (stops at the last symbol since y < 2^16 R).
    for (;;) {
      next_range = range;
      next_range.mul_small(cdf[s + 1] - cdf[s]);
      rest = y;
      rest.sub(product);
      if (BigUint::compare(rest, next_range) < 0) {
        std::swap(y, rest);
        break;
      }
      // Unreachable while the invariant holds; kept so that a bug cannot read past the table.
      FACET_RETURN_ERROR_IF(s + 2 > symbols, kInternal, "short message decoder lost its interval");
      ++s;
      product = range;
      product.mul_small(cdf[s]);
    }
    FACET_RETURN_ERROR_IF(s + 1 == symbols, kCorrupt,
                          "short message symbol " + std::to_string(i) +
                              " decodes to the escape of table " + std::to_string(t));
    values[i] = static_cast<int32_t>(int64_t{tables.offset(t)} + s);
    std::swap(range, next_range);
    if (i + 1 < n) {
      y.shift_left(kCdfPrecisionBits);
      y.add_small(digit(i + 1));
    }
  }

  // Now y = V - L and range = R. Accept only the encoder's own choice for this interval.
  if (n != 0) {
    BigUint low = BigUint::from_bytes_be(data, size);
    low.shift_left(size_t{kCdfPrecisionBits} * n - 8 * size);  // V
    low.sub(y);                                                // L = V - (V - L)
    const Bytes canonical = choose_bytes(low, range, size_t{kCdfPrecisionBits} * n);
    FACET_RETURN_ERROR_IF(
        canonical.size() != size || !std::equal(canonical.begin(), canonical.end(), data), kCorrupt,
        "short message is not the canonical encoding of its symbols (" + std::to_string(size) +
            " bytes, canonical " + std::to_string(canonical.size()) + ")");
  }
  return values;
}

double ideal_bits(const CdfTableSet& tables, const std::vector<uint32_t>& table_index,
                  const std::vector<int32_t>& values) {
  constexpr double kInfinity = std::numeric_limits<double>::infinity();
  if (table_index.size() != values.size()) return kInfinity;
  double bits = 0.0;
  for (size_t i = 0; i < values.size(); ++i) {
    const uint32_t t = table_index[i];
    if (t >= tables.table_count()) return kInfinity;
    const int64_t symbol = symbol_of(tables, t, values[i]);
    if (symbol < 0) return kInfinity;
    const uint32_t* cdf = tables.cdf(t);
    bits += kCdfPrecisionBits - std::log2(static_cast<double>(cdf[symbol + 1] - cdf[symbol]));
  }
  return bits;
}

}  // namespace facet
