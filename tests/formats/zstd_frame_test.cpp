// Tests of the zstd frame wrapper of weights files and streams (formats/zstd_frame.h).
#include "formats/zstd_frame.h"

#include <catch2/catch.hpp>
#include <zstd.h>

#include <cstring>
#include <string>
#include <vector>

#include "formats/safetensors.h"
#include "tests/test_support.h"

namespace facet {
namespace {

TEST_CASE("zstd: round trip of small, empty and multi-block buffers", "[zstd]") {
  test::Rng rng(1);
  for (size_t size : {size_t{0}, size_t{1}, size_t{1000}, size_t{300000}}) {
    INFO("size " << size);
    Bytes data = test::compressible_bytes(size, rng);
    StatusOr<Bytes> compressed = zstd_compress(data.data(), data.size(), 3);
    REQUIRE(compressed.ok());
    CHECK(has_zstd_magic(compressed->data(), compressed->size()));
    StatusOr<Bytes> restored = zstd_decompress(compressed->data(), compressed->size(), size);
    REQUIRE(restored.ok());
    CHECK(*restored == data);
    StatusOr<Bytes> with_expected =
        zstd_decompress(compressed->data(), compressed->size(), UINT64_MAX, size);
    REQUIRE(with_expected.ok());
    CHECK(*with_expected == data);
  }
  Bytes random = test::random_bytes(5000, rng);  // incompressible: stored in raw blocks
  StatusOr<Bytes> compressed = zstd_compress(random.data(), random.size(), 19);
  REQUIRE(compressed.ok());
  StatusOr<Bytes> restored = zstd_decompress(compressed->data(), compressed->size(), 1 << 20);
  REQUIRE(restored.ok());
  CHECK(*restored == random);
}

TEST_CASE("zstd: magic detection", "[zstd]") {
  const uint8_t magic[] = {0x28, 0xB5, 0x2F, 0xFD, 0x00};
  CHECK(has_zstd_magic(magic, 4));
  CHECK(has_zstd_magic(magic, 5));
  CHECK_FALSE(has_zstd_magic(magic, 3));
  CHECK_FALSE(has_zstd_magic(magic, 0));
  const uint8_t other[] = {0x28, 0xB5, 0x2F, 0xFE};
  CHECK_FALSE(has_zstd_magic(other, 4));
}

TEST_CASE("zstd: concatenated frames decode to the concatenation", "[zstd]") {
  test::Rng rng(2);
  Bytes first = test::compressible_bytes(7000, rng), second = test::compressible_bytes(9000, rng);
  StatusOr<Bytes> a = zstd_compress(first.data(), first.size(), 1);
  StatusOr<Bytes> b = zstd_compress(second.data(), second.size(), 1);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  Bytes frames = *a;
  frames.insert(frames.end(), b->begin(), b->end());
  Bytes expected = first;
  expected.insert(expected.end(), second.begin(), second.end());
  StatusOr<Bytes> restored = zstd_decompress(frames.data(), frames.size(), expected.size());
  REQUIRE(restored.ok());
  CHECK(*restored == expected);
  CHECK(zstd_decompress(frames.data(), frames.size(), expected.size() - 1).status().code() ==
        ErrorCode::kLimitExceeded);
}

TEST_CASE("zstd: output over the limit is refused", "[zstd]") {
  test::Rng rng(3);
  Bytes data = test::compressible_bytes(200000, rng);
  StatusOr<Bytes> compressed = zstd_compress(data.data(), data.size(), 3);
  REQUIRE(compressed.ok());
  CHECK(zstd_decompress(compressed->data(), compressed->size(), data.size()).ok());
  for (uint64_t limit : {uint64_t{0}, uint64_t{1}, uint64_t{65536}, uint64_t{data.size() - 1}}) {
    INFO("limit " << limit);
    CHECK(zstd_decompress(compressed->data(), compressed->size(), limit).status().code() ==
          ErrorCode::kLimitExceeded);
  }
}

TEST_CASE("zstd: limit holds for frames that do not declare their size", "[zstd]") {
  test::Rng rng(4);
  Bytes data = test::compressible_bytes(150000, rng);
  // Streaming compression without a pledged size leaves the content size out of the header.
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  REQUIRE(cctx != nullptr);
  Bytes frame(ZSTD_compressBound(data.size()) + 64);
  ZSTD_outBuffer out{frame.data(), frame.size(), 0};
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  size_t rc = ZSTD_compressStream2(cctx, &out, &in, ZSTD_e_continue);
  REQUIRE_FALSE(ZSTD_isError(rc));
  rc = ZSTD_compressStream2(cctx, &out, &in, ZSTD_e_end);
  ZSTD_freeCCtx(cctx);
  REQUIRE(rc == 0);
  frame.resize(out.pos);
  REQUIRE(ZSTD_getFrameContentSize(frame.data(), frame.size()) == ZSTD_CONTENTSIZE_UNKNOWN);

  StatusOr<Bytes> restored = zstd_decompress(frame.data(), frame.size(), data.size());
  REQUIRE(restored.ok());
  CHECK(*restored == data);
  CHECK(zstd_decompress(frame.data(), frame.size(), 100000).status().code() ==
        ErrorCode::kLimitExceeded);
}

TEST_CASE("zstd: a header claiming a huge size is not trusted for allocation", "[zstd]") {
  test::Rng rng(5);
  Bytes data = test::compressible_bytes(70000, rng);  // needs a 4-byte Frame_Content_Size field
  StatusOr<Bytes> compressed = zstd_compress(data.data(), data.size(), 3);
  REQUIRE(compressed.ok());
  Bytes frame = *compressed;
  // Frame header (RFC 8878 3.1.1.1): magic, descriptor, [window], [dictionary id], content size.
  const uint8_t descriptor = frame[4];
  const int size_flag = descriptor >> 6;
  const bool single_segment = (descriptor >> 5) & 1;
  const int dictionary_id_bytes[] = {0, 1, 2, 4};
  size_t content_size_at = 5 + (single_segment ? 0 : 1) + dictionary_id_bytes[descriptor & 3];
  REQUIRE(size_flag == 2);
  for (int i = 0; i < 4; ++i) frame[content_size_at + i] = 0xFF;  // claims 4 GiB
  StatusOr<Bytes> restored = zstd_decompress(frame.data(), frame.size(), kMaxWeightsFileBytes);
  REQUIRE_FALSE(restored.ok());
  ErrorCode code = restored.status().code();
  CHECK((code == ErrorCode::kCorrupt || code == ErrorCode::kLimitExceeded));
}

TEST_CASE("zstd: windows beyond the decoder's bound are refused", "[zstd]") {
  Bytes data(1000, 'x');
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  REQUIRE(cctx != nullptr);
  REQUIRE_FALSE(ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_windowLog, 30)));
  Bytes frame(ZSTD_compressBound(data.size()) + 64);
  ZSTD_outBuffer out{frame.data(), frame.size(), 0};
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  size_t rc = ZSTD_compressStream2(cctx, &out, &in, ZSTD_e_continue);
  REQUIRE_FALSE(ZSTD_isError(rc));
  rc = ZSTD_compressStream2(cctx, &out, &in, ZSTD_e_end);
  ZSTD_freeCCtx(cctx);
  REQUIRE(rc == 0);
  frame.resize(out.pos);
  CHECK(zstd_decompress(frame.data(), frame.size(), 1 << 20).status().code() ==
        ErrorCode::kLimitExceeded);
}

