// .fct reader: every check of FORMAT.md §7 "Reader obligations", each with its own error code.
#include <algorithm>
#include <cstring>

#include "formats/checksum.h"
#include "formats/container.h"
#include "formats/container_fields.h"
#include "formats/container_visitors.h"

namespace facet {
namespace {

constexpr size_t kPreambleEnd = 8 + 16;  // magic + version, flags, header_length, payload_length

struct ParsedHeader {
  FctHeader header;
  uint64_t header_length = 0;
};

StatusOr<ParsedHeader> parse_header(const uint8_t* data, size_t size) {
  // §2 magic: a short input that is a prefix of the magic is a truncated file, anything else
  // is not a .fct file at all.
  FACET_RETURN_ERROR_IF(size == 0, kTruncated, "file is empty");
  const size_t magic_bytes = std::min(size, kFctMagic.size());
  FACET_RETURN_ERROR_IF(std::memcmp(data, kFctMagic.data(), magic_bytes) != 0, kBadMagic,
                        "not a Facet file (bad magic number)");
  FACET_RETURN_ERROR_IF(size < kPreambleEnd, kTruncated,
                        "file of " + std::to_string(size) + " bytes ends inside the preamble");

  fct_fields::Preamble preamble;
  fct_fields::ReadVisitor preamble_reader(data + kFctMagic.size(), kPreambleEnd - kFctMagic.size());
  fct_fields::visit_preamble(preamble_reader, preamble);
  FACET_RETURN_ERROR_IF(preamble.version < kFctOldestVersion || preamble.version > kFctVersion, kUnsupportedVersion,
                        "format version " + std::to_string(preamble.version) + " (this build reads versions " +
                            std::to_string(kFctOldestVersion) + " to " + std::to_string(kFctVersion) + ")");
  FACET_RETURN_ERROR_IF(preamble.header_length > kFctMaxHeaderBytes, kLimitExceeded,
                        "header length " + std::to_string(preamble.header_length) +
                            " exceeds 1 MiB");
  FACET_RETURN_ERROR_IF(preamble.header_length < kPreambleEnd + 4, kCorrupt,
                        "header length " + std::to_string(preamble.header_length) +
                            " is shorter than the preamble");
  FACET_RETURN_ERROR_IF(size < preamble.header_length, kTruncated,
                        "file of " + std::to_string(size) + " bytes ends inside the " +
                            std::to_string(preamble.header_length) + "-byte header");

  // §4.4: the checksum covers every header byte before it; check it before trusting any field.
  const size_t checksum_at = preamble.header_length - 4;
  ByteReader checksum_reader(data + checksum_at, 4);
  const uint32_t stored = checksum_reader.u32();
  const uint32_t computed = checksum32(data, checksum_at);
  FACET_RETURN_ERROR_IF(stored != computed, kChecksumMismatch, "header checksum mismatch");

  FACET_RETURN_ERROR_IF(preamble.flags != 0, kCorrupt,
                        "reserved flag bits are set (" + std::to_string(preamble.flags) + ")");
  FACET_RETURN_ERROR_IF(preamble.payload_length > uint64_t{kFctMaxFactors} * kFctMaxStreamBytes,
                        kLimitExceeded, "payload length exceeds the format's limit");
  const uint64_t file_length = preamble.header_length + preamble.payload_length;
  FACET_RETURN_ERROR_IF(size < file_length, kTruncated,
                        "file of " + std::to_string(size) + " bytes is shorter than the " +
                            std::to_string(file_length) + " bytes its header declares");
  FACET_RETURN_ERROR_IF(size > file_length, kTrailingBytes,
                        std::to_string(size - file_length) + " bytes after the last stream");

  ParsedHeader parsed;
  parsed.header_length = preamble.header_length;
  parsed.header.version = preamble.version;
  fct_fields::ReadVisitor reader(data + kPreambleEnd, checksum_at - kPreambleEnd);
  fct_fields::visit_header(reader, parsed.header);
  FACET_RETURN_IF_ERROR(reader.status());
  FACET_RETURN_ERROR_IF(reader.reader().overrun(), kCorrupt,
                        "header fields run past the declared header length");
  FACET_RETURN_ERROR_IF(reader.reader().remaining() != 0, kCorrupt,
                        std::to_string(reader.reader().remaining()) +
                            " unused bytes at the end of the header");
  FACET_RETURN_IF_ERROR(validate_fct_header(parsed.header));

  // §5: streams are contiguous, in table order, and fill the payload exactly.
  uint64_t expected_offset = 0;
  for (const FactorEntry& f : parsed.header.factors) {
    FACET_RETURN_ERROR_IF(f.offset < expected_offset, kStreamOverlap,
                          "stream '" + f.name + "' at offset " + std::to_string(f.offset) +
                              " overlaps the previous stream (which ends at " +
                              std::to_string(expected_offset) + ")");
    FACET_RETURN_ERROR_IF(f.offset > preamble.payload_length ||
                              f.length > preamble.payload_length - f.offset,
                          kStreamOutOfRange,
                          "stream '" + f.name + "' (offset " + std::to_string(f.offset) +
                              ", length " + std::to_string(f.length) +
                              ") extends past the payload of " +
                              std::to_string(preamble.payload_length) + " bytes");
    FACET_RETURN_ERROR_IF(f.offset > expected_offset, kCorrupt,
                          "gap of " + std::to_string(f.offset - expected_offset) +
                              " bytes before stream '" + f.name + "'");
    expected_offset = f.offset + f.length;
  }
  FACET_RETURN_ERROR_IF(expected_offset != preamble.payload_length, kTrailingBytes,
                        std::to_string(preamble.payload_length - expected_offset) +
                            " payload bytes after the last stream");
  return parsed;
}

}  // namespace

StatusOr<FctHeader> read_fct_header(const uint8_t* data, size_t size) {
  FACET_ASSIGN_OR_RETURN(ParsedHeader parsed, parse_header(data, size));
  return std::move(parsed.header);
}

StatusOr<FctFile> read_fct(const uint8_t* data, size_t size) {
  FACET_ASSIGN_OR_RETURN(ParsedHeader parsed, parse_header(data, size));
  FctFile file;
  file.header = std::move(parsed.header);
  const uint8_t* payload = data + parsed.header_length;
  for (const FactorEntry& f : file.header.factors) {
    const uint8_t* begin = payload + f.offset;
    FACET_RETURN_ERROR_IF(checksum32(begin, f.length) != f.checksum, kChecksumMismatch,
                          "checksum mismatch in stream '" + f.name + "'");
    file.streams.emplace_back(begin, begin + f.length);
  }
  return file;
}

}  // namespace facet
