// For the fuzz targets of .fct files: a copy of a file with its header checksum and, where the
// header parses, every stream checksum recomputed, so that mutations get past the checksums into
// the factor table checks and the stream decoders.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace facet::test {

std::vector<uint8_t> with_valid_checksums(const uint8_t* data, size_t size);

}  // namespace facet::test
