// rANS encoder (64-bit state, 32-bit renormalization, 16-bit frequencies).
#include "entropy/enc_rans.h"

#include <algorithm>
#include <string>

#include "entropy/rans_common.h"

namespace facet {

void RansEncoder::put_bits(uint32_t value, int bits) {
  const int shift = kCdfPrecisionBits - bits;
  put((value & ((uint32_t{1} << bits) - 1)) << shift, uint32_t{1} << shift);
}

void RansEncoder::put_symbol(int32_t value, uint32_t t, const CdfTableSet& tables) {
  const uint32_t* cdf = tables.cdf(t);
  const uint32_t escape = tables.symbol_count(t) - 1;
  const int64_t symbol = int64_t{value} - tables.offset(t);
  if (symbol >= 0 && symbol < escape) {
    put(cdf[symbol], cdf[symbol + 1] - cdf[symbol]);
    return;
  }
  put(cdf[escape], cdf[escape + 1] - cdf[escape]);
  const uint32_t u = rans::zigzag_encode(value);
  const int length = u == 0 ? 0 : 32 - __builtin_clz(u);
  put_bits(static_cast<uint32_t>(length), rans::kEscapeLengthBits);
  for (int done = 0; done < length; done += rans::kMaxBypassBits) {
    const int bits = std::min(rans::kMaxBypassBits, length - done);
    put_bits(u >> done, bits);
  }
}

Bytes RansEncoder::finish() {
  // Words come out last-step-first; they are reversed at the end so the decoder reads forward.
  std::vector<uint32_t> words;
  words.reserve(steps_.size() / 2 + 4);
  uint64_t x = rans::kStateLow;
  for (auto it = steps_.rbegin(); it != steps_.rend(); ++it) {
    const uint64_t freq = it->freq;
    const uint64_t x_max = ((rans::kStateLow >> kCdfPrecisionBits) << 32) * freq;
    if (x >= x_max) {
      words.push_back(static_cast<uint32_t>(x));
      x >>= 32;
    }
    x = ((x / freq) << kCdfPrecisionBits) + (x % freq) + it->start;
  }
  steps_.clear();

  Bytes out;
  out.reserve(rans::kStateBytes + words.size() * rans::kWordBytes);
  ByteWriter writer(&out);
  writer.u64(x);
  for (auto it = words.rbegin(); it != words.rend(); ++it) writer.u32(*it);
  return out;
}

StatusOr<Bytes> encode_with_indexes(const int32_t* values, const int32_t* indexes, size_t count,
                                    const CdfTableSet& tables) {
  RansEncoder encoder;
  for (size_t i = 0; i < count; ++i) {
    FACET_RETURN_ERROR_IF(indexes[i] < 0 || uint32_t(indexes[i]) >= tables.table_count(),
                          kInvalidArgument,
                          "table index " + std::to_string(indexes[i]) + " of symbol " +
                              std::to_string(i) + " is outside the " +
                              std::to_string(tables.table_count()) + " tables");
    encoder.put_symbol(values[i], static_cast<uint32_t>(indexes[i]), tables);
  }
  return encoder.finish();
}

}  // namespace facet
