// Minimal unsigned big integer (32-bit limbs) for the exact short-message coder.
#include "entropy/bignum.h"

#include <algorithm>
#include <cassert>

namespace facet {

BigUint::BigUint(uint64_t value) {
  while (value != 0) {
    limbs_.push_back(static_cast<uint32_t>(value));
    value >>= 32;
  }
}

BigUint BigUint::from_bytes_be(const uint8_t* data, size_t size) {
  BigUint x;
  x.limbs_.assign((size + 3) / 4, 0);
  for (size_t i = 0; i < size; ++i) {
    const size_t bit = 8 * (size - 1 - i);  // position of byte i's lowest bit
    x.limbs_[bit / 32] |= uint32_t{data[i]} << (bit % 32);
  }
  x.trim();
  return x;
}

Bytes BigUint::to_bytes_be(size_t size) const {
  Bytes out(size, 0);
  for (size_t i = 0; i < size; ++i) {
    const size_t bit = 8 * (size - 1 - i);
    if (bit / 32 < limbs_.size()) out[i] = static_cast<uint8_t>(limbs_[bit / 32] >> (bit % 32));
  }
  return out;
}

size_t BigUint::bit_length() const {
  if (limbs_.empty()) return 0;
  return 32 * (limbs_.size() - 1) + (32 - __builtin_clz(limbs_.back()));
}

uint64_t BigUint::bits_at(size_t shift) const {
  const size_t first = shift / 32;
  const unsigned offset = static_cast<unsigned>(shift % 32);
  auto limb = [&](size_t i) -> uint64_t { return i < limbs_.size() ? limbs_[i] : 0; };
  // Three limbs cover the 64 bits at any offset within the first one.
  const uint64_t low = limb(first) | (limb(first + 1) << 32);
  if (offset == 0) return low;
  return (low >> offset) | (limb(first + 2) << (64 - offset));
}

void BigUint::add(const BigUint& other) {
  if (other.limbs_.size() > limbs_.size()) limbs_.resize(other.limbs_.size(), 0);
  uint64_t carry = 0;
  for (size_t i = 0; i < limbs_.size(); ++i) {
    if (i >= other.limbs_.size() && carry == 0) break;
    const uint64_t sum =
        uint64_t{limbs_[i]} + (i < other.limbs_.size() ? other.limbs_[i] : 0) + carry;
    limbs_[i] = static_cast<uint32_t>(sum);
    carry = sum >> 32;
  }
  if (carry != 0) limbs_.push_back(static_cast<uint32_t>(carry));
}

void BigUint::add_small(uint32_t value) {
  uint64_t carry = value;
  for (size_t i = 0; i < limbs_.size() && carry != 0; ++i) {
    const uint64_t sum = uint64_t{limbs_[i]} + carry;
    limbs_[i] = static_cast<uint32_t>(sum);
    carry = sum >> 32;
  }
  if (carry != 0) limbs_.push_back(static_cast<uint32_t>(carry));
}

void BigUint::sub(const BigUint& other) {
  assert(compare(*this, other) >= 0);
  uint64_t borrow = 0;
  for (size_t i = 0; i < limbs_.size(); ++i) {
    if (i >= other.limbs_.size() && borrow == 0) break;
    const uint64_t subtrahend = uint64_t{i < other.limbs_.size() ? other.limbs_[i] : 0} + borrow;
    borrow = uint64_t{limbs_[i]} < subtrahend ? 1 : 0;
    limbs_[i] = static_cast<uint32_t>(uint64_t{limbs_[i]} - subtrahend);  // mod 2^32
  }
  trim();
}

void BigUint::sub_small(uint32_t value) {
  assert(compare(*this, BigUint(value)) >= 0);
  uint64_t borrow = value;
  for (size_t i = 0; i < limbs_.size() && borrow != 0; ++i) {
    const uint64_t limb = limbs_[i];
    limbs_[i] = static_cast<uint32_t>(limb - borrow);
    borrow = limb < borrow ? 1 : 0;
  }
  trim();
}

void BigUint::mul_small(uint32_t factor) {
  if (factor == 0) {
    limbs_.clear();
    return;
  }
  uint64_t carry = 0;
  for (uint32_t& limb : limbs_) {
    const uint64_t product = uint64_t{limb} * factor + carry;
    limb = static_cast<uint32_t>(product);
    carry = product >> 32;
  }
  if (carry != 0) limbs_.push_back(static_cast<uint32_t>(carry));
}

void BigUint::shift_left(size_t bits) {
  if (limbs_.empty() || bits == 0) return;
  const size_t whole = bits / 32;
  const unsigned part = static_cast<unsigned>(bits % 32);
  if (part != 0) {
    uint32_t carry = 0;
    for (uint32_t& limb : limbs_) {
      const uint32_t next = limb >> (32 - part);
      limb = (limb << part) | carry;
      carry = next;
    }
    if (carry != 0) limbs_.push_back(carry);
  }
  limbs_.insert(limbs_.begin(), whole, 0);
}

void BigUint::shift_right(size_t bits) {
  const size_t whole = bits / 32;
  if (whole >= limbs_.size()) {
    limbs_.clear();
    return;
  }
  limbs_.erase(limbs_.begin(), limbs_.begin() + static_cast<std::ptrdiff_t>(whole));
  const unsigned part = static_cast<unsigned>(bits % 32);
  if (part != 0) {
    for (size_t i = 0; i < limbs_.size(); ++i) {
      const uint32_t high = i + 1 < limbs_.size() ? limbs_[i + 1] << (32 - part) : 0;
      limbs_[i] = (limbs_[i] >> part) | high;
    }
  }
  trim();
}

int BigUint::compare(const BigUint& a, const BigUint& b) {
  if (a.limbs_.size() != b.limbs_.size()) return a.limbs_.size() < b.limbs_.size() ? -1 : 1;
  for (size_t i = a.limbs_.size(); i-- > 0;) {
    if (a.limbs_[i] != b.limbs_[i]) return a.limbs_[i] < b.limbs_[i] ? -1 : 1;
  }
  return 0;
}

int64_t BigUint::highest_differing_bit(const BigUint& a, const BigUint& b) {
  const size_t count = std::max(a.limbs_.size(), b.limbs_.size());
  for (size_t i = count; i-- > 0;) {
    const uint32_t x =
        (i < a.limbs_.size() ? a.limbs_[i] : 0) ^ (i < b.limbs_.size() ? b.limbs_[i] : 0);
    if (x != 0) return static_cast<int64_t>(32 * i + (31 - __builtin_clz(x)));
  }
  return -1;
}

void BigUint::trim() {
  while (!limbs_.empty() && limbs_.back() == 0) limbs_.pop_back();
}

}  // namespace facet
