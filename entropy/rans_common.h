// Constants of Facet's rANS stream layout, shared by encoder and decoder (see FORMAT.md, "rANS").
#pragma once

#include <cstdint>

#include "entropy/quantized_cdf.h"

namespace facet::rans {

// One 64-bit state renormalized 32 bits at a time (ryg_rans' rans64 layout). The state lives in
// [kStateLow, kStateLow << 32); 16-bit frequencies keep (x / freq) << 16 within 64 bits.
// Measured choice (entropy benchmark, docs in FORMAT.md): a single 64-bit state decodes > 50 M
// symbols/s with per-symbol table indexes on this machine and keeps the stream layout simple.
constexpr uint64_t kStateLow = uint64_t{1} << 31;
constexpr int kStateBytes = 8;
constexpr int kWordBytes = 4;

// Bypass coding: a uniform value of up to 16 bits is one rANS step with freq 2^(16 - bits).
constexpr int kMaxBypassBits = 16;
// After an escape, the value's zigzag form is sent as a 6-bit length (0..32) then its bits.
constexpr int kEscapeLengthBits = 6;

inline uint32_t zigzag_encode(int32_t v) {
  return (static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31);
}
inline int32_t zigzag_decode(uint32_t u) {
  return static_cast<int32_t>((u >> 1) ^ (~(u & 1) + 1));
}

}  // namespace facet::rans
