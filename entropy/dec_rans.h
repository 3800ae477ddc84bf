// rANS decoder: bounds-checked, with a sticky overrun flag and a final-state check.
#pragma once

#include <cstdint>

#include "common/status.h"
#include "entropy/quantized_cdf.h"
#include "entropy/rans_common.h"

namespace facet {

// Never reads outside its buffer: past the end it feeds zeros and remembers it, and finish()
// reports the overrun, unread bytes, or a final state other than the encoder's initial state
// (which catches most corruption).
class RansDecoder {
 public:
  // Fails (kTruncated) when the buffer cannot hold the initial state.
  Status init(const uint8_t* data, size_t size);

  // The next symbol's slot in [0, 2^16); then advance() with the symbol's range.
  uint32_t peek_slot() const { return static_cast<uint32_t>(state_ & (kCdfTotal - 1)); }
  void advance(uint32_t start, uint32_t freq) {
    state_ = freq * (state_ >> kCdfPrecisionBits) + peek_slot() - start;
    if (state_ < rans::kStateLow) state_ = (state_ << 32) | read_word();
  }
  uint32_t get_bits(int bits);
  // Decodes one value with table t (assumed < tables.table_count()).
  int32_t get_symbol(uint32_t t, const CdfTableSet& tables);

  // OK only if the stream was consumed exactly and ended in the initial state.
  Status finish() const;

 private:
  uint32_t read_word() {
    if (end_ - cursor_ < rans::kWordBytes) {
      overrun_ = true;
      return 0;
    }
    uint32_t w = uint32_t{cursor_[0]} | uint32_t{cursor_[1]} << 8 | uint32_t{cursor_[2]} << 16 |
                 uint32_t{cursor_[3]} << 24;
    cursor_ += rans::kWordBytes;
    return w;
  }

  uint64_t state_ = 0;
  const uint8_t* cursor_ = nullptr;
  const uint8_t* end_ = nullptr;
  bool overrun_ = false;
  bool invalid_escape_ = false;
};

// Decodes `count` values coded with encode_with_indexes(); `indexes` must be the encoder's.
// Fails with kInvalidArgument on a bad index, kTruncated / kCorrupt on a damaged stream.
Status decode_with_indexes(const uint8_t* data, size_t size, const int32_t* indexes, size_t count,
                           const CdfTableSet& tables, int32_t* values);

}  // namespace facet
