// Checksums recomputed for fuzzing (fct_checksums.h).
#include "fuzz/fct_checksums.h"

#include "common/bytes.h"
#include "formats/checksum.h"
#include "formats/container.h"

namespace facet::test {
namespace {

void put_u32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = uint8_t(v >> (8 * i));
}

}  // namespace

// Field positions follow FORMAT.md §3-§4 (the checksum is the header's last 4 bytes; each factor
// entry ends with its u32 checksum, after offset and length).
std::vector<uint8_t> with_valid_checksums(const uint8_t* data, size_t size) {
  std::vector<uint8_t> b(data, data + size);
  if (size < 28) return b;
  const uint32_t header_length = facet::ByteReader(b.data() + 12, 4).u32();
  if (header_length < 28 || header_length > size) return b;
  put_u32(b, header_length - 4, facet::checksum32(b.data(), header_length - 4));
  auto header = facet::read_fct_header(b.data(), b.size());
  if (!header.ok()) return b;
  // Walk the entries again to find each checksum field: sizes are known from the parsed header
  // (fixed-width size fields in version 1, varints from version 2).
  const bool v1 = header->version < 2;
  auto varint_bytes = [](uint64_t v) {
    size_t n = 1;
    while (v >= 0x80) v >>= 7, ++n;
    return n;
  };
  size_t at = 24 + 4 + 4 + 1 + 1 + 2 + 8 + 1 + header->model_id.size() + 2;
  for (const facet::FactorEntry& f : header->factors) {
    at += 1 + f.name.size() + 4 + 4;  // name, kind/coder/type/rank, quant_step
    for (uint32_t dim : f.shape) at += v1 ? 4 : varint_bytes(dim);
    at += v1 ? 16 : varint_bytes(f.offset) + varint_bytes(f.length);
    put_u32(b, at, facet::checksum32(b.data() + header_length + f.offset, f.length));
    at += 4;
  }
  put_u32(b, header_length - 4, facet::checksum32(b.data(), header_length - 4));
  return b;
}

}  // namespace facet::test
