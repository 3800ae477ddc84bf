// rANS encoder: symbols against indexed 16-bit CDF tables, with escapes for out-of-range values.
#pragma once

#include <cstdint>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "entropy/quantized_cdf.h"

namespace facet {

// Collects coding steps in reading order and writes them out in reverse at finish(), as rANS
// requires, so callers think in the order the decoder will read.
class RansEncoder {
 public:
  // One step of a symbol whose cumulative range is [start, start + freq) out of 2^16.
  void put(uint32_t start, uint32_t freq) { steps_.push_back({start, freq}); }
  // `bits` (0..16) uniformly distributed bits.
  void put_bits(uint32_t value, int bits);
  // A value coded with table t of `tables`: the table's symbol, or the escape then bypass bits.
  void put_symbol(int32_t value, uint32_t t, const CdfTableSet& tables);

  // The stream (8-byte state, then 32-bit words, little-endian). The encoder is empty afterwards.
  Bytes finish();
  size_t step_count() const { return steps_.size(); }

 private:
  struct Step {
    uint32_t start;
    uint32_t freq;
  };
  std::vector<Step> steps_;
};

// Codes values[i] with table indexes[i]. Fails (kInvalidArgument) on an index outside `tables`.
StatusOr<Bytes> encode_with_indexes(const int32_t* values, const int32_t* indexes, size_t count,
                                    const CdfTableSet& tables);

}  // namespace facet
