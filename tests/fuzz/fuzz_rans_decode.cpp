// Fuzz target: the rANS decoder on arbitrary streams and table indexes (Gaussian tables).
// Input: u16 symbol count, then one table-selector byte per symbol, then the stream.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "entropy/dec_rans.h"
#include "entropy/enc_rans.h"
#include "entropy/gaussian_tables.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const facet::CdfTableSet tables =
      facet::make_gaussian_cdf_tables(facet::make_scale_table()).value();
  if (size < 2) return 0;
  const size_t count = size_t{data[0]} | size_t{data[1]} << 8;
  if (size < 2 + count) return 0;
  std::vector<int32_t> indexes(count), values(count);
  for (size_t i = 0; i < count; ++i) indexes[i] = data[2 + i] % 70 - 3;  // some out of range
  const uint8_t* stream = data + 2 + count;
  const size_t stream_size = size - 2 - count;
  facet::Status status =
      facet::decode_with_indexes(stream, stream_size, indexes.data(), count, tables, values.data());
  if (status.ok()) {
    // Whatever decodes must re-encode to the same stream: the code is a bijection.
    auto again = facet::encode_with_indexes(values.data(), indexes.data(), count, tables);
    if (!again.ok() || again->size() != stream_size ||
        !std::equal(again->begin(), again->end(), stream))
      std::abort();
  }
  return 0;
}
