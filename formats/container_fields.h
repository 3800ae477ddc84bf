// The one description of the .fct header's fields (FORMAT.md §3, §4), used to read, write and size.
#pragma once

#include <cstdint>
#include <string>

#include "formats/container.h"

namespace facet::fct_fields {

// Fixed part of the header after the magic; the factor table and the header checksum follow.
// A Visitor provides:
//   void u8(uint8_t&), u16(uint16_t&), u32(uint32_t&), u64(uint64_t&), f32(float&);
//   void varint(uint64_t&)                        // unsigned LEB128, canonical (FORMAT.md §1)
//   void text(std::string&, uint32_t max_bytes)   // u8 length, then the bytes
//   bool reading() const                          // sizes vectors before visiting them
//   bool check(bool ok, ErrorCode, std::string)   // records the first error; returns ok
//   bool ok() const                               // no check has failed yet
// Visiting stops at the first failed check; the caller reports the visitor's status.
struct Preamble {
  uint16_t version = kFctVersion;
  uint16_t flags = 0;             // reserved, 0
  uint32_t header_length = 0;     // bytes from the magic through the header checksum
  uint64_t payload_length = 0;    // bytes of all streams; the file ends right after them
};

template <typename Visitor>
void visit_preamble(Visitor& v, Preamble& p) {
  v.u16(p.version);
  v.u16(p.flags);
  v.u32(p.header_length);
  v.u64(p.payload_length);
}

// A size field: u32 / u64 in version 1, a varint from version 2 on.
template <typename Visitor>
void size_field(Visitor& v, uint16_t version, uint32_t& value) {
  if (version < 2) return v.u32(value);
  uint64_t wide = value;
  v.varint(wide);
  if (v.check(wide <= UINT32_MAX, ErrorCode::kCorrupt, "dimension " + std::to_string(wide) + " above 2^32 - 1"))
    value = static_cast<uint32_t>(wide);
}
template <typename Visitor>
void size_field(Visitor& v, uint16_t version, uint64_t& value) {
  if (version < 2) return v.u64(value);
  v.varint(value);
}

template <typename Visitor>
void visit_factor(Visitor& v, FactorEntry& f, uint16_t version) {
  v.text(f.name, kFctMaxNameBytes);
  uint8_t kind = static_cast<uint8_t>(f.kind), coder = static_cast<uint8_t>(f.coder);
  uint8_t element = static_cast<uint8_t>(f.element_type);
  uint8_t rank = static_cast<uint8_t>(f.shape.size());
  v.u8(kind);
  v.u8(coder);
  v.u8(element);
  v.u8(rank);
  if (!v.check(kind < kFactorKindCount, ErrorCode::kCorrupt,
               "factor '" + f.name + "' has unknown kind " + std::to_string(kind)) ||
      !v.check(coder < kStreamCoderCount, ErrorCode::kUnsupported,
               "factor '" + f.name + "' uses unknown coder " + std::to_string(coder)) ||
      !v.check(element < kElementTypeCount, ErrorCode::kCorrupt,
               "factor '" + f.name + "' has unknown element type " + std::to_string(element)) ||
      !v.check(rank <= kFctMaxRank, ErrorCode::kLimitExceeded,
               "factor '" + f.name + "' has rank " + std::to_string(rank) + " (limit 4)"))
    return;
  f.kind = static_cast<FactorKind>(kind);
  f.coder = static_cast<StreamCoder>(coder);
  f.element_type = static_cast<ElementType>(element);
  if (v.reading()) f.shape.assign(rank, 0);
  for (uint32_t& dim : f.shape) size_field(v, version, dim);
  v.f32(f.quant_step);
  size_field(v, version, f.offset);
  size_field(v, version, f.length);
  v.u32(f.checksum);
}

// Version 3: the streams that factor i's decoding reads, as a u8 count and that many u8 indexes of
// earlier entries, increasing (FORMAT.md §4.2).
template <typename Visitor>
void visit_context(Visitor& v, FctHeader& h, size_t i) {
  FactorEntry& f = h.factors[i];
  std::vector<uint8_t> indexes;
  if (!v.reading()) {
    for (const std::string& name : f.context) {
      size_t at = 0;
      while (at < i && h.factors[at].name != name) ++at;
      if (!v.check(at < i && (indexes.empty() || at > indexes.back()), ErrorCode::kInvalidArgument,
                   "the context of factor '" + f.name + "' must name earlier factors, in table order"))
        return;
      indexes.push_back(static_cast<uint8_t>(at));
    }
  }
  uint8_t count = static_cast<uint8_t>(indexes.size());
  v.u8(count);
  if (v.reading()) indexes.assign(count, 0);
  for (uint8_t& index : indexes) v.u8(index);
  if (!v.reading()) return;
  f.context.clear();
  for (size_t k = 0; k < indexes.size(); ++k) {
    if (!v.check(indexes[k] < i && (k == 0 || indexes[k] > indexes[k - 1]), ErrorCode::kCorrupt,
                 "the context of factor '" + f.name + "' does not name earlier factors in table order"))
      return;
    f.context.push_back(h.factors[indexes[k]].name);
  }
}

// Everything between the preamble and the header checksum, as `h.version` lays it out.
template <typename Visitor>
void visit_header(Visitor& v, FctHeader& h) {
  v.u32(h.width);
  v.u32(h.height);
  v.u8(h.channels);
  v.u8(h.source_bit_depth);
  v.u16(h.quality);
  v.u64(h.model_hash);
  v.text(h.model_id, kFctMaxModelIdBytes);
  uint16_t factor_count = static_cast<uint16_t>(h.factors.size());
  v.u16(factor_count);
  if (!v.check(factor_count <= kFctMaxFactors, ErrorCode::kLimitExceeded,
               std::to_string(factor_count) + " factors (limit " +
                   std::to_string(kFctMaxFactors) + ")"))
    return;
  if (v.reading()) h.factors.assign(factor_count, FactorEntry{});
  for (size_t i = 0; i < h.factors.size(); ++i) {
    visit_factor(v, h.factors[i], h.version);
    if (h.version >= 3) visit_context(v, h, i);
    if (!v.ok()) return;
  }
}

}  // namespace facet::fct_fields
