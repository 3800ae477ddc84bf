// The three visitors of container_fields.h: sizing, writing and reading the .fct header.
#pragma once

#include <string>

#include "common/bytes.h"
#include "common/status.h"

namespace facet::fct_fields {

// Shared "first error wins" bookkeeping.
class VisitorBase {
 public:
  bool check(bool ok, ErrorCode code, const std::string& message) {
    if (!ok && status_.ok()) status_ = Status(code, message);
    return ok && status_.ok();
  }
  bool ok() const { return status_.ok(); }
  Status status() const { return status_; }

 protected:
  Status status_;
};

class SizeVisitor : public VisitorBase {
 public:
  bool reading() const { return false; }
  void u8(uint8_t&) { size_ += 1; }
  void u16(uint16_t&) { size_ += 2; }
  void u32(uint32_t&) { size_ += 4; }
  void u64(uint64_t&) { size_ += 8; }
  void f32(float&) { size_ += 4; }
  void varint(uint64_t& v) {
    uint64_t rest = v;
    do {
      ++size_;
      rest >>= 7;
    } while (rest != 0);
  }
  void text(std::string& s, uint32_t max_bytes) {
    check(s.size() <= max_bytes, ErrorCode::kLimitExceeded,
          "text field of " + std::to_string(s.size()) + " bytes (limit " + std::to_string(max_bytes) + ")");
    size_ += 1 + s.size();
  }
  uint64_t size() const { return size_; }

 private:
  uint64_t size_ = 0;
};

class WriteVisitor : public VisitorBase {
 public:
  explicit WriteVisitor(Bytes* out) : writer_(out) {}
  bool reading() const { return false; }
  void u8(uint8_t& v) { writer_.u8(v); }
  void u16(uint16_t& v) { writer_.u16(v); }
  void u32(uint32_t& v) { writer_.u32(v); }
  void u64(uint64_t& v) { writer_.u64(v); }
  void f32(float& v) { writer_.f32(v); }
  void varint(uint64_t& v) {
    uint64_t rest = v;
    while (rest >= 0x80) {
      writer_.u8(static_cast<uint8_t>(rest | 0x80));
      rest >>= 7;
    }
    writer_.u8(static_cast<uint8_t>(rest));
  }
  void text(std::string& s, uint32_t max_bytes) {
    if (!check(s.size() <= max_bytes, ErrorCode::kLimitExceeded, "text field too long")) return;
    writer_.u8(static_cast<uint8_t>(s.size()));
    writer_.bytes(s);
  }

 private:
  ByteWriter writer_;
};

class ReadVisitor : public VisitorBase {
 public:
  ReadVisitor(const uint8_t* data, size_t size) : reader_(data, size) {}
  bool reading() const { return true; }
  void u8(uint8_t& v) { v = reader_.u8(); }
  void u16(uint16_t& v) { v = reader_.u16(); }
  void u32(uint32_t& v) { v = reader_.u32(); }
  void u64(uint64_t& v) { v = reader_.u64(); }
  void f32(float& v) { v = reader_.f32(); }
  // At most 10 bytes; the shortest encoding of the value (no final 0x00 continuation byte) and
  // no bits above 64, so that every value has exactly one encoding.
  void varint(uint64_t& v) {
    v = 0;
    for (int i = 0; i < 10; ++i) {
      const uint8_t byte = reader_.u8();
      if (reader_.overrun()) return;
      const uint64_t bits = byte & 0x7F;
      if (!check(i < 9 || bits <= 1, ErrorCode::kCorrupt, "varint above 2^64 - 1")) return;
      v |= bits << (7 * i);
      if (!(byte & 0x80)) {
        check(byte != 0 || i == 0, ErrorCode::kCorrupt, "varint not in its shortest form");
        return;
      }
    }
    check(false, ErrorCode::kCorrupt, "varint longer than 10 bytes");
  }
  void text(std::string& s, uint32_t max_bytes) {
    const uint8_t length = reader_.u8();
    if (!check(length <= max_bytes, ErrorCode::kLimitExceeded,
               "text field of " + std::to_string(length) + " bytes (limit " +
                   std::to_string(max_bytes) + ")"))
      return;
    s = reader_.string(length);
  }
  // Reading past the header's end also stops the visit; read_fct() reports it.
  bool ok() const { return status_.ok() && !reader_.overrun(); }
  const ByteReader& reader() const { return reader_; }

 private:
  ByteReader reader_;
};

}  // namespace facet::fct_fields