TEST_CASE("zstd: empty input and frames cut short are truncated", "[zstd]") {
  CHECK(zstd_decompress(nullptr, 0, 100).status().code() == ErrorCode::kTruncated);
  test::Rng rng(6);
  Bytes data = test::compressible_bytes(3000, rng);
  StatusOr<Bytes> compressed = zstd_compress(data.data(), data.size(), 3);
  REQUIRE(compressed.ok());
  for (size_t size = 1; size < compressed->size(); ++size) {
    INFO("prefix of " << size << " of " << compressed->size() << " bytes");
    Bytes prefix(compressed->begin(), compressed->begin() + size);
    CHECK(zstd_decompress(prefix.data(), prefix.size(), 1 << 20).status().code() ==
          ErrorCode::kTruncated);
  }
}

TEST_CASE("zstd: damaged frames and trailing garbage are corrupt", "[zstd]") {
  // Valid magic, then a frame descriptor with its reserved bit set.
  Bytes reserved_bit = {0x28, 0xB5, 0x2F, 0xFD, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00};
  CHECK(zstd_decompress(reserved_bit.data(), reserved_bit.size(), 1 << 20).status().code() ==
        ErrorCode::kCorrupt);
  Bytes not_zstd = {'n', 'o', 't', ' ', 'z', 's', 't', 'd'};
  CHECK(zstd_decompress(not_zstd.data(), not_zstd.size(), 1 << 20).status().code() ==
        ErrorCode::kCorrupt);

  test::Rng rng(8);
  Bytes data = test::compressible_bytes(3000, rng);
  StatusOr<Bytes> compressed = zstd_compress(data.data(), data.size(), 3);
  REQUIRE(compressed.ok());
  Bytes with_garbage = *compressed;
  for (uint8_t b : {'j', 'u', 'n', 'k', '!', '!', '!', '!'}) with_garbage.push_back(b);
  CHECK(zstd_decompress(with_garbage.data(), with_garbage.size(), 1 << 20).status().code() ==
        ErrorCode::kCorrupt);

  // A block header whose type is the reserved value 3.
  Bytes bad_block = *compressed;
  const uint8_t descriptor = bad_block[4];
  const bool single_segment = (descriptor >> 5) & 1;
  const int content_size_bytes[] = {single_segment ? 1 : 0, 2, 4, 8};
  size_t block_at = 5 + (single_segment ? 0 : 1) + content_size_bytes[descriptor >> 6];
  REQUIRE((descriptor & 3) == 0);  // no dictionary id
  bad_block[block_at] |= 0x06;
  CHECK(zstd_decompress(bad_block.data(), bad_block.size(), 1 << 20).status().code() ==
        ErrorCode::kCorrupt);
}

TEST_CASE("zstd: output of the wrong expected size is corrupt", "[zstd]") {
  test::Rng rng(9);
  Bytes data = test::compressible_bytes(5000, rng);
  StatusOr<Bytes> compressed = zstd_compress(data.data(), data.size(), 3);
  REQUIRE(compressed.ok());
  CHECK(zstd_decompress(compressed->data(), compressed->size(), 1 << 20, data.size()).ok());
  CHECK(zstd_decompress(compressed->data(), compressed->size(), 1 << 20, data.size() + 1)
            .status()
            .code() == ErrorCode::kCorrupt);
  CHECK(zstd_decompress(compressed->data(), compressed->size(), 1 << 20, data.size() - 1)
            .status()
            .code() == ErrorCode::kCorrupt);
  CHECK(zstd_decompress(compressed->data(), compressed->size(), 1 << 20, 0).status().code() ==
        ErrorCode::kCorrupt);
  // Within the limit, too long for expected_size is corrupt; past the limit it is a limit error.
  CHECK(zstd_decompress(compressed->data(), compressed->size(), 100, 50).status().code() ==
        ErrorCode::kCorrupt);
  CHECK(zstd_decompress(compressed->data(), compressed->size(), 100, 200).status().code() ==
        ErrorCode::kLimitExceeded);
}

}  // namespace
}  // namespace facet
