// Tests of the safetensors reader/writer (the zstd frame wrapper: zstd_frame_test.cpp).
//
// Files written here must stay readable by Python's safetensors; to cross-check one by hand:
//   python3 -c "import sys; from safetensors.numpy import load_file; [print(k, v.dtype, v.shape, v.ravel()[:4]) for k, v in load_file(sys.argv[1]).items()]" weights.safetensors
// (numpy has no bfloat16: for files holding BF16 use safetensors.torch.load_file instead, and
// safetensors.safe_open(path, "np").metadata() for the __metadata__ strings).
#include "formats/safetensors.h"

#include <catch2/catch.hpp>
#include <zstd.h>

#include <cstring>
#include <string>
#include <vector>

#include "formats/zstd_frame.h"
#include "tests/test_support.h"

namespace facet {
namespace {

Bytes f32_bytes(std::initializer_list<float> values) {
  Bytes out;
  ByteWriter writer(&out);
  for (float v : values) writer.f32(v);
  return out;
}

TensorData make_tensor(TensorDtype dtype, std::vector<int64_t> shape, test::Rng& rng) {
  TensorData tensor;
  tensor.dtype = dtype;
  tensor.shape = std::move(shape);
  tensor.data = test::random_bytes(static_cast<size_t>(tensor.element_count()) * dtype_size(dtype), rng);
  if (dtype == TensorDtype::kBool) {
    for (uint8_t& b : tensor.data) b &= 1;  // torch and numpy only read 0/1 as booleans
  }
  return tensor;
}

// A safetensors file from a hand-written header (unpadded: readers must not require padding).
Bytes raw_file(const std::string& header_json, const Bytes& buffer) {
  Bytes out;
  ByteWriter writer(&out);
  writer.u64(header_json.size());
  writer.bytes(header_json);
  writer.bytes(buffer.data(), buffer.size());
  return out;
}

ErrorCode decode_code(const Bytes& file) {
  return decode_safetensors(file.data(), file.size()).status().code();
}

ErrorCode decode_code(const std::string& header_json, const Bytes& buffer) {
  return decode_code(raw_file(header_json, buffer));
}

void require_same_tensor_file(const TensorFile& actual, const TensorFile& expected) {
  REQUIRE(actual.metadata == expected.metadata);
  REQUIRE(actual.tensors.size() == expected.tensors.size());
  for (const auto& [name, tensor] : expected.tensors) {
    INFO("tensor " << name);
    auto it = actual.tensors.find(name);
    REQUIRE(it != actual.tensors.end());
    CHECK(it->second.dtype == tensor.dtype);
    CHECK(it->second.shape == tensor.shape);
    CHECK(it->second.data == tensor.data);
  }
}

// One tensor of every dtype, including a scalar and an empty tensor, plus metadata.
TensorFile sample_file() {
  test::Rng rng(20240611);
  TensorFile file;
  file.tensors["encoder.conv0.weight"] = make_tensor(TensorDtype::kF32, {4, 3, 3, 3}, rng);
  file.tensors["encoder.conv0.bias"] = make_tensor(TensorDtype::kF16, {4}, rng);
  file.tensors["hyper.bf16"] = make_tensor(TensorDtype::kBF16, {2, 5}, rng);
  file.tensors["scale"] = make_tensor(TensorDtype::kF64, {}, rng);
  file.tensors["steps"] = make_tensor(TensorDtype::kI64, {3}, rng);
  file.tensors["indices"] = make_tensor(TensorDtype::kI32, {2, 2}, rng);
  file.tensors["i16"] = make_tensor(TensorDtype::kI16, {3, 1}, rng);
  file.tensors["i8"] = make_tensor(TensorDtype::kI8, {5}, rng);
  file.tensors["u8"] = make_tensor(TensorDtype::kU8, {7}, rng);
  file.tensors["mask"] = make_tensor(TensorDtype::kBool, {2, 3}, rng);
  file.tensors["empty"] = make_tensor(TensorDtype::kF32, {0, 4}, rng);
  file.metadata["format"] = "pt";
  file.metadata["facet.model"] = "factorized-v1";
  return file;
}

// ---- writer and reader agree ----

TEST_CASE("safetensors: round trip of every dtype, a scalar, an empty tensor and metadata",
          "[safetensors]") {
  TensorFile file = sample_file();
  CHECK(file.tensors["scale"].element_count() == 1);
  CHECK(file.tensors["empty"].element_count() == 0);
  CHECK(file.tensors["empty"].data.empty());

  StatusOr<Bytes> encoded = encode_safetensors(file);
  REQUIRE(encoded.ok());
  ByteReader reader(encoded->data(), encoded->size());
  uint64_t header_size = reader.u64();
  CHECK(header_size % 8 == 0);
  CHECK(encoded->at(8) == '{');

  StatusOr<TensorFile> decoded = decode_safetensors(encoded->data(), encoded->size());
  REQUIRE(decoded.ok());
  require_same_tensor_file(*decoded, file);

  // Re-encoding what was read gives the same bytes: the layout is a function of the content.
  StatusOr<Bytes> reencoded = encode_safetensors(*decoded);
  REQUIRE(reencoded.ok());
  CHECK(*reencoded == *encoded);
}

TEST_CASE("safetensors: every tensor's data is aligned to its element size", "[safetensors]") {
  // Name order alone would put the 3-byte U8 tensor "a" before the F32 "b" at offset 3.
  TensorFile file;
  file.tensors["a"] = TensorData{TensorDtype::kU8, {3}, Bytes{1, 2, 3}};
  file.tensors["b"] = TensorData{TensorDtype::kF32, {2}, f32_bytes({1.0f, 2.0f})};
  file.tensors["c"] = TensorData{TensorDtype::kF16, {1}, Bytes{0, 60}};
  StatusOr<Bytes> encoded = encode_safetensors(file);
  REQUIRE(encoded.ok());
  const std::string text(encoded->begin() + 8, encoded->end());
  CHECK(text.find(R"("b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})") != std::string::npos);
  CHECK(text.find(R"("c":{"dtype":"F16","shape":[1],"data_offsets":[8,10]})") != std::string::npos);
  CHECK(text.find(R"("a":{"dtype":"U8","shape":[3],"data_offsets":[10,13]})") != std::string::npos);
  StatusOr<TensorFile> decoded = decode_safetensors(encoded->data(), encoded->size());
  REQUIRE(decoded.ok());
  require_same_tensor_file(*decoded, file);
}

TEST_CASE("safetensors: a file with no tensors and no metadata", "[safetensors]") {
  StatusOr<Bytes> encoded = encode_safetensors(TensorFile{});
  REQUIRE(encoded.ok());
  // "{}" padded to 8 bytes.
  Bytes expected = {8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' '};
  CHECK(*encoded == expected);
  StatusOr<TensorFile> decoded = decode_safetensors(encoded->data(), encoded->size());
  REQUIRE(decoded.ok());
  CHECK(decoded->tensors.empty());
  CHECK(decoded->metadata.empty());
}

TEST_CASE("safetensors: zstd-wrapped weights file round trip", "[safetensors][zstd]") {
  TensorFile file = sample_file();
  StatusOr<Bytes> compressed = encode_weights_file(file, /*zstd_compress=*/true);
  REQUIRE(compressed.ok());
  REQUIRE(compressed->size() >= 4);
  CHECK((*compressed)[0] == 0x28);
  CHECK((*compressed)[1] == 0xB5);
  CHECK((*compressed)[2] == 0x2F);
  CHECK((*compressed)[3] == 0xFD);
  CHECK(has_zstd_magic(compressed->data(), compressed->size()));

  StatusOr<Bytes> plain = encode_weights_file(file, /*zstd_compress=*/false);
  REQUIRE(plain.ok());
  CHECK_FALSE(has_zstd_magic(plain->data(), plain->size()));
  StatusOr<Bytes> direct = encode_safetensors(file);
  REQUIRE(direct.ok());
  CHECK(*plain == *direct);

  // The frame holds exactly the plain safetensors bytes.
  StatusOr<Bytes> unwrapped = zstd_decompress(compressed->data(), compressed->size(),
                                              kMaxWeightsFileBytes);
  REQUIRE(unwrapped.ok());
  CHECK(*unwrapped == *plain);

  StatusOr<TensorFile> from_compressed = decode_weights_file(compressed->data(), compressed->size());
  REQUIRE(from_compressed.ok());
  require_same_tensor_file(*from_compressed, file);
  StatusOr<TensorFile> from_plain = decode_weights_file(plain->data(), plain->size());
  REQUIRE(from_plain.ok());
  require_same_tensor_file(*from_plain, file);
}

TEST_CASE("safetensors: the selected tensors of a plain or zstd-wrapped file, from a prefix", "[safetensors][zstd]") {
  // A large F16 tensor after small 4-byte ones (the writer puts larger elements first), as in a
  // model whose entropy tables (I32) lead its F16 weights.
  test::Rng rng(77);
  TensorFile file;
  file.tensors["tables.a"] = make_tensor(TensorDtype::kI32, {3, 5}, rng);
  file.tensors["tables.b"] = make_tensor(TensorDtype::kF32, {4}, rng);
  file.tensors["weights"] = make_tensor(TensorDtype::kF16, {512, 1024}, rng);
  file.metadata["facet.format"] = "test";
  const TensorSelector tables = [](const std::string& name) { return name.rfind("tables.", 0) == 0; };
  TensorFile expected = file;
  expected.tensors.erase("weights");

  StatusOr<Bytes> plain = encode_weights_file(file, false);
  StatusOr<Bytes> compressed = encode_weights_file(file, true, 1);
  REQUIRE(plain.ok());
  REQUIRE(compressed.ok());
  for (const Bytes* bytes : {&*plain, &*compressed}) {
    StatusOr<TensorFile> selected = decode_weights_file_selected(bytes->data(), bytes->size(), tables);
    REQUIRE(selected.ok());
    require_same_tensor_file(*selected, expected);
  }

  // The tables end long before the weights; a prefix that holds them is enough, one byte less is not.
  StatusOr<uint64_t> needed = safetensors_prefix_needed(plain->data(), plain->size(), tables);
  REQUIRE(needed.ok());
  CHECK(*needed < 4096);
  CHECK(*needed + 512 * 1024 * 2 == plain->size());
  StatusOr<TensorFile> prefix = decode_safetensors_selected(plain->data(), size_t(*needed), tables);
  REQUIRE(prefix.ok());
  require_same_tensor_file(*prefix, expected);
  CHECK(decode_safetensors_selected(plain->data(), size_t(*needed) - 1, tables).status().code() ==
        ErrorCode::kTruncated);
  // Before the header is whole, the reader asks for more instead of failing.
  StatusOr<uint64_t> first = safetensors_prefix_needed(plain->data(), 4, tables);
  REQUIRE(first.ok());
  CHECK(*first == 8);
  StatusOr<uint64_t> header = safetensors_prefix_needed(plain->data(), 8, tables);
  REQUIRE(header.ok());
  CHECK(*header > 8);
  CHECK(*header < *needed);

  // A zstd frame cut inside the tables: truncated; cut after them: the tables still read.
  StatusOr<TensorFile> cut = decode_weights_file_selected(compressed->data(), 40, tables);
  CHECK_FALSE(cut.ok());
  // A damaged header inside the frame is as corrupt as in a whole read.
  Bytes broken = *plain;
  broken[10] = '!';
  StatusOr<Bytes> recompressed = zstd_compress(broken.data(), broken.size(), 1);
  REQUIRE(recompressed.ok());
  CHECK(decode_weights_file_selected(recompressed->data(), recompressed->size(), tables).status().code() ==
        ErrorCode::kCorrupt);
  // Selecting every tensor gives the whole file.
  StatusOr<TensorFile> all =
      decode_weights_file_selected(compressed->data(), compressed->size(), [](const std::string&) { return true; });
  REQUIRE(all.ok());
  require_same_tensor_file(*all, file);
}

TEST_CASE("safetensors: zstd-wrapped file with a damaged payload is rejected", "[safetensors]") {
  Bytes not_safetensors(100, 0xEE);
  StatusOr<Bytes> compressed = zstd_compress(not_safetensors.data(), not_safetensors.size(), 3);
  REQUIRE(compressed.ok());
  StatusOr<TensorFile> decoded = decode_weights_file(compressed->data(), compressed->size());
  CHECK(decoded.status().code() == ErrorCode::kLimitExceeded);  // 0xEEEE... as header length
}

// ---- the layout is pinned byte for byte ----

TEST_CASE("safetensors: one F32 tensor is laid out exactly as the spec says", "[safetensors]") {
  TensorFile file;
  file.tensors["w"].dtype = TensorDtype::kF32;
  file.tensors["w"].shape = {2};
  file.tensors["w"].data = f32_bytes({1.0f, 2.0f});

  // 54 bytes of compact JSON, padded with two spaces to 56 = 0x38.
  const std::string header =
      std::string(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})") + "  ";
  REQUIRE(header.size() == 56);
  Bytes expected = {0x38, 0, 0, 0, 0, 0, 0, 0};
  expected.insert(expected.end(), header.begin(), header.end());
  // 1.0f = 0x3F800000 and 2.0f = 0x40000000, little-endian.
  for (uint8_t b : {0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0x40}) expected.push_back(b);

