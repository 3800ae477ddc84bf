// The .fct container: header, factor table and streams (normative spec: formats/FORMAT.md).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

namespace facet {

// FORMAT.md §2 "Magic number": PNG-style, catches text-mode transfers and truncation at byte 0.
constexpr std::array<uint8_t, 8> kFctMagic = {0x89, 'F', 'C', 'T', '\r', '\n', 0x1A, '\n'};
// The version written (FORMAT.md §10). Readers also read every version from kFctOldestVersion.
constexpr uint16_t kFctVersion = 3;
constexpr uint16_t kFctOldestVersion = 1;

// FORMAT.md §6 "Limits".
constexpr uint32_t kFctMaxDimension = 65535;
constexpr uint32_t kFctMaxHeaderBytes = 1u << 20;
constexpr uint32_t kFctMaxFactors = 256;
constexpr uint32_t kFctMaxNameBytes = 64;
constexpr uint32_t kFctMaxModelIdBytes = 64;
constexpr uint32_t kFctMaxRank = 4;
constexpr uint64_t kFctMaxStreamBytes = uint64_t{1} << 30;
constexpr uint64_t kFctMaxElements = uint64_t{1} << 32;  // per stream, product of its shape

// FORMAT.md §4.2. Values are part of the format: never renumber.
enum class FactorKind : uint8_t {
  kGlobal = 0,   // a named scalar (or small vector) for the whole image, e.g. exposure
  kSpatial = 1,  // a latent group on the image grid, e.g. structure.0, chroma
  kHyper = 2,    // side information the spatial groups are conditioned on
  kAux = 3,      // data outside the learned model, e.g. the lossless alpha plane
};
constexpr uint8_t kFactorKindCount = 4;

enum class StreamCoder : uint8_t {
  kRaw = 0,             // the elements themselves, little-endian
  kRansGaussian = 1,    // rANS, Gaussian conditional tables indexed by the hyperprior's scales
  kRansFactorized = 2,  // rANS, one learned factorized table per channel
  kZstd = 3,            // one or more zstd frames holding the raw elements
  kShort = 4,           // exact arithmetic coding of a few symbols (entropy/short_coder.h)
};
constexpr uint8_t kStreamCoderCount = 5;

enum class ElementType : uint8_t {
  kU8 = 0,   // e.g. 8-bit alpha
  kU16 = 1,  // e.g. 16-bit alpha, little-endian when raw
  kI32 = 2,  // quantized latent symbols
};
constexpr uint8_t kElementTypeCount = 3;

const char* factor_kind_name(FactorKind kind);
const char* stream_coder_name(StreamCoder coder);
const char* element_type_name(ElementType type);
size_t element_type_size(ElementType type);

// One row of the factor table: what a stream holds and where it is.
struct FactorEntry {
  std::string name;  // 1..64 bytes of [A-Za-z0-9_.:-], unique in the file, e.g. "structure.0"
  FactorKind kind = FactorKind::kAux;
  StreamCoder coder = StreamCoder::kRaw;
  ElementType element_type = ElementType::kU8;
  std::vector<uint32_t> shape;  // rank 0..4, every dimension >= 1
  float quant_step = 1.0f;      // finite and > 0: value = symbol * quant_step (+ prediction)
  // Filled by the writer and checked by the reader:
  uint64_t offset = 0;    // from the start of the payload
  uint64_t length = 0;    // bytes
  uint32_t checksum = 0;  // checksum32 of the stream's bytes
  // The streams that decoding this one reads (version 3, FORMAT.md §4.2): earlier entries of the
  // table, by name. A stream cannot be kept without them (facet edit refuses such a drop).
  std::vector<std::string> context = {};

  uint64_t element_count() const;
};

struct FctHeader {
  uint32_t width = 0;   // of the decoded image, 1..65535
  uint32_t height = 0;
  uint8_t channels = 3;          // of the decoded image: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA
  uint8_t source_bit_depth = 8;  // of the input image: 8 or 16 (FORMAT.md §5)
  uint16_t quality = 0;          // encoder's -q times 100: 0..10000
  uint64_t model_hash = 0;       // hash64 of the model's weights file (weights and CDF tables)
  std::string model_id;          // 0..64 printable ASCII bytes, e.g. "facet-photo-1"
  std::vector<FactorEntry> factors;
  // The format version the file was read from (the writer always writes kFctVersion).
  uint16_t version = kFctVersion;

  // Index of the factor named `name`, or -1.
  int find(const std::string& name) const;
};

// A parsed file: the header and each factor's stream bytes (same order as header.factors).
struct FctFile {
  FctHeader header;
  std::vector<Bytes> streams;
};

// Bytes of the header (magic through header checksum) for this factor table.
StatusOr<uint64_t> fct_header_size(const FctHeader& header);

// Serializes; offsets, lengths and checksums of `header.factors` are computed from `streams`
// (one per factor). Fails with kInvalidArgument if the header breaks a rule the reader enforces.
StatusOr<Bytes> write_fct(const FctHeader& header, const std::vector<Bytes>& streams);

// Parses and checks everything in FORMAT.md §7 "Reader obligations": each failure has its own
// ErrorCode (kTruncated, kBadMagic, kUnsupportedVersion, kChecksumMismatch, kLimitExceeded,
// kStreamOutOfRange, kStreamOverlap, kTrailingBytes, kCorrupt).
StatusOr<FctFile> read_fct(const uint8_t* data, size_t size);

// Only the header (for `facet inspect` of a file whose streams are damaged): checks everything
// that read_fct() checks except the stream checksums.
StatusOr<FctHeader> read_fct_header(const uint8_t* data, size_t size);

// Checks the header rules shared by writer and reader (names, shapes, limits, uniqueness).
Status validate_fct_header(const FctHeader& header);

}  // namespace facet
