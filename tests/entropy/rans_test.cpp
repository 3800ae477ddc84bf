// rANS round trips (named edge cases, escapes, random tables) and the decoder's damage checks.
#include <catch2/catch.hpp>

#include <cmath>

#include "entropy/dec_rans.h"
#include "entropy/enc_rans.h"
#include "entropy/gaussian_tables.h"
#include "test_support.h"

namespace facet {
namespace {

CdfTableSet make_tables(const std::vector<QuantizedCdf>& tables) {
  auto set = CdfTableSet::create(tables);
  REQUIRE(set.ok());
  return std::move(set).value();
}

CdfTableSet random_tables(test::Rng& rng, int count) {
  std::vector<QuantizedCdf> tables;
  for (int t = 0; t < count; ++t) {
    const size_t n = 1 + rng.below(t % 3 == 0 ? 300 : 12);
    std::vector<double> pmf(n);
    for (auto& p : pmf) p = std::pow(rng.uniform(), 4.0) + (rng.uniform() < 0.1 ? 0.0 : 1e-7);
    auto q = quantize_pmf(pmf, 1e-4, int32_t(rng.below(41)) - 20 - int32_t(n / 2));
    REQUIRE(q.ok());
    tables.push_back(*q);
  }
  return make_tables(tables);
}

std::vector<int32_t> round_trip(const std::vector<int32_t>& values, const std::vector<int32_t>& indexes,
                                const CdfTableSet& tables, Bytes* stream_out = nullptr) {
  auto stream = encode_with_indexes(values.data(), indexes.data(), values.size(), tables);
  REQUIRE(stream.ok());
  std::vector<int32_t> decoded(values.size(), 12345);
  Status status = decode_with_indexes(stream->data(), stream->size(), indexes.data(), indexes.size(),
                                      tables, decoded.data());
  INFO(status.to_string());
  REQUIRE(status.ok());
  if (stream_out) *stream_out = *stream;
  return decoded;
}

TEST_CASE("EmptyRoundtrip", "[rans]") {
  auto tables = make_tables({*quantize_pmf({0.5, 0.5}, 0.01, 0)});
  Bytes stream;
  CHECK(round_trip({}, {}, tables, &stream).empty());
  CHECK(stream.size() == 8);  // just the state
}

TEST_CASE("SingleSymbolRoundtrip", "[rans]") {
  auto tables = make_tables({*quantize_pmf({0.2, 0.8}, 0.01, -1)});
  for (int32_t v : {-1, 0, 5, -7}) {
    CHECK(round_trip({v}, {0}, tables) == std::vector<int32_t>{v});
  }
}

TEST_CASE("SkewedSourceRoundtripIsCompact", "[rans]") {
  // p(0) = 0.999: 100k symbols should cost about 100k * 0.0114 bits.
  auto tables = make_tables({*quantize_pmf({0.999, 0.001}, 1e-9, 0)});
  test::Rng rng(7);
  std::vector<int32_t> values(100000), indexes(100000, 0);
  for (auto& v : values) v = rng.uniform() < 0.001 ? 1 : 0;
  Bytes stream;
  CHECK(round_trip(values, indexes, tables, &stream) == values);
  CHECK(stream.size() < 220);
}

TEST_CASE("EscapesRoundtripAnyInt32", "[rans]") {
  auto tables = make_tables({*quantize_pmf({0.25, 0.5, 0.25}, 1e-3, -1)});
  std::vector<int32_t> values = {INT32_MIN, INT32_MAX, -2, 2, 0, 1, -1, 65535, -65536, 1 << 20,
                                 INT32_MIN + 1, INT32_MAX - 1, 17, -17};
  test::Rng rng(3);
  for (int i = 0; i < 2000; ++i) values.push_back(int32_t(uint32_t(rng.next())));
  std::vector<int32_t> indexes(values.size(), 0);
  CHECK(round_trip(values, indexes, tables) == values);
}

TEST_CASE("RandomTablesRoundtrip", "[rans]") {
  test::Rng rng(11);
  for (int trial = 0; trial < 50; ++trial) {
    auto tables = random_tables(rng, 1 + int(rng.below(20)));
    const size_t count = rng.below(5000);
    std::vector<int32_t> values(count), indexes(count);
    for (size_t i = 0; i < count; ++i) {
      indexes[i] = int32_t(rng.below(tables.table_count()));
      const int32_t lo = tables.offset(indexes[i]);
      const int32_t n = int32_t(tables.symbol_count(indexes[i]));
      // Mostly in range, sometimes just outside, sometimes far away.
      const double u = rng.uniform();
      values[i] = u < 0.9 ? lo + int32_t(rng.below(n - 1)) : u < 0.97 ? lo - 1 - int32_t(rng.below(3))
                                                                      : int32_t(uint32_t(rng.next()));
    }
    REQUIRE(round_trip(values, indexes, tables) == values);
  }
}

TEST_CASE("GaussianConditionalRoundtrip", "[rans][gaussian]") {
  const auto scales = make_scale_table();
  auto tables = make_gaussian_cdf_tables(scales);
  REQUIRE(tables.ok());
  test::Rng rng(5);
  std::vector<int32_t> values(20000), indexes(20000);
  for (size_t i = 0; i < values.size(); ++i) {
    const float sigma = float(std::exp(rng.uniform() * 6.0 - 2.5));
    indexes[i] = int32_t(scale_index(scales, sigma));
    values[i] = int32_t(std::lround(rng.normal() * sigma * (i % 100 == 0 ? 50 : 1)));
  }
  CHECK(round_trip(values, indexes, *tables) == values);
}

TEST_CASE("BypassBitsRoundtrip", "[rans]") {
  RansEncoder encoder;
  test::Rng rng(9);
  std::vector<std::pair<uint32_t, int>> fields;
  for (int i = 0; i < 1000; ++i) {
    const int bits = int(rng.below(17));
    const uint32_t value = bits == 0 ? 0 : uint32_t(rng.next()) & ((1u << bits) - 1);
    fields.push_back({value, bits});
    encoder.put_bits(value, bits);
  }
  Bytes stream = encoder.finish();
  RansDecoder decoder;
  REQUIRE(decoder.init(stream.data(), stream.size()).ok());
  for (auto [value, bits] : fields) REQUIRE(decoder.get_bits(bits) == value);
  CHECK(decoder.finish().ok());
}

TEST_CASE("DecoderRejectsBadIndexes", "[rans]") {
  auto tables = make_tables({*quantize_pmf({0.5, 0.5}, 0.01, 0)});
  int32_t values[2] = {0, 1};
  int32_t bad_indexes[2] = {0, 1};
  CHECK(encode_with_indexes(values, bad_indexes, 2, tables).status().code() ==
        ErrorCode::kInvalidArgument);
  int32_t good_indexes[2] = {0, 0};
  auto stream = encode_with_indexes(values, good_indexes, 2, tables);
  REQUIRE(stream.ok());
  int32_t out[2];
  int32_t negative[2] = {0, -1};
  CHECK(decode_with_indexes(stream->data(), stream->size(), negative, 2, tables, out).code() ==
        ErrorCode::kInvalidArgument);
}

TEST_CASE("DecoderDetectsTruncationAndCorruption", "[rans]") {
  const auto scales = make_scale_table();
  auto tables = make_gaussian_cdf_tables(scales);
  REQUIRE(tables.ok());
  test::Rng rng(13);
  std::vector<int32_t> values(3000), indexes(3000);
  for (size_t i = 0; i < values.size(); ++i) {
    indexes[i] = int32_t(rng.below(40));
    values[i] = int32_t(std::lround(rng.normal() * scales[indexes[i]]));
  }
  auto stream = encode_with_indexes(values.data(), indexes.data(), values.size(), *tables);
  REQUIRE(stream.ok());
  std::vector<int32_t> out(values.size());

  // Every truncation is an error (state missing, words missing, or a final-state mismatch).
  for (size_t cut = 0; cut < stream->size(); ++cut) {
    Status status = decode_with_indexes(stream->data(), cut, indexes.data(), indexes.size(), *tables,
                                        out.data());
    REQUIRE_FALSE(status.ok());
  }
  // Extra bytes are an error.
  Bytes longer = *stream;
  longer.push_back(0);
  CHECK(decode_with_indexes(longer.data(), longer.size(), indexes.data(), indexes.size(), *tables,
                            out.data())
            .code() == ErrorCode::kCorrupt);
  // Single-byte corruption: detected in nearly all cases, never a crash; an undetected one must
  // still give a decode (possibly different values) without leaving the buffer.
  int detected = 0, total = 0;
  for (size_t pos = 0; pos < stream->size(); pos += 3) {
    Bytes damaged = *stream;
    damaged[pos] ^= uint8_t(1 + rng.below(255));
    ++total;
    if (!decode_with_indexes(damaged.data(), damaged.size(), indexes.data(), indexes.size(),
                             *tables, out.data())
             .ok())
      ++detected;
  }
  CHECK(detected >= total * 95 / 100);
}

TEST_CASE("DecoderRejectsNonCanonicalStreams", "[rans]") {
  // Found by fuzzing: streams that decode to values whose encoding is a different stream.
  auto tables = make_tables({*quantize_pmf({0.25, 0.5, 0.25}, 1e-3, -1)});
  int32_t out[2];
  const int32_t indexes[2] = {0, 0};
  // An initial state of 2^63 is above every state an encoder can end in.
  const Bytes high_state = {0, 0, 0, 0, 0, 0, 0, 0x80};
  CHECK(decode_with_indexes(high_state.data(), high_state.size(), indexes, 2, tables, out).code() ==
        ErrorCode::kCorrupt);
  // An escape carrying a value the table codes directly (0), or with a longer length than needed.
  for (int length : {2, 3}) {
    RansEncoder encoder;
    const uint32_t* cdf = tables.cdf(0);
    encoder.put(cdf[3], cdf[4] - cdf[3]);  // the escape symbol
    encoder.put_bits(uint32_t(length), 6);
    encoder.put_bits(length == 2 ? 0u : 2u, length);  // zigzag 0 -> 0; zigzag 1 -> 2 in 3 bits
    Bytes stream = encoder.finish();
    int32_t value;
    const int32_t index = 0;
    CHECK(decode_with_indexes(stream.data(), stream.size(), &index, 1, tables, &value).code() ==
          ErrorCode::kCorrupt);
  }
}

TEST_CASE("ZigzagCoversInt32", "[rans]") {
  for (int32_t v : {0, 1, -1, 2, -2, INT32_MAX, INT32_MIN, 123456, -123456}) {
    CHECK(rans::zigzag_decode(rans::zigzag_encode(v)) == v);
  }
  CHECK(rans::zigzag_encode(0) == 0);
  CHECK(rans::zigzag_encode(-1) == 1);
  CHECK(rans::zigzag_encode(1) == 2);
}

}  // namespace
}  // namespace facet