  StatusOr<Bytes> encoded = encode_safetensors(file);
  REQUIRE(encoded.ok());
  CHECK(std::string(encoded->begin(), encoded->end()) ==
        std::string(expected.begin(), expected.end()));

  StatusOr<TensorFile> decoded = decode_safetensors(expected.data(), expected.size());
  REQUIRE(decoded.ok());
  require_same_tensor_file(*decoded, file);
}

TEST_CASE("safetensors: metadata comes first and tensors are sorted by name", "[safetensors]") {
  TensorFile file;
  file.tensors["b"].dtype = TensorDtype::kU8;
  file.tensors["b"].shape = {1};
  file.tensors["b"].data = {7};
  file.tensors["a"].dtype = TensorDtype::kI16;
  file.tensors["a"].shape = {};
  file.tensors["a"].data = {0x02, 0x01};
  file.metadata["k"] = "v";

  // 130 bytes of JSON, padded with six spaces to 136 = 0x88.
  const std::string header =
      std::string(R"({"__metadata__":{"k":"v"},)"
                  R"("a":{"dtype":"I16","shape":[],"data_offsets":[0,2]},)"
                  R"("b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}})") +
      "      ";
  REQUIRE(header.size() == 136);
  Bytes expected = {0x88, 0, 0, 0, 0, 0, 0, 0};
  expected.insert(expected.end(), header.begin(), header.end());
  for (uint8_t b : {0x02, 0x01, 0x07}) expected.push_back(b);

  StatusOr<Bytes> encoded = encode_safetensors(file);
  REQUIRE(encoded.ok());
  CHECK(std::string(encoded->begin(), encoded->end()) ==
        std::string(expected.begin(), expected.end()));
}

