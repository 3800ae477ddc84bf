// Checksums of .fct headers and streams, and the 64-bit hash that identifies a model's weights.
#pragma once

#include <cstddef>
#include <cstdint>

namespace facet {

// Low 32 bits of XXH3-64 (seed 0). Used for the header and every stream (FORMAT.md, "Checksums").
uint32_t checksum32(const uint8_t* data, size_t size);

// XXH3-64 (seed 0). Identifies a model's weights and CDF tables in a file header.
uint64_t hash64(const uint8_t* data, size_t size);

}  // namespace facet
