// Coding of raw, zstd, alpha and rANS streams of a .fct file.
#include "formats/container_streams.h"

#include "entropy/short_coder.h"

#include "entropy/dec_rans.h"
#include "entropy/enc_rans.h"
#include "formats/zstd_frame.h"

namespace facet {
namespace {

constexpr int kAlphaZstdLevel = 19;

Status check_plain(const FactorEntry& entry) {
  FACET_RETURN_ERROR_IF(entry.coder != StreamCoder::kRaw && entry.coder != StreamCoder::kZstd,
                        kInvalidArgument,
                        "stream '" + entry.name + "' is coded with " +
                            stream_coder_name(entry.coder) + ", not raw or zstd");
  FACET_RETURN_ERROR_IF(entry.element_count() * element_type_size(entry.element_type) >
                            kFctMaxStreamBytes * 4,
                        kLimitExceeded, "stream '" + entry.name + "' decodes to more than 4 GiB");
  return ok_status();
}

Status check_rans(const FactorEntry& entry, size_t index_count) {
  FACET_RETURN_ERROR_IF(
      entry.coder != StreamCoder::kRansGaussian && entry.coder != StreamCoder::kRansFactorized,
      kInvalidArgument, "stream '" + entry.name + "' is not rANS-coded");
  FACET_RETURN_ERROR_IF(entry.element_type != ElementType::kI32, kCorrupt,
                        "rANS stream '" + entry.name + "' must hold i32 symbols");
  FACET_RETURN_ERROR_IF(entry.element_count() != index_count, kInvalidArgument,
                        "stream '" + entry.name + "' has " + std::to_string(entry.element_count()) +
                            " elements but " + std::to_string(index_count) + " table indexes");
  return ok_status();
}

}  // namespace

StatusOr<Bytes> decode_plain_stream(const FactorEntry& entry, const Bytes& stream) {
  FACET_RETURN_IF_ERROR(check_plain(entry));
  const uint64_t expected = entry.element_count() * element_type_size(entry.element_type);
  if (entry.coder == StreamCoder::kRaw) {
    FACET_RETURN_ERROR_IF(stream.size() != expected, kCorrupt,
                          "raw stream '" + entry.name + "' has " + std::to_string(stream.size()) +
                              " bytes, its shape needs " + std::to_string(expected));
    return stream;
  }
  auto decoded = zstd_decompress(stream.data(), stream.size(), expected, expected);
  if (!decoded.ok()) return decoded.status().with_context("stream '" + entry.name + "'");
  return decoded;
}

StatusOr<Bytes> encode_plain_stream(const FactorEntry& entry, const Bytes& elements) {
  FACET_RETURN_IF_ERROR(check_plain(entry));
  FACET_RETURN_ERROR_IF(elements.size() != entry.element_count() * element_type_size(entry.element_type),
                        kInvalidArgument, "element bytes do not match the shape of '" + entry.name + "'");
  if (entry.coder == StreamCoder::kRaw) return elements;
  return zstd_compress(elements.data(), elements.size(), kAlphaZstdLevel);
}

StatusOr<std::vector<int32_t>> decode_rans_stream(const FactorEntry& entry, const Bytes& stream,
                                                  const std::vector<int32_t>& indexes,
                                                  const CdfTableSet& tables) {
  FACET_RETURN_IF_ERROR(check_rans(entry, indexes.size()));
  std::vector<int32_t> symbols(indexes.size());
  Status status = decode_with_indexes(stream.data(), stream.size(), indexes.data(), indexes.size(),
                                      tables, symbols.data());
  if (!status.ok()) return status.with_context("stream '" + entry.name + "'");
  return symbols;
}

StatusOr<Bytes> encode_rans_stream(const FactorEntry& entry, const std::vector<int32_t>& symbols,
                                   const std::vector<int32_t>& indexes, const CdfTableSet& tables) {
  FACET_RETURN_IF_ERROR(check_rans(entry, indexes.size()));
  FACET_RETURN_ERROR_IF(symbols.size() != indexes.size(), kInvalidArgument,
                        "symbol and index counts differ");
  return encode_with_indexes(symbols.data(), indexes.data(), symbols.size(), tables);
}

namespace {
Status check_short(const FactorEntry& entry, size_t index_count) {
  FACET_RETURN_ERROR_IF(entry.coder != StreamCoder::kShort, kInvalidArgument,
                        "stream '" + entry.name + "' is not short-coded");
  FACET_RETURN_ERROR_IF(entry.element_type != ElementType::kI32, kCorrupt,
                        "short stream '" + entry.name + "' must hold i32 values");
  FACET_RETURN_ERROR_IF(entry.element_count() != index_count, kCorrupt,
                        "stream '" + entry.name + "' has " + std::to_string(entry.element_count()) +
                            " elements, the model codes " + std::to_string(index_count));
  return ok_status();
}
}  // namespace

StatusOr<std::vector<int32_t>> decode_short_stream(const FactorEntry& entry, const Bytes& stream,
                                                   const std::vector<uint32_t>& table_index,
                                                   const CdfTableSet& tables) {
  FACET_RETURN_IF_ERROR(check_short(entry, table_index.size()));
  auto values = decode_short_message(tables, table_index, stream.data(), stream.size());
  if (!values.ok()) return values.status().with_context("stream '" + entry.name + "'");
  return values;
}

StatusOr<Bytes> encode_short_stream(const FactorEntry& entry, const std::vector<int32_t>& values,
                                    const std::vector<uint32_t>& table_index, const CdfTableSet& tables) {
  FACET_RETURN_IF_ERROR(check_short(entry, table_index.size()));
  return encode_short_message(tables, table_index, values);
}

Status make_alpha_stream(const Image& image, FactorEntry* entry, Bytes* stream) {
  FACET_RETURN_ERROR_IF(!image.has_alpha(), kInvalidArgument, "image has no alpha channel");
  entry->name = kAlphaStreamName;
  entry->kind = FactorKind::kAux;
  entry->coder = StreamCoder::kZstd;
  entry->element_type = image.bit_depth == 16 ? ElementType::kU16 : ElementType::kU8;
  entry->shape = {image.height, image.width};
  entry->quant_step = 1.0f;
  Bytes elements;
  elements.reserve(image.pixel_count() * element_type_size(entry->element_type));
  const uint32_t alpha = image.channels - 1u;
  for (uint64_t p = 0; p < image.pixel_count(); ++p) {
    const uint16_t a = image.samples[p * image.channels + alpha];
    elements.push_back(static_cast<uint8_t>(a));
    if (image.bit_depth == 16) elements.push_back(static_cast<uint8_t>(a >> 8));
  }
  FACET_ASSIGN_OR_RETURN(*stream, encode_plain_stream(*entry, elements));
  return ok_status();
}

Status apply_alpha_stream(const FactorEntry& entry, const Bytes& stream, Image* image) {
  FACET_RETURN_ERROR_IF(!image->has_alpha(), kInvalidArgument, "image has no alpha channel");
  FACET_RETURN_ERROR_IF(entry.shape.size() != 2 || entry.shape[0] != image->height ||
                            entry.shape[1] != image->width,
                        kCorrupt, "alpha stream shape does not match the image size");
  FACET_RETURN_ERROR_IF(entry.element_type != ElementType::kU8 &&
                            entry.element_type != ElementType::kU16,
                        kCorrupt, "alpha stream must hold u8 or u16 elements");
  FACET_ASSIGN_OR_RETURN(Bytes elements, decode_plain_stream(entry, stream));
  const bool wide = entry.element_type == ElementType::kU16;
  const uint32_t alpha = image->channels - 1u;
  for (uint64_t p = 0; p < image->pixel_count(); ++p) {
    uint32_t a = wide ? uint32_t{elements[2 * p]} | uint32_t{elements[2 * p + 1]} << 8 : elements[p];
    if (wide && image->bit_depth == 8) a = (a * 255 + 32767) / 65535;
    if (!wide && image->bit_depth == 16) a *= 257;
    image->samples[p * image->channels + alpha] = static_cast<uint16_t>(a);
  }
  return ok_status();
}

}  // namespace facet