// ---- what the reader accepts beyond what the writer produces ----

TEST_CASE("safetensors: reader accepts unpadded headers, whitespace and any header order",
          "[safetensors]") {
  Bytes buffer = f32_bytes({1.0f, 2.0f, 3.0f});
  // "b" comes first in the data buffer although it comes second in the header.
  Bytes file = raw_file(R"(  {"a": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]},)"
                        R"( "b": {"data_offsets": [0, 8], "shape": [2], "dtype": "F32"}}   )",
                        buffer);
  StatusOr<TensorFile> parsed = decode_safetensors(file.data(), file.size());
  REQUIRE(parsed.ok());
  CHECK(parsed->tensors["a"].data == f32_bytes({3.0f}));
  CHECK(parsed->tensors["b"].data == f32_bytes({1.0f, 2.0f}));
  CHECK(parsed->metadata.empty());
}

TEST_CASE("safetensors: empty tensors may sit at the start, between tensors and at the end",
          "[safetensors]") {
  Bytes file = raw_file(R"({"e0":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},)"
                        R"("w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                        R"("e1":{"dtype":"I64","shape":[3,0],"data_offsets":[4,4]}})",
                        f32_bytes({5.0f}));
  StatusOr<TensorFile> parsed = decode_safetensors(file.data(), file.size());
  REQUIRE(parsed.ok());
  CHECK(parsed->tensors.size() == 3);
  CHECK(parsed->tensors["e1"].shape == std::vector<int64_t>{3, 0});
  CHECK(parsed->tensors["e1"].data.empty());
}

