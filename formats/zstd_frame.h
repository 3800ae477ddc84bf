// zstd compression of whole buffers with a decompressed-size limit (used for alpha and weights).
#pragma once

#include <cstdint>
#include <memory>

#include "common/bytes.h"
#include "common/status.h"

namespace facet {

bool has_zstd_magic(const uint8_t* data, size_t size);

// content_checksum adds zstd's 4-byte XXH64 of the content, checked on decompression; streams
// inside a .fct file skip it because the container checksums every stream already.
StatusOr<Bytes> zstd_compress(const uint8_t* data, size_t size, int level,
                              bool content_checksum = false);

// Decompresses one or more concatenated frames. Fails (kLimitExceeded) as soon as the output
// would exceed max_output_bytes, and (kCorrupt / kTruncated) on damaged input. When
// expected_size is not UINT64_MAX, the output must have exactly that size (kCorrupt otherwise).
StatusOr<Bytes> zstd_decompress(const uint8_t* data, size_t size, uint64_t max_output_bytes,
                                uint64_t expected_size = UINT64_MAX);

// The first bytes of zstd data, decompressed as far as a reader asks (a reader that needs only the
// start of a large frame: the entropy tables of a model). The frame's content checksum, at its end,
// is not reached and so not checked.
class ZstdPrefixDecoder {
 public:
  ZstdPrefixDecoder(const uint8_t* data, size_t size);
  ~ZstdPrefixDecoder();
  ZstdPrefixDecoder(const ZstdPrefixDecoder&) = delete;
  ZstdPrefixDecoder& operator=(const ZstdPrefixDecoder&) = delete;

  // Decompresses until output() holds at least min(n, max_output_bytes + 1) bytes or the data ends
  // (then it holds what there is: the caller's reader reports the truncation). Errors on damaged
  // data (kCorrupt, kLimitExceeded for a window over 128 MiB).
  Status extend_to(uint64_t n, uint64_t max_output_bytes);
  const Bytes& output() const { return out_; }

 private:
  struct Context;
  std::unique_ptr<Context> context_;
  const uint8_t* data_;
  size_t size_, consumed_ = 0;
  bool frame_done_ = false;
  Bytes out_;
};

}  // namespace facet
