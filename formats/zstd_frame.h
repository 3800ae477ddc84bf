// zstd compression of whole buffers with a decompressed-size limit (used for alpha and weights).
#pragma once

#include <cstdint>

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

}  // namespace facet