// ---- every rejection has its own code ----

TEST_CASE("safetensors: files shorter than the 8-byte length are truncated", "[safetensors]") {
  Bytes bytes = {2, 0, 0, 0, 0, 0, 0, 0};
  for (size_t size = 0; size < 8; ++size) {
    INFO("size " << size);
    CHECK(decode_safetensors(bytes.data(), size).status().code() == ErrorCode::kTruncated);
  }
}

TEST_CASE("safetensors: header length over the limit is refused before allocating",
          "[safetensors]") {
  for (uint64_t header_size : {kMaxSafetensorsHeaderBytes + 1, uint64_t{1} << 40, UINT64_MAX}) {
    Bytes file;
    ByteWriter(&file).u64(header_size);
    file.push_back('{');
    INFO("header size " << header_size);
    CHECK(decode_code(file) == ErrorCode::kLimitExceeded);
  }
}

TEST_CASE("safetensors: header length past the end of the file is truncated", "[safetensors]") {
  Bytes file = raw_file("{}", {});
  file[0] = 3;
  CHECK(decode_code(file) == ErrorCode::kTruncated);
  Bytes at_limit;
  ByteWriter(&at_limit).u64(kMaxSafetensorsHeaderBytes);
  CHECK(decode_code(at_limit) == ErrorCode::kTruncated);
}

