// A minimal arbitrary-precision unsigned integer for the exact short-message coder (short_coder.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/bytes.h"

namespace facet {

// Unsigned integer stored as little-endian 32-bit limbs with no leading zero limb (zero has no
// limbs). Only the operations the short-message coder needs; each is a single linear pass.
// Preconditions (a subtraction that would go negative) are asserted: callers compare first.
class BigUint {
 public:
  BigUint() = default;
  explicit BigUint(uint64_t value);

  // The big-endian number in data[0..size); an empty buffer is zero.
  static BigUint from_bytes_be(const uint8_t* data, size_t size);
  // The low 8 * size bytes, big-endian (leading zero bytes included; higher bits are dropped).
  Bytes to_bytes_be(size_t size) const;

  bool is_zero() const { return limbs_.empty(); }
  // Number of significant bits (0 for zero).
  size_t bit_length() const;
  // The 64 bits starting at bit `shift`, i.e. (*this >> shift) mod 2^64.
  uint64_t bits_at(size_t shift) const;
  const std::vector<uint32_t>& limbs() const { return limbs_; }

  // In-place arithmetic.
  void add(const BigUint& other);
  void add_small(uint32_t value);
  void sub(const BigUint& other);  // requires *this >= other
  void sub_small(uint32_t value);  // requires *this >= value
  void mul_small(uint32_t factor);
  void shift_left(size_t bits);
  void shift_right(size_t bits);

  // -1, 0 or 1 as a < b, a == b, a > b.
  static int compare(const BigUint& a, const BigUint& b);
  // Index of the highest bit in which a and b differ; -1 when a == b.
  static int64_t highest_differing_bit(const BigUint& a, const BigUint& b);

  friend bool operator==(const BigUint& a, const BigUint& b) { return a.limbs_ == b.limbs_; }
  friend bool operator!=(const BigUint& a, const BigUint& b) { return a.limbs_ != b.limbs_; }
  friend bool operator<(const BigUint& a, const BigUint& b) { return compare(a, b) < 0; }

 private:
  void trim();

  std::vector<uint32_t> limbs_;
};

}  // namespace facet
