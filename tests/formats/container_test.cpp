// .fct container: round trips, the header's single description, and each rejection path.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/bytes.h"
#include "formats/checksum.h"
#include "formats/container.h"
#include "formats/container_fields.h"
#include "formats/container_streams.h"
#include "formats/container_visitors.h"
#include "formats/sample_fct.h"
#include "test_support.h"

namespace facet {
namespace {

FctHeader small_header() {
  FctHeader h;
  h.width = 3;
  h.height = 2;
  h.channels = 3;
  h.quality = 5000;
  h.model_id = "test";
  h.model_hash = 42;
  h.factors.push_back({"a", FactorKind::kGlobal, StreamCoder::kRaw, ElementType::kU8, {3}, 0.5f});
  h.factors.push_back({"b.0", FactorKind::kSpatial, StreamCoder::kRaw, ElementType::kU8, {2, 2}, 1.0f});
  return h;
}

Bytes small_file() {
  return write_fct(small_header(), {Bytes{1, 2, 3}, Bytes{4, 5, 6, 7}}).value();
}

ErrorCode read_code(const Bytes& bytes) { return read_fct(bytes.data(), bytes.size()).status().code(); }

// Offsets in small_file(): magic 0..8, version 8, flags 10, header_length 12, payload_length 16,
// width 24, height 28, channels 32, bit depth 33, quality 34, hash 36, model id 44 (1 + 4 bytes),
// factor count 49, first factor 51 (name length, name, kind, coder, element, rank, dims...).
constexpr size_t kVersionAt = 8, kFlagsAt = 10, kHeaderLengthAt = 12, kPayloadLengthAt = 16;
constexpr size_t kWidthAt = 24, kFactorCountAt = 49, kFirstFactorAt = 51;

uint32_t header_length(const Bytes& b) { return ByteReader(b.data() + kHeaderLengthAt, 4).u32(); }

// Rewrites the header checksum so a test reaches the check after it.
void reseal(Bytes& b) {
  const uint32_t at = header_length(b) - 4;
  const uint32_t sum = checksum32(b.data(), at);
  for (int i = 0; i < 4; ++i) b[at + i] = uint8_t(sum >> (8 * i));
}
void put_u16(Bytes& b, size_t at, uint16_t v) { b[at] = uint8_t(v); b[at + 1] = uint8_t(v >> 8); }
void put_u32(Bytes& b, size_t at, uint32_t v) { for (int i = 0; i < 4; ++i) b[at + i] = uint8_t(v >> (8 * i)); }
void put_u64(Bytes& b, size_t at, uint64_t v) { for (int i = 0; i < 8; ++i) b[at + i] = uint8_t(v >> (8 * i)); }

TEST_CASE("ContainerRoundtrip", "[container]") {
  const Bytes file = small_file();
  auto parsed = read_fct(file.data(), file.size());
  REQUIRE(parsed.ok());
  const FctHeader& h = parsed->header;
  CHECK(h.width == 3);
  CHECK(h.height == 2);
  CHECK(h.channels == 3);
  CHECK(h.quality == 5000);
  CHECK(h.model_id == "test");
  CHECK(h.model_hash == 42);
  REQUIRE(h.factors.size() == 2);
  CHECK(h.factors[0].name == "a");
  CHECK(h.factors[0].kind == FactorKind::kGlobal);
  CHECK(h.factors[0].quant_step == 0.5f);
  CHECK(h.factors[1].shape == std::vector<uint32_t>{2, 2});
  CHECK(h.factors[1].offset == 3);
  CHECK(h.factors[1].length == 4);
  CHECK(parsed->streams[0] == Bytes{1, 2, 3});
  CHECK(parsed->streams[1] == Bytes{4, 5, 6, 7});
  // Writing what was read gives the same bytes.
  CHECK(write_fct(parsed->header, parsed->streams).value() == file);
}

TEST_CASE("HeaderSizeMatchesWrittenHeader", "[container]") {
  const Bytes file = small_file();
  CHECK(fct_header_size(small_header()).value() == header_length(file));
  CHECK(file.size() == header_length(file) + 7);
  CHECK(std::memcmp(file.data(), kFctMagic.data(), 8) == 0);
}

TEST_CASE("EmptyFactorTableRoundtrip", "[container]") {
  FctHeader h = small_header();
  h.factors.clear();
  const Bytes file = write_fct(h, {}).value();
  auto parsed = read_fct(file.data(), file.size());
  REQUIRE(parsed.ok());
  CHECK(parsed->header.factors.empty());
}

TEST_CASE("EmptyStreamRoundtrip", "[container]") {
  FctHeader h = small_header();
  const Bytes file = write_fct(h, {Bytes{}, Bytes{9}}).value();
  auto parsed = read_fct(file.data(), file.size());
  REQUIRE(parsed.ok());
  CHECK(parsed->streams[0].empty());
  CHECK(parsed->streams[1] == Bytes{9});
}

TEST_CASE("WriterRefusesInvalidHeaders", "[container]") {
  auto refuse = [](FctHeader h) {
    std::vector<Bytes> streams(h.factors.size());
    CHECK(write_fct(h, streams).status().code() == ErrorCode::kInvalidArgument);
  };
  FctHeader h = small_header();
  h.width = 0; refuse(h);
  h = small_header(); h.height = 70000; refuse(h);
  h = small_header(); h.channels = 5; refuse(h);
  h = small_header(); h.source_bit_depth = 12; refuse(h);
  h = small_header(); h.quality = 10001; refuse(h);
  h = small_header(); h.model_id = std::string(65, 'x'); refuse(h);
  h = small_header(); h.model_id = "tab\there"; refuse(h);
  h = small_header(); h.factors[0].name = "bad name"; refuse(h);
  h = small_header(); h.factors[0].name = "a/b"; refuse(h);
  h = small_header(); h.factors[0].name = ""; refuse(h);
  h = small_header(); h.factors[1].name = "a"; refuse(h);
  h = small_header(); h.factors[0].shape = {1, 1, 1, 1, 1}; refuse(h);
  h = small_header(); h.factors[0].shape = {0}; refuse(h);
  h = small_header(); h.factors[0].quant_step = 0.0f; refuse(h);
  h = small_header(); h.factors[0].quant_step = INFINITY; refuse(h);
  h = small_header();
  CHECK(write_fct(h, {Bytes{}}).status().code() == ErrorCode::kInvalidArgument);  // count mismatch
  // Upper case is allowed (sprite factors such as "posX").
  h = small_header(); h.factors[0].name = "posX.2";
  CHECK(write_fct(h, std::vector<Bytes>(h.factors.size())).ok());
}

TEST_CASE("ReaderRejectsBadMagic", "[container]") {
  Bytes file = small_file();
  file[1] = 'X';
  CHECK(read_code(file) == ErrorCode::kBadMagic);
  const Bytes png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  CHECK(read_code(png) == ErrorCode::kBadMagic);
  CHECK(read_code(Bytes{'h', 'i'}) == ErrorCode::kBadMagic);
}

TEST_CASE("ReaderRejectsTruncation", "[container]") {
  const Bytes file = small_file();
  CHECK(read_code(Bytes{}) == ErrorCode::kTruncated);
  CHECK(read_code(Bytes(file.begin(), file.begin() + 5)) == ErrorCode::kTruncated);   // in magic
  CHECK(read_code(Bytes(file.begin(), file.begin() + 20)) == ErrorCode::kTruncated);  // preamble
  CHECK(read_code(Bytes(file.begin(), file.begin() + 40)) == ErrorCode::kTruncated);  // header
  CHECK(read_code(Bytes(file.begin(), file.end() - 1)) == ErrorCode::kTruncated);     // payload
}

TEST_CASE("ReaderRejectsUnknownVersion", "[container]") {
  Bytes file = small_file();
  put_u16(file, kVersionAt, kFctVersion + 1);
  CHECK(read_code(file) == ErrorCode::kUnsupportedVersion);
  put_u16(file, kVersionAt, 0);
  CHECK(read_code(file) == ErrorCode::kUnsupportedVersion);
}

TEST_CASE("ReaderRejectsChecksumMismatch", "[container]") {
  Bytes file = small_file();
  file[kWidthAt] ^= 1;  // header byte
  CHECK(read_code(file) == ErrorCode::kChecksumMismatch);
  file = small_file();
  file.back() ^= 1;  // stream byte
  auto result = read_fct(file.data(), file.size());
  CHECK(result.status().code() == ErrorCode::kChecksumMismatch);
  CHECK(result.status().message().find("'b.0'") != std::string::npos);
  // read_fct_header() does not look at stream bytes.
  CHECK(read_fct_header(file.data(), file.size()).ok());
}

TEST_CASE("ReaderRejectsReservedFlags", "[container]") {
  Bytes file = small_file();
  put_u16(file, kFlagsAt, 1);
  reseal(file);
  CHECK(read_code(file) == ErrorCode::kCorrupt);
}

TEST_CASE("ReaderRejectsOversizeFields", "[container]") {
  Bytes file = small_file();
  put_u32(file, kHeaderLengthAt, kFctMaxHeaderBytes + 1);
  CHECK(read_code(file) == ErrorCode::kLimitExceeded);

  file = small_file();
  put_u32(file, kWidthAt, 70000);
  reseal(file);
  CHECK(read_code(file) == ErrorCode::kLimitExceeded);

  file = small_file();
  put_u16(file, kFactorCountAt, 300);
  reseal(file);
  CHECK(read_code(file) == ErrorCode::kLimitExceeded);

  file = small_file();
  file[kFirstFactorAt] = 200;  // name length above 64
  reseal(file);
  CHECK(read_code(file) == ErrorCode::kLimitExceeded);

  file = small_file();
  file[kFirstFactorAt + 2 + 3] = 9;  // rank above 4
  reseal(file);
  CHECK(read_code(file) == ErrorCode::kLimitExceeded);
}

TEST_CASE("ReaderRejectsUnknownEnumValues", "[container]") {
  const size_t kind_at = kFirstFactorAt + 2;
  Bytes file = small_file();
  file[kind_at] = 7;
  reseal(file);
  CHECK(read_code(file) == ErrorCode::kCorrupt);
  file = small_file();
  file[kind_at + 1] = 9;  // coder
  reseal(file);
  CHECK(read_code(file) == ErrorCode::kUnsupported);
}

// small_file() with factor i's stream offset and length replaced: the header written field by
// field (write_fct would recompute them), with a valid header checksum, so the reader reaches its
// stream checks.
Bytes with_stream_fields(int i, uint64_t offset, uint64_t length) {
  const Bytes good = small_file();
  FctHeader h = read_fct_header(good.data(), good.size()).value();
  h.factors[i].offset = offset;
  h.factors[i].length = length;
  fct_fields::Preamble preamble;
  preamble.header_length = uint32_t(fct_header_size(h).value());
  preamble.payload_length = 7;
  Bytes out(kFctMagic.begin(), kFctMagic.end());
  fct_fields::WriteVisitor writer(&out);
  fct_fields::visit_preamble(writer, preamble);
  fct_fields::visit_header(writer, h);
  ByteWriter(&out).u32(checksum32(out.data(), out.size()));
  out.insert(out.end(), good.end() - 7, good.end());
  return out;
}

TEST_CASE("ReaderRejectsStreamsOutOfRange", "[container]") {
  CHECK(read_code(with_stream_fields(1, 3, 4)) == ErrorCode::kOk);  // as written
  CHECK(read_code(with_stream_fields(1, 3, 5)) == ErrorCode::kStreamOutOfRange);  // past payload 7
  CHECK(read_code(with_stream_fields(1, UINT64_MAX, 4)) == ErrorCode::kStreamOutOfRange);
}

TEST_CASE("ReaderRejectsOverlappingStreams", "[container]") {
  CHECK(read_code(with_stream_fields(1, 2, 4)) == ErrorCode::kStreamOverlap);  // starts inside stream 0
}

TEST_CASE("ReaderRejectsGapsBetweenStreams", "[container]") {
  CHECK(read_code(with_stream_fields(0, 0, 2)) == ErrorCode::kCorrupt);  // stream 0 shorter: a gap
}

TEST_CASE("ReaderRejectsNonCanonicalVarints", "[container]") {
  // Factor "a": name length and name (2 bytes), kind, coder, element type, rank (4), then its
  // one dimension, 3, as a one-byte varint. Written in two bytes (0x83 0x00) it is the same
  // number in a longer form, which the reader refuses: every header has one encoding.
  Bytes file = small_file();
  const size_t dim_at = kFirstFactorAt + 6;
  REQUIRE(file[dim_at] == 3);
  file[dim_at] = 0x83;
  file.insert(file.begin() + dim_at + 1, 0x00);
  put_u32(file, kHeaderLengthAt, header_length(file) + 1);
  reseal(file);
  CHECK(read_code(file) == ErrorCode::kCorrupt);
  // A varint that never ends runs past the header.
  file = small_file();
  for (size_t k = dim_at; k < header_length(file) - 4; ++k) file[k] = 0xFF;
  reseal(file);
  CHECK(read_code(file) == ErrorCode::kCorrupt);
}

TEST_CASE("ReadsVersion1And2Files", "[container][golden]") {
  // corpus/sample-v1.fct and sample-v2.fct are the golden sample as versions 1 (fixed-width size
  // fields) and 2 (varints, no contexts) wrote it: both still read, decode to the same symbols as
  // the current sample, and rewrite as the same version-3 file, which lacks only the contexts.
  const Bytes current = test::make_sample_fct();
  auto reference = test::decode_sample_fct(current.data(), current.size());
  REQUIRE(reference.ok());
  Bytes rewritten[2];
  for (int version : {1, 2}) {
    INFO("version " << version);
    const Bytes old = test::read_source_file("corpus/sample-v" + std::to_string(version) + ".fct");
    REQUIRE(old.size() > 10);
    CHECK(old[8] == version);
    auto old_file = read_fct(old.data(), old.size());
    REQUIRE(old_file.ok());
    CHECK(old_file->header.version == version);
    for (const FactorEntry& f : old_file->header.factors) CHECK(f.context.empty());
    auto decoded = test::decode_sample_fct(old.data(), old.size());
    REQUIRE(decoded.ok());
    CHECK(*decoded == *reference);
    rewritten[version - 1] = write_fct(old_file->header, old_file->streams).value();
    CHECK(rewritten[version - 1][8] == kFctVersion);
  }
  CHECK(rewritten[0] == rewritten[1]);
  auto without = read_fct(current.data(), current.size()).value();
  for (FactorEntry& f : without.header.factors) f.context.clear();
  CHECK(write_fct(without.header, without.streams).value() == rewritten[0]);
}

TEST_CASE("ContextRoundTripsAndIsChecked", "[container]") {
  const Bytes current = test::make_sample_fct();
  auto file = read_fct(current.data(), current.size());
  REQUIRE(file.ok());
  const int s1 = file->header.find("structure.1");
  REQUIRE(s1 >= 0);
  CHECK(file->header.factors[s1].context == std::vector<std::string>{"hyper", "structure.0"});
  CHECK(file->header.factors[file->header.find("hyper")].context.empty());
  // A writer refuses a context that names a later or unknown stream, or is out of order.
  for (std::vector<std::string> bad : {std::vector<std::string>{"alpha"}, {"nonexistent"}, {"structure.0", "hyper"}}) {
    FctFile copy = *file;
    copy.header.factors[s1].context = bad;
    CHECK(write_fct(copy.header, copy.streams).status().code() == ErrorCode::kInvalidArgument);
  }
  // A reader refuses an index that is not an earlier entry: structure.1's context bytes (count 2,
  // then hyper's index 1 and structure.0's 2 in the sample's table) made to name itself (3).
  Bytes damaged = current;
  const uint8_t wanted[] = {2, 1, 2};
  auto at = std::search(damaged.begin(), damaged.end(), std::begin(wanted), std::end(wanted));
  REQUIRE(at != damaged.end());
  at[2] = 3;  // structure.1 itself
  reseal(damaged);
  CHECK(read_code(damaged) == ErrorCode::kCorrupt);
}

TEST_CASE("ReaderRejectsTrailingBytes", "[container]") {
  Bytes file = small_file();
  file.push_back(0);
  CHECK(read_code(file) == ErrorCode::kTrailingBytes);
  // A payload longer than its streams.
  file = small_file();
  file.push_back(0);
  put_u64(file, kPayloadLengthAt, 8);
  reseal(file);
  CHECK(read_code(file) == ErrorCode::kTrailingBytes);
}

TEST_CASE("ReaderRejectsHeaderLengthMismatch", "[container]") {
  Bytes file = small_file();
  const uint32_t length = header_length(file);
  // Claim a longer header: bytes of the payload become unused header bytes.
  put_u32(file, kHeaderLengthAt, length + 4);
  put_u64(file, kPayloadLengthAt, 3);
  reseal(file);
  CHECK(read_code(file) == ErrorCode::kCorrupt);
  file = small_file();
  put_u32(file, kHeaderLengthAt, 10);
  CHECK(read_code(file) == ErrorCode::kCorrupt);
}

TEST_CASE("PlainStreamsRoundtrip", "[container]") {
  FactorEntry raw{"r", FactorKind::kAux, StreamCoder::kRaw, ElementType::kU16, {3}, 1.0f};
  const Bytes elements = {1, 2, 3, 4, 5, 6};
  CHECK(decode_plain_stream(raw, encode_plain_stream(raw, elements).value()).value() == elements);
  FactorEntry packed = raw;
  packed.coder = StreamCoder::kZstd;
  CHECK(decode_plain_stream(packed, encode_plain_stream(packed, elements).value()).value() == elements);
  CHECK(decode_plain_stream(raw, Bytes{1, 2}).status().code() == ErrorCode::kCorrupt);
  packed.shape = {4};  // more elements than the frame holds
  CHECK_FALSE(decode_plain_stream(packed, encode_plain_stream(raw, elements).value()).ok());
}

TEST_CASE("AlphaStreamRoundtrip", "[container]") {
  for (uint8_t depth : {8, 16}) {
    Image image = make_image(5, 3, 2, depth).value();
    for (size_t i = 0; i < image.samples.size(); ++i) image.samples[i] = uint16_t(i * 977 % image.max_value());
    FactorEntry entry;
    Bytes stream;
    REQUIRE(make_alpha_stream(image, &entry, &stream).ok());
    Image out = make_image(5, 3, 2, depth).value();
    REQUIRE(apply_alpha_stream(entry, stream, &out).ok());
    for (size_t p = 0; p < 15; ++p) CHECK(out.samples[2 * p + 1] == image.samples[2 * p + 1]);
  }
}

TEST_CASE("SampleFileDecodes", "[container]") {
  const Bytes file = test::make_sample_fct();
  auto decoded = test::decode_sample_fct(file.data(), file.size());
  INFO(decoded.status().to_string());
  REQUIRE(decoded.ok());
  CHECK(decoded->symbols.size() == 4);
  CHECK(decoded->symbols[0] == std::vector<int32_t>{3, -2, 0, 1, 40, -1});
}

TEST_CASE("CorpusSampleIsTheGoldenSample", "[container][golden]") {
  // corpus/sample.fct pins the format: a change that alters it must be a deliberate version
  // change (regenerate with FACET_REGENERATE_GOLDEN=1 and log it in FORMAT.md).
  const Bytes generated = test::make_sample_fct();
  if (std::getenv("FACET_REGENERATE_GOLDEN")) {
    FILE* f = std::fopen(test::source_path("corpus/sample.fct").c_str(), "wb");
    REQUIRE(f);
    std::fwrite(generated.data(), 1, generated.size(), f);
    std::fclose(f);
  }
  CHECK(test::read_source_file("corpus/sample.fct") == generated);
}

}  // namespace
}  // namespace facet
