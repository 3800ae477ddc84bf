// Little-endian byte writer and bounds-checked byte reader used by every on-disk structure.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace facet {

using Bytes = std::vector<uint8_t>;

// Appends little-endian fields to a byte vector.
class ByteWriter {
 public:
  explicit ByteWriter(Bytes* out) : out_(out) {}

  void u8(uint8_t v) { out_->push_back(v); }
  void u16(uint16_t v) { put_le(v, 2); }
  void u32(uint32_t v) { put_le(v, 4); }
  void u64(uint64_t v) { put_le(v, 8); }
  void f32(float v) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    u32(bits);
  }
  void bytes(const uint8_t* data, size_t size) { out_->insert(out_->end(), data, data + size); }
  void bytes(std::string_view s) { bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }
  size_t size() const { return out_->size(); }

 private:
  void put_le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_->push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  Bytes* out_;
};

// Reads little-endian fields. Reading past the end yields zeros and sets a sticky flag that the
// caller checks once (overrun()), in the manner of libjxl's BitReader: no read ever leaves the
// buffer, and parsing code stays linear.
class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  uint8_t u8() { return static_cast<uint8_t>(get_le(1)); }
  uint16_t u16() { return static_cast<uint16_t>(get_le(2)); }
  uint32_t u32() { return static_cast<uint32_t>(get_le(4)); }
  uint64_t u64() { return get_le(8); }
  float f32() {
    uint32_t bits = u32();
    float v;
    std::memcpy(&v, &bits, 4);
    return v;
  }
  // Copies `n` bytes into `dst` (zeros past the end).
  void bytes(uint8_t* dst, size_t n) {
    if (n > remaining()) {
      std::memset(dst, 0, n);
      overrun_ = true;
      pos_ = size_;
      return;
    }
    std::memcpy(dst, data_ + pos_, n);
    pos_ += n;
  }
  std::string string(size_t n) {
    std::string s(n, '\0');
    bytes(reinterpret_cast<uint8_t*>(s.data()), n);
    return s;
  }

  size_t position() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }
  bool overrun() const { return overrun_; }

 private:
  uint64_t get_le(int n) {
    if (static_cast<size_t>(n) > remaining()) {
      overrun_ = true;
      pos_ = size_;
      return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(data_[pos_ + i]) << (8 * i);
    pos_ += n;
    return v;
  }

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  bool overrun_ = false;
};

}  // namespace facet