TEST_CASE("safetensors: invalid JSON and wrong JSON types are corrupt", "[safetensors]") {
  const Bytes four = f32_bytes({1.0f});
  const char* cases[] = {
      "",
      "{",
      R"({"w":)",
      "{} x",
      "[]",
      "\"w\"",
      "null",
      "{\"\xff\":{}}",  // not UTF-8
      R"({"w":[]})",
      R"({"w":{"dtype":4,"shape":[1],"data_offsets":[0,4]}})",
      R"({"w":{"dtype":"F32","shape":1,"data_offsets":[0,4]}})",
      R"({"w":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}})",
      R"({"w":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}})",
      R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}})",
      R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,4]}})",
      R"({"w":{"dtype":"F32","shape":[1],"data_offsets":{"0":4}}})",
      R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[-1,4]}})",
      R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4.0]}})",
      R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551616]}})",
      R"({"w":{"dtype":"F32","shape":[1]}})",
      R"({"w":{"shape":[1],"data_offsets":[0,4]}})",
      R"({"w":{"dtype":"F32","data_offsets":[0,4]}})",
      R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":0}})",
      R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
      R"({"__metadata__":[],"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
      R"({"__metadata__":{"k":1},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
      R"({"__metadata__":{"k":null},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
  };
  for (const char* header : cases) {
    INFO("header " << header);
    CHECK(decode_code(header, four) == ErrorCode::kCorrupt);
  }
}

TEST_CASE("safetensors: deeply nested JSON is rejected without exhausting the stack",
          "[safetensors]") {
  const std::string header = std::string(200000, '[') + std::string(200000, ']');
  CHECK(decode_code(header, {}) == ErrorCode::kCorrupt);
}

TEST_CASE("safetensors: unknown dtypes are unsupported", "[safetensors]") {
  for (const char* dtype : {"F8_E4M3", "U16", "U64", "C64", "f32", ""}) {
    INFO("dtype " << dtype);
    std::string header = std::string(R"({"w":{"dtype":")") + dtype +
                         R"(","shape":[1],"data_offsets":[0,4]}})";
    CHECK(decode_code(header, f32_bytes({1.0f})) == ErrorCode::kUnsupported);
  }
}

