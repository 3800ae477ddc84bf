// Shared parts of the .fct container: names of enum values and the header rules (FORMAT.md §4).
#include <cmath>
#include <set>

#include "formats/container.h"
#include "formats/container_fields.h"
#include "formats/container_visitors.h"

namespace facet {

const char* factor_kind_name(FactorKind kind) {
  switch (kind) {
    case FactorKind::kGlobal: return "global";
    case FactorKind::kSpatial: return "spatial";
    case FactorKind::kHyper: return "hyper";
    case FactorKind::kAux: return "aux";
  }
  return "unknown";
}

const char* stream_coder_name(StreamCoder coder) {
  switch (coder) {
    case StreamCoder::kRaw: return "raw";
    case StreamCoder::kRansGaussian: return "rans-gaussian";
    case StreamCoder::kRansFactorized: return "rans-factorized";
    case StreamCoder::kZstd: return "zstd";
    case StreamCoder::kShort: return "short";
  }
  return "unknown";
}

const char* element_type_name(ElementType type) {
  switch (type) {
    case ElementType::kU8: return "u8";
    case ElementType::kU16: return "u16";
    case ElementType::kI32: return "i32";
  }
  return "unknown";
}

size_t element_type_size(ElementType type) {
  switch (type) {
    case ElementType::kU8: return 1;
    case ElementType::kU16: return 2;
    case ElementType::kI32: return 4;
  }
  return 0;
}

uint64_t FactorEntry::element_count() const {
  uint64_t count = 1;
  for (uint32_t dim : shape) {
    count *= dim;
    if (count > kFctMaxElements) return kFctMaxElements + 1;  // saturate: dims are < 2^32
  }
  return count;
}

int FctHeader::find(const std::string& name) const {
  for (size_t i = 0; i < factors.size(); ++i)
    if (factors[i].name == name) return static_cast<int>(i);
  return -1;
}

namespace {

bool is_valid_factor_name(const std::string& name) {
  if (name.empty() || name.size() > kFctMaxNameBytes) return false;
  for (char c : name) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                         c == '.' || c == ':' || c == '-';
    if (!allowed) return false;
  }
  return true;
}

bool is_printable_ascii(const std::string& s) {
  for (char c : s)
    if (c < 0x20 || c > 0x7E) return false;
  return true;
}

}  // namespace

Status validate_fct_header(const FctHeader& h) {
  FACET_RETURN_ERROR_IF(h.width == 0 || h.height == 0, kCorrupt,
                        "image size " + std::to_string(h.width) + "x" + std::to_string(h.height) +
                            " is empty");
  FACET_RETURN_ERROR_IF(h.width > kFctMaxDimension || h.height > kFctMaxDimension, kLimitExceeded,
                        "image size " + std::to_string(h.width) + "x" + std::to_string(h.height) +
                            " exceeds 65535");
  FACET_RETURN_ERROR_IF(h.channels < 1 || h.channels > 4, kCorrupt,
                        "channel count " + std::to_string(h.channels) + " is not 1..4");
  FACET_RETURN_ERROR_IF(h.source_bit_depth != 8 && h.source_bit_depth != 16, kCorrupt,
                        "source bit depth " + std::to_string(h.source_bit_depth) + " is not 8 or 16");
  FACET_RETURN_ERROR_IF(h.quality > 10000, kCorrupt,
                        "quality " + std::to_string(h.quality) + " exceeds 10000");
  FACET_RETURN_ERROR_IF(h.model_id.size() > kFctMaxModelIdBytes, kLimitExceeded,
                        "model id longer than 64 bytes");
  FACET_RETURN_ERROR_IF(!is_printable_ascii(h.model_id), kCorrupt,
                        "model id is not printable ASCII");
  FACET_RETURN_ERROR_IF(h.factors.size() > kFctMaxFactors, kLimitExceeded,
                        std::to_string(h.factors.size()) + " factors (limit 256)");
  std::set<std::string> names;
  for (const FactorEntry& f : h.factors) {
    FACET_RETURN_ERROR_IF(!is_valid_factor_name(f.name), kCorrupt,
                          "factor name '" + f.name + "' is not 1..64 bytes of [A-Za-z0-9_.:-]");
    FACET_RETURN_ERROR_IF(!names.insert(f.name).second, kCorrupt,
                          "factor name '" + f.name + "' appears twice");
    FACET_RETURN_ERROR_IF(f.shape.size() > kFctMaxRank, kLimitExceeded,
                          "factor '" + f.name + "' has rank above 4");
    for (uint32_t dim : f.shape)
      FACET_RETURN_ERROR_IF(dim == 0, kCorrupt, "factor '" + f.name + "' has a zero dimension");
    FACET_RETURN_ERROR_IF(f.element_count() > kFctMaxElements, kLimitExceeded,
                          "factor '" + f.name + "' has more than 2^32 elements");
    FACET_RETURN_ERROR_IF(!std::isfinite(f.quant_step) || !(f.quant_step > 0.0f), kCorrupt,
                          "factor '" + f.name + "' has a quantization step that is not finite "
                          "and positive");
    FACET_RETURN_ERROR_IF(f.length > kFctMaxStreamBytes, kLimitExceeded,
                          "stream '" + f.name + "' is " + std::to_string(f.length) +
                              " bytes (limit 2^30)");
  }
  return ok_status();
}

StatusOr<uint64_t> fct_header_size(const FctHeader& header) {
  fct_fields::SizeVisitor sizer;
  fct_fields::Preamble preamble;
  FctHeader copy = header;
  fct_fields::visit_preamble(sizer, preamble);
  fct_fields::visit_header(sizer, copy);
  FACET_RETURN_IF_ERROR(sizer.status());
  return kFctMagic.size() + sizer.size() + sizeof(uint32_t);  // + header checksum
}

}  // namespace facet
