// Coding of individual .fct streams that need no model: raw, zstd, the alpha plane, and rANS
// streams given the model's tables (FORMAT.md §5).
#pragma once

#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "entropy/quantized_cdf.h"
#include "formats/container.h"
#include "formats/image.h"

namespace facet {

// Name of the lossless alpha stream (kind aux, coder zstd, shape [height, width]).
constexpr const char* kAlphaStreamName = "alpha";

// Elements of a raw or zstd stream as little-endian bytes (element_count * element size).
// Checks that the stream holds exactly as many elements as the entry's shape says.
StatusOr<Bytes> decode_plain_stream(const FactorEntry& entry, const Bytes& stream);
// The inverse: packs `elements` (little-endian) raw or with zstd.
StatusOr<Bytes> encode_plain_stream(const FactorEntry& entry, const Bytes& elements);

// Symbols of a rANS stream (coder kRansGaussian / kRansFactorized, element type i32): one per
// element, each coded with the table named by indexes[i].
StatusOr<std::vector<int32_t>> decode_rans_stream(const FactorEntry& entry, const Bytes& stream,
                                                  const std::vector<int32_t>& indexes,
                                                  const CdfTableSet& tables);
StatusOr<Bytes> encode_rans_stream(const FactorEntry& entry, const std::vector<int32_t>& symbols,
                                   const std::vector<int32_t>& indexes, const CdfTableSet& tables);

// Values of a short stream (coder kShort, element type i32): element i coded with table
// table_index[i] of `tables` by the exact arithmetic coder of entropy/short_coder.h.
StatusOr<std::vector<int32_t>> decode_short_stream(const FactorEntry& entry, const Bytes& stream,
                                                   const std::vector<uint32_t>& table_index,
                                                   const CdfTableSet& tables);
StatusOr<Bytes> encode_short_stream(const FactorEntry& entry, const std::vector<int32_t>& values,
                                    const std::vector<uint32_t>& table_index, const CdfTableSet& tables);

// The alpha plane of an image with alpha as a factor entry and its zstd stream; 8-bit alpha is
// stored as u8, 16-bit as u16.
Status make_alpha_stream(const Image& image, FactorEntry* entry, Bytes* stream);
// Writes a decoded alpha stream into the last channel of `image` (which must have alpha, and the
// stream's shape must match its size; 16-bit alpha into an 8-bit image is rounded).
Status apply_alpha_stream(const FactorEntry& entry, const Bytes& stream, Image* image);

}  // namespace facet