TEST_CASE("safetensors: negative or overflowing shapes are corrupt", "[safetensors]") {
  const char* cases[] = {
      R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}})",
      R"({"w":{"dtype":"F32","shape":[2,-2],"data_offsets":[0,0]}})",
      // 2^32 * 2^32 elements overflows int64.
      R"({"w":{"dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,0]}})",
      // 2^62 * 4 elements overflows int64 by a factor of two.
      R"({"w":{"dtype":"F32","shape":[4611686018427387904, 4],"data_offsets":[0,0]}})",
      // A dimension above INT64_MAX cannot be represented in the shape at all.
      R"({"w":{"dtype":"U8","shape":[9223372036854775808],"data_offsets":[0,0]}})",
  };
  for (const char* header : cases) {
    INFO("header " << header);
    CHECK(decode_code(header, {}) == ErrorCode::kCorrupt);
  }
}

TEST_CASE("safetensors: data_offsets backwards or past the buffer are out of range",
          "[safetensors]") {
  const Bytes eight = f32_bytes({1.0f, 2.0f});
  CHECK(decode_code(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})", eight) ==
        ErrorCode::kStreamOutOfRange);
  CHECK(decode_code(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}})", eight) ==
        ErrorCode::kStreamOutOfRange);
  CHECK(decode_code(R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[9,9]}})", eight) ==
        ErrorCode::kStreamOutOfRange);
  CHECK(decode_code(
            R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551615]}})",
            eight) == ErrorCode::kStreamOutOfRange);
}

TEST_CASE("safetensors: byte range not matching shape and dtype is corrupt", "[safetensors]") {
  const Bytes eight = f32_bytes({1.0f, 2.0f});
  CHECK(decode_code(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})",
                    f32_bytes({1.0f})) == ErrorCode::kCorrupt);
  CHECK(decode_code(R"({"w":{"dtype":"F64","shape":[2],"data_offsets":[0,8]}})", eight) ==
        ErrorCode::kCorrupt);
  CHECK(decode_code(R"({"w":{"dtype":"F32","shape":[],"data_offsets":[0,8]}})", eight) ==
        ErrorCode::kCorrupt);
}

TEST_CASE("safetensors: tensors sharing bytes overlap", "[safetensors]") {
  const Bytes twelve = f32_bytes({1.0f, 2.0f, 3.0f});
  CHECK(decode_code(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                    R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                    twelve) == ErrorCode::kStreamOverlap);
  // The same range named twice.
  CHECK(decode_code(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                    R"("b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                    f32_bytes({1.0f, 2.0f})) == ErrorCode::kStreamOverlap);
  // An empty tensor inside another one.
  CHECK(decode_code(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                    R"("e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}})",
                    f32_bytes({1.0f, 2.0f})) == ErrorCode::kStreamOverlap);
}

