// The C API (include/facet/facet.h) against the codec it wraps: what the command line codes
// through must give the codec's own bytes and pixels, at 8 and 16 bits, with its timings, its
// progress and its exact errors.
#include <atomic>
#include <cstring>
#include <memory>
#include <vector>

#include "api/facet_internal.h"
#include "codec/codec.h"
#include "formats/container.h"
#include "codec/codec_test_support.h"

// After LibTorch's headers (through the support header): glog's CHECK must not replace Catch's.
#include <catch2/catch.hpp>

namespace facet {
namespace {

struct Freed {
  void operator()(void* p) const { facet_free(p); }
};
using ModelHandle = std::unique_ptr<facet_model, void (*)(facet_model*)>;

ModelHandle wrapped(std::shared_ptr<CodecModel> model) { return ModelHandle(facet_model_wrap(std::move(model)), facet_model_free); }

// An RGBA image of 16-bit samples: the corpus crop's colour widened, alpha a ramp over all 65536 levels.
Image rgba16(uint32_t width, uint32_t height) {
  const Image rgb = test::corpus_image(width, height);
  Image image = make_image(width, height, 4, 16).value();
  for (uint64_t p = 0; p < image.pixel_count(); ++p) {
    for (int c = 0; c < 3; ++c) image.samples[p * 4 + c] = uint16_t(rgb.samples[p * 3 + c] * 257 + (p % 7));
    image.samples[p * 4 + 3] = uint16_t((p * 1021) % 65536);
  }
  return image;
}

TEST_CASE("The C API codes what the codec codes, at 8 and 16 bits", "[api]") {
  auto codec_model = test::tiny_chroma_model();
  ModelHandle model = wrapped(codec_model);
  facet_compress_options options;
  facet_compress_options_init(&options);
  options.quality = 55;
  options.threads = 2;
  options.tile = 4;  // several tiles of a small image
  facet_timings timings{};
  options.timings = &timings;
  CompressOptions codec_options;
  codec_options.quality = 55;
  codec_options.threads = 2;
  codec_options.tile_latents = 4;

  SECTION("8-bit RGB: the same file as compress_image, and its pixels") {
    const Image image = test::corpus_image(96, 64);
    std::vector<uint8_t> bytes(image.samples.begin(), image.samples.end());
    uint8_t* file = nullptr;
    size_t size = 0;
    REQUIRE(facet_compress(model.get(), bytes.data(), 96, 64, 3, 0, &options, &file, &size) == FACET_OK);
    std::unique_ptr<uint8_t, Freed> owned(file);
    auto expected = compress_image(image, *codec_model, codec_options);
    REQUIRE(expected.ok());
    CHECK(Bytes(file, file + size) == *expected);
    CHECK(timings.analysis > 0);
    CHECK(timings.entropy > 0);
    CHECK(timings.synthesis == 0);

    facet_decompress_options d;
    facet_decompress_options_init(&d);
    d.threads = 2;
    d.tile = 4;
    facet_timings decode_timings{};
    d.timings = &decode_timings;
    facet_image decoded{};
    REQUIRE(facet_decompress_image(model.get(), file, size, &d, &decoded) == FACET_OK);
    std::unique_ptr<void, Freed> pixels(decoded.pixels);
    CHECK(decoded.bits == 8);
    CHECK(decoded.stride == 96 * 3);
    CHECK(decode_timings.synthesis > 0);
    auto parsed = read_fct(file, size);
    REQUIRE(parsed.ok());
    DecompressOptions dc;
    dc.threads = 2;
    dc.tile_latents = 4;
    auto reference = decompress_fct(*parsed, *codec_model, dc);
    REQUIRE(reference.ok());
    const auto* got = static_cast<const uint8_t*>(decoded.pixels);
    CHECK(std::vector<uint16_t>(got, got + reference->samples.size()) == reference->samples);
  }

  SECTION("16-bit RGBA: the colour coded at 8 bits, the alpha kept at 16, exactly") {
    const Image image = rgba16(80, 48);
    facet_image pixels{};
    pixels.pixels = const_cast<uint16_t*>(image.samples.data());
    pixels.width = 80;
    pixels.height = 48;
    pixels.channels = 4;
    pixels.bits = 16;
    uint8_t* file = nullptr;
    size_t size = 0;
    REQUIRE(facet_compress_image(model.get(), &pixels, &options, &file, &size) == FACET_OK);
    std::unique_ptr<uint8_t, Freed> owned(file);
    auto expected = compress_image(image, *codec_model, codec_options);
    REQUIRE(expected.ok());
    CHECK(Bytes(file, file + size) == *expected);
    facet_image decoded{};
    REQUIRE(facet_decompress_image(model.get(), file, size, nullptr, &decoded) == FACET_OK);
    std::unique_ptr<void, Freed> decoded_pixels(decoded.pixels);
    REQUIRE(decoded.bits == 16);
    REQUIRE(decoded.channels == 4);
    const auto* samples = static_cast<const uint16_t*>(decoded.pixels);
    size_t alpha_equal = 0;
    for (uint64_t p = 0; p < image.pixel_count(); ++p) alpha_equal += samples[p * 4 + 3] == image.samples[p * 4 + 3];
    CHECK(alpha_equal == image.pixel_count());
    // The 8-bit call rounds the same decode to 8 bits.
    uint8_t* narrow = nullptr;
    uint32_t w = 0, h = 0, c = 0;
    REQUIRE(facet_decompress(model.get(), file, size, nullptr, &narrow, &w, &h, &c) == FACET_OK);
    std::unique_ptr<uint8_t, Freed> narrow_owned(narrow);
    CHECK(narrow[3] == uint8_t((uint32_t(samples[3]) * 255 + 32767) / 65535));
  }

  SECTION("bad pixel descriptions are invalid arguments") {
    const Image image = test::corpus_image(32, 32);
    std::vector<uint8_t> bytes(image.samples.begin(), image.samples.end());
    facet_image pixels{};
    pixels.pixels = bytes.data();
    pixels.width = 32;
    pixels.height = 32;
    pixels.channels = 3;
    pixels.bits = 12;
    uint8_t* file = nullptr;
    size_t size = 0;
    CHECK(facet_compress_image(model.get(), &pixels, nullptr, &file, &size) == FACET_ERROR_INVALID_ARGUMENT);
    pixels.bits = 8;
    pixels.stride = 32;  // under width * channels
    CHECK(facet_compress_image(model.get(), &pixels, nullptr, &file, &size) == FACET_ERROR_INVALID_ARGUMENT);
    CHECK(file == nullptr);
  }
}

TEST_CASE("The C API's inspect gives the whole factor table, and failures keep their exact code", "[api]") {
  auto codec_model = test::tiny_chroma_model();
  ModelHandle model = wrapped(codec_model);
  CompressOptions codec_options;
  codec_options.quality = 40;
  auto file = compress_image(test::corpus_image(64, 64), *codec_model, codec_options);
  REQUIRE(file.ok());
  auto parsed = read_fct(file->data(), file->size());
  REQUIRE(parsed.ok());

  facet_file_info* raw = nullptr;
  REQUIRE(facet_inspect(model.get(), file->data(), file->size(), &raw) == FACET_OK);
  std::unique_ptr<facet_file_info, void (*)(facet_file_info*)> info(raw, facet_file_info_free);
  CHECK(facet_file_info_has_values(info.get()));
  CHECK(facet_file_info_model_hash(info.get()) == codec_model->hash);
  CHECK(facet_file_info_source_bit_depth(info.get()) == 8);
  CHECK(facet_file_info_header_bytes(info.get()) == fct_header_size(parsed->header).value());
  REQUIRE(facet_file_info_factor_count(info.get()) == parsed->header.factors.size());
  for (size_t i = 0; i < parsed->header.factors.size(); ++i) {
    const FactorEntry& entry = parsed->header.factors[i];
    facet_factor f{};
    REQUIRE(facet_file_info_factor(info.get(), i, &f) == FACET_OK);
    INFO(entry.name);
    CHECK(std::string(f.name) == entry.name);
    CHECK(f.rank == entry.shape.size());
    for (uint32_t d = 0; d < f.rank; ++d) CHECK(f.shape[d] == entry.shape[d]);
    CHECK(f.checksum == entry.checksum);
    CHECK(f.offset == entry.offset);
    CHECK(float(f.quant_step) == entry.quant_step);
    CHECK(std::string(f.element_type) == element_type_name(entry.element_type));
    std::string reads;
    for (const auto& name : entry.context) reads += (reads.empty() ? "" : ",") + name;
    CHECK(std::string(f.reads) == reads);
    if (entry.kind == FactorKind::kGlobal) {
      CHECK(f.has_value);
      CHECK(std::string(f.unit).size() > 0);
    }
  }

  // A truncated file: the API's status, and the codec's own error behind it.
  facet_image decoded{};
  const size_t cut = file->size() - 3;
  CHECK(facet_decompress_image(model.get(), file->data(), cut, nullptr, &decoded) != FACET_OK);
  CHECK(decoded.pixels == nullptr);
  auto direct = read_fct(file->data(), cut);
  REQUIRE_FALSE(direct.ok());
  CHECK(facet_last_status().code() == direct.status().code());
  CHECK(facet_last_status().message() == direct.status().message());
}

TEST_CASE("The C API reports an effort-2 refinement's progress and codes what the codec codes", "[api][effort]") {
  auto codec_model = test::tiny_chroma_model();
  ModelHandle model = wrapped(codec_model);
  const Image image = test::corpus_image(64, 64);
  std::vector<uint8_t> bytes(image.samples.begin(), image.samples.end());
  facet_compress_options options;
  facet_compress_options_init(&options);
  options.effort = 2;
  options.threads = 2;
  // Called from the tiles' threads: counted there, checked here (Catch2 asserts on one thread).
  struct Seen {
    std::atomic<int> calls{0}, hyper{0}, out_of_range{0};
  } seen;
  options.progress = [](void* user, const facet_progress* p) {
    auto* s = static_cast<Seen*>(user);
    s->calls.fetch_add(1);
    const bool hyper = p->tile == -1 && p->tiles == 1;  // the hyper-latents' stage
    if (hyper) s->hyper.fetch_add(1);
    if (p->iteration < 0 || p->iteration > p->iterations || (!hyper && (p->tile < 0 || p->tile >= p->tiles)))
      s->out_of_range.fetch_add(1);
  };
  options.progress_user = &seen;
  uint8_t* file = nullptr;
  size_t size = 0;
  REQUIRE(facet_compress(model.get(), bytes.data(), 64, 64, 3, 0, &options, &file, &size) == FACET_OK);
  std::unique_ptr<uint8_t, Freed> owned(file);
  CHECK(seen.calls.load() > 2);
  CHECK(seen.hyper.load() == 2);  // its start and its end
  CHECK(seen.out_of_range.load() == 0);
  CompressOptions codec_options;
  codec_options.effort = 2;
  codec_options.threads = 2;
  auto expected = compress_image(image, *codec_model, codec_options);
  REQUIRE(expected.ok());
  CHECK(Bytes(file, file + size) == *expected);
}

}  // namespace
}  // namespace facet
