// rANS decoder (64-bit state, 32-bit renormalization, 16-bit frequencies).
#include "entropy/dec_rans.h"

#include <string>

namespace facet {

Status RansDecoder::init(const uint8_t* data, size_t size) {
  FACET_RETURN_ERROR_IF(size < size_t{rans::kStateBytes}, kTruncated,
                        "rANS stream of " + std::to_string(size) + " bytes has no initial state");
  state_ = 0;
  for (int i = 0; i < rans::kStateBytes; ++i) state_ |= uint64_t{data[i]} << (8 * i);
  cursor_ = data + rans::kStateBytes;
  end_ = data + size;
  overrun_ = false;
  invalid_escape_ = false;
  // A valid state is in [kStateLow, kStateLow << 32); anything else cannot come from an encoder.
  FACET_RETURN_ERROR_IF(state_ < rans::kStateLow || state_ >= (rans::kStateLow << 32), kCorrupt,
                        "rANS initial state out of range");
  return ok_status();
}

uint32_t RansDecoder::get_bits(int bits) {
  const int shift = kCdfPrecisionBits - bits;
  const uint32_t value = peek_slot() >> shift;
  advance(value << shift, uint32_t{1} << shift);
  return value;
}

int32_t RansDecoder::get_symbol(uint32_t t, const CdfTableSet& tables) {
  const uint32_t* cdf = tables.cdf(t);
  const uint32_t n = tables.symbol_count(t);
  const uint32_t slot = peek_slot();
  // Branchless search for the last s with cdf[s] <= slot (cdf[0] = 0 <= slot < cdf[n] = 2^16).
  const uint32_t* base = cdf;
  uint32_t len = n;
  while (len > 1) {
    const uint32_t half = len / 2;
    base = (base[half] <= slot) ? base + half : base;
    len -= half;
  }
  const uint32_t symbol = static_cast<uint32_t>(base - cdf);
  advance(cdf[symbol], cdf[symbol + 1] - cdf[symbol]);
  if (symbol + 1 < n) return tables.offset(t) + static_cast<int32_t>(symbol);

  // Escape: a 6-bit length, then the zigzag value in chunks of up to 16 bits. A length above 32
  // cannot come from the encoder; it is clamped here and reported by finish().
  int length = static_cast<int>(get_bits(rans::kEscapeLengthBits));
  if (length > 32) {
    invalid_escape_ = true;
    length = 32;
  }
  uint32_t u = 0;
  for (int done = 0; done < length; done += rans::kMaxBypassBits) {
    const int bits = length - done < rans::kMaxBypassBits ? length - done : rans::kMaxBypassBits;
    u |= get_bits(bits) << done;
  }
  // Only the canonical form is accepted (the encoder's): the shortest length, and a value the
  // table cannot code directly. So every stream has one decoding and one encoding.
  const int minimal_length = u == 0 ? 0 : 32 - __builtin_clz(u);
  const int32_t value = rans::zigzag_decode(u);
  const int64_t direct = int64_t{value} - tables.offset(t);
  if (length != minimal_length || (direct >= 0 && direct < int64_t{n} - 1)) invalid_escape_ = true;
  return value;
}

Status RansDecoder::finish() const {
  FACET_RETURN_ERROR_IF(overrun_, kTruncated, "rANS stream ended before its last symbol");
  FACET_RETURN_ERROR_IF(invalid_escape_, kCorrupt, "rANS escape not in canonical form");
  FACET_RETURN_ERROR_IF(cursor_ != end_, kCorrupt,
                        "rANS stream has " + std::to_string(end_ - cursor_) + " unread bytes");
  FACET_RETURN_ERROR_IF(state_ != rans::kStateLow, kCorrupt,
                        "rANS final state check failed (corrupt stream or wrong tables)");
  return ok_status();
}

Status decode_with_indexes(const uint8_t* data, size_t size, const int32_t* indexes, size_t count,
                           const CdfTableSet& tables, int32_t* values) {
  RansDecoder decoder;
  FACET_RETURN_IF_ERROR(decoder.init(data, size));
  const uint32_t table_count = tables.table_count();
  for (size_t i = 0; i < count; ++i) {
    FACET_RETURN_ERROR_IF(indexes[i] < 0 || uint32_t(indexes[i]) >= table_count, kInvalidArgument,
                          "table index " + std::to_string(indexes[i]) + " of symbol " +
                              std::to_string(i) + " is outside the " +
                              std::to_string(table_count) + " tables");
    values[i] = decoder.get_symbol(static_cast<uint32_t>(indexes[i]), tables);
  }
  return decoder.finish();
}

}  // namespace facet