TEST_CASE("safetensors: bytes covered by no tensor are corrupt", "[safetensors]") {
  const Bytes twelve = f32_bytes({1.0f, 2.0f, 3.0f});
  // A hole between two tensors.
  CHECK(decode_code(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                    R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                    twelve) == ErrorCode::kCorrupt);
  // A hole before the first tensor.
  CHECK(decode_code(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", twelve) ==
        ErrorCode::kCorrupt);
}

TEST_CASE("safetensors: data after the last tensor is trailing", "[safetensors]") {
  Bytes six = f32_bytes({1.0f});
  six.push_back(0);
  six.push_back(0);
  CHECK(decode_code(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", six) ==
        ErrorCode::kTrailingBytes);
  CHECK(decode_code("{}", {0}) == ErrorCode::kTrailingBytes);
  CHECK(decode_code(R"({"__metadata__":{"k":"v"}})", {0, 0, 0, 0}) == ErrorCode::kTrailingBytes);
}

TEST_CASE("safetensors: every truncation of a small file is an error", "[safetensors]") {
  TensorFile file = sample_file();
  StatusOr<Bytes> encoded = encode_safetensors(file);
  REQUIRE(encoded.ok());
  for (size_t size = 0; size < encoded->size(); ++size) {
    INFO("prefix of " << size << " bytes");
    Bytes prefix(encoded->begin(), encoded->begin() + size);  // exact size, so ASan sees overreads
    CHECK_FALSE(decode_safetensors(prefix.data(), prefix.size()).ok());
  }
  StatusOr<Bytes> compressed = encode_weights_file(file, true);
  REQUIRE(compressed.ok());
  for (size_t size = 0; size < compressed->size(); ++size) {
    INFO("prefix of " << size << " compressed bytes");
    Bytes prefix(compressed->begin(), compressed->begin() + size);
    CHECK_FALSE(decode_weights_file(prefix.data(), prefix.size()).ok());
  }
}

TEST_CASE("safetensors: single-byte damage never crashes the reader", "[safetensors]") {
  StatusOr<Bytes> encoded = encode_safetensors(sample_file());
  REQUIRE(encoded.ok());
  test::Rng rng(7);
  for (int trial = 0; trial < 2000; ++trial) {
    Bytes damaged = *encoded;
    size_t header_end = 8 + static_cast<size_t>(damaged[0]) + 256 * damaged[1];
    damaged[rng.below(std::min(header_end, damaged.size()))] ^=
        static_cast<uint8_t>(1 + rng.below(255));
    StatusOr<TensorFile> decoded = decode_safetensors(damaged.data(), damaged.size());
    if (decoded.ok()) {
      // Damage that keeps the header valid (a letter of a name, say) must still leave a
      // consistent file, which the writer accepts.
      StatusOr<Bytes> reencoded = encode_safetensors(*decoded);
      CHECK(reencoded.ok());
    }
  }
}

// ---- the writer refuses what it cannot write faithfully ----

TEST_CASE("safetensors: writer rejects inconsistent tensors and reserved or non-UTF-8 names",
          "[safetensors]") {
  auto encode_code = [](const TensorFile& file) { return encode_safetensors(file).status().code(); };
  TensorFile wrong_size;
  wrong_size.tensors["w"].shape = {3};
  wrong_size.tensors["w"].data = f32_bytes({1.0f, 2.0f});
  CHECK(encode_code(wrong_size) == ErrorCode::kInvalidArgument);

  TensorFile negative;
  negative.tensors["w"].shape = {-1};
  CHECK(encode_code(negative) == ErrorCode::kInvalidArgument);
  CHECK(negative.tensors["w"].element_count() == -1);

  TensorFile reserved;
  reserved.tensors["__metadata__"].shape = {};
  reserved.tensors["__metadata__"].data = f32_bytes({1.0f});
  CHECK(encode_code(reserved) == ErrorCode::kInvalidArgument);

  TensorFile bad_name;
  bad_name.tensors["\xff"].shape = {};
  bad_name.tensors["\xff"].data = f32_bytes({1.0f});
  CHECK(encode_code(bad_name) == ErrorCode::kInvalidArgument);

  TensorFile bad_metadata;
  bad_metadata.metadata["k"] = "\xc3";
  CHECK(encode_code(bad_metadata) == ErrorCode::kInvalidArgument);
}

TEST_CASE("safetensors: names and metadata with escapes and non-ASCII survive", "[safetensors]") {
  TensorFile file;
  const std::string name = "layer \"0\"\\\n\xc3\xa9\xe2\x82\xac";  // quote, backslash, newline, é, €
  file.tensors[name].dtype = TensorDtype::kU8;
  file.tensors[name].shape = {2};
  file.tensors[name].data = {1, 2};
  file.metadata["note\t"] = "\x01 control and \xf0\x9f\x98\x80";
  StatusOr<Bytes> encoded = encode_safetensors(file);
  REQUIRE(encoded.ok());
  StatusOr<TensorFile> decoded = decode_safetensors(encoded->data(), encoded->size());
  REQUIRE(decoded.ok());
  require_same_tensor_file(*decoded, file);
}

// ---- zstd frames ----

}  // namespace
}  // namespace facet
