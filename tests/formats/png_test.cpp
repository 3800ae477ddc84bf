// Tests of the libpng reader and writer: round trips, every PNG colour type, limits, bad input.
#include <png.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <csetjmp>
#include <cstring>
#include <string>
#include <vector>

#include "formats/image.h"
#include "formats/image_io.h"
#include "test_support.h"

using namespace facet;

namespace {

// Parameters of a PNG written directly with libpng, so that the reader is tested on inputs that
// encode_png never produces (palette, sub-byte depths, tRNS, interlacing).
struct RawPngSpec {
  uint32_t width = 1;
  uint32_t height = 1;
  int bit_depth = 8;
  int color_type = PNG_COLOR_TYPE_GRAY;
  bool interlaced = false;
  std::vector<png_color> palette;
  std::vector<uint8_t> palette_alpha;  // tRNS for palette images
  bool has_trns_color = false;         // tRNS for gray or RGB images
  png_color_16 trns_color{};
  // Samples as stored in the file (palette indices, sub-byte values...), row-major, interleaved.
  std::vector<uint16_t> samples;
};

int file_channels(int color_type) {
  switch (color_type) {
    case PNG_COLOR_TYPE_GRAY_ALPHA: return 2;
    case PNG_COLOR_TYPE_RGB: return 3;
    case PNG_COLOR_TYPE_RGB_ALPHA: return 4;
    default: return 1;
  }
}

// Packs one row at the file's bit depth: sub-byte samples MSB first, 16-bit big-endian.
std::vector<uint8_t> pack_row(const uint16_t* samples, size_t count, int bit_depth) {
  std::vector<uint8_t> row;
  if (bit_depth == 16) {
    for (size_t i = 0; i < count; ++i) {
      row.push_back(static_cast<uint8_t>(samples[i] >> 8));
      row.push_back(static_cast<uint8_t>(samples[i]));
    }
  } else if (bit_depth == 8) {
    for (size_t i = 0; i < count; ++i) row.push_back(static_cast<uint8_t>(samples[i]));
  } else {
    row.assign((count * bit_depth + 7) / 8, 0);
    for (size_t i = 0; i < count; ++i) {
      const size_t bit = i * bit_depth;
      row[bit / 8] |= static_cast<uint8_t>(samples[i] << (8 - bit_depth - bit % 8));
    }
  }
  return row;
}

// Plain data for the setjmp frame below (longjmp skips destructors).
struct RawPngWrite {
  const RawPngSpec* spec;
  png_bytep* rows;
  Bytes* output;
};

extern "C" void raw_png_write(png_structp png, png_bytep data, size_t length) {
  auto* output = static_cast<Bytes*>(png_get_io_ptr(png));
  output->insert(output->end(), data, data + length);
}
extern "C" void raw_png_flush(png_structp) {}

bool run_libpng_writer(const RawPngWrite* job) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  const RawPngSpec& spec = *job->spec;
  png_set_write_fn(png, job->output, raw_png_write, raw_png_flush);
  png_set_IHDR(png, info, spec.width, spec.height, spec.bit_depth, spec.color_type,
               spec.interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (!spec.palette.empty()) {
    png_set_PLTE(png, info, spec.palette.data(), static_cast<int>(spec.palette.size()));
  }
  if (!spec.palette_alpha.empty()) {
    png_set_tRNS(png, info, spec.palette_alpha.data(), static_cast<int>(spec.palette_alpha.size()),
                 nullptr);
  }
  if (spec.has_trns_color) png_set_tRNS(png, info, nullptr, 0, &spec.trns_color);
  png_write_info(png, info);
  png_write_image(png, job->rows);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

Bytes write_raw_png(const RawPngSpec& spec) {
  const size_t row_samples = size_t{spec.width} * file_channels(spec.color_type);
  REQUIRE(spec.samples.size() == row_samples * spec.height);
  std::vector<std::vector<uint8_t>> rows;
  std::vector<png_bytep> row_pointers;
  for (uint32_t y = 0; y < spec.height; ++y) {
    rows.push_back(pack_row(spec.samples.data() + y * row_samples, row_samples, spec.bit_depth));
  }
  for (auto& row : rows) row_pointers.push_back(row.data());
  Bytes output;
  RawPngWrite job{&spec, row_pointers.data(), &output};
  REQUIRE(run_libpng_writer(&job));
  return output;
}

Image random_image(uint32_t width, uint32_t height, uint8_t channels, uint8_t bit_depth,
                   uint64_t seed) {
  auto made = make_image(width, height, channels, bit_depth);
  REQUIRE(made.ok());
  Image image = std::move(made).value();
  test::Rng rng(seed);
  for (uint16_t& sample : image.samples) {
    sample = static_cast<uint16_t>(rng.below(uint64_t{image.max_value()} + 1));
  }
  return image;
}

std::vector<uint16_t> random_samples(size_t count, uint32_t max_value, test::Rng* rng) {
  std::vector<uint16_t> samples(count);
  for (uint16_t& sample : samples) sample = static_cast<uint16_t>(rng->below(max_value + 1));
  return samples;
}

Image decode_ok(const Bytes& png) {
  auto decoded = decode_png(png.data(), png.size());
  INFO(decoded.status().to_string());
  REQUIRE(decoded.ok());
  return std::move(decoded).value();
}

void store_be32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

// Rewrites the IHDR dimensions of a PNG and fixes its CRC, so that only the limits can object.
Bytes with_ihdr_dimensions(Bytes png, uint32_t width, uint32_t height) {
  REQUIRE(png.size() > 33);
  REQUIRE(std::memcmp(png.data() + 12, "IHDR", 4) == 0);
  store_be32(png.data() + 16, width);
  store_be32(png.data() + 20, height);
  const uint32_t crc = static_cast<uint32_t>(crc32(0, png.data() + 12, 4 + 13));
  store_be32(png.data() + 29, crc);
  return png;
}

Bytes small_rgb_png() {
  return encode_png(random_image(5, 4, 3, 8, 99)).value();
}

}  // namespace

TEST_CASE("encode_png then decode_png gives identical samples for every colour type and depth",
          "[png]") {
  const std::pair<uint32_t, uint32_t> sizes[] = {{1, 1}, {3, 7}, {17, 5}, {64, 33}, {1, 40},
                                                 {40, 1}};
  uint64_t seed = 1;
  for (uint8_t channels = 1; channels <= 4; ++channels) {
    for (uint8_t bit_depth : {uint8_t{8}, uint8_t{16}}) {
      for (auto [width, height] : sizes) {
        INFO("channels " << int{channels} << " depth " << int{bit_depth} << " size " << width
                         << "x" << height);
        const Image original = random_image(width, height, channels, bit_depth, seed++);
        auto encoded = encode_png(original);
        REQUIRE(encoded.ok());
        const Image decoded = decode_ok(*encoded);
        CHECK(decoded.width == width);
        CHECK(decoded.height == height);
        CHECK(decoded.channels == channels);
        CHECK(decoded.bit_depth == bit_depth);
        CHECK(decoded.samples == original.samples);
      }
    }
  }
}

TEST_CASE("encode_png round trips extreme 16-bit values in big-endian order", "[png]") {
  Image image = make_image(4, 1, 1, 16).value();
  image.samples = {0x0000, 0x1234, 0xFF00, 0xFFFF};
  const Image decoded = decode_ok(encode_png(image).value());
  CHECK(decoded.samples == image.samples);
}

TEST_CASE("encode_png rejects malformed images with kInvalidArgument", "[png]") {
  Image valid = random_image(3, 2, 3, 8, 7);
  REQUIRE(encode_png(valid).ok());

  Image no_channels = valid;
  no_channels.channels = 0;
  Image five_channels = valid;
  five_channels.channels = 5;
  Image twelve_bits = valid;
  twelve_bits.bit_depth = 12;
  Image short_samples = valid;
  short_samples.samples.pop_back();
  Image zero_width = valid;
  zero_width.width = 0;
  zero_width.samples.clear();
  Image sample_too_big = valid;
  sample_too_big.samples[4] = 256;
  Image too_wide = valid;
  too_wide.width = kMaxImageDimension + 1;

  for (const Image* bad : {&no_channels, &five_channels, &twelve_bits, &short_samples,
                           &zero_width, &sample_too_big, &too_wide}) {
    auto encoded = encode_png(*bad);
    REQUIRE_FALSE(encoded.ok());
    CHECK(encoded.status().code() == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("decode_png expands palette images to RGB at every palette depth", "[png]") {
  test::Rng rng(11);
  for (int bit_depth : {1, 2, 4, 8}) {
    INFO("palette depth " << bit_depth);
    RawPngSpec spec;
    spec.width = 13;
    spec.height = 6;
    spec.bit_depth = bit_depth;
    spec.color_type = PNG_COLOR_TYPE_PALETTE;
    const int entries = 1 << bit_depth;
    for (int i = 0; i < entries; ++i) {
      spec.palette.push_back(png_color{static_cast<png_byte>(rng.below(256)),
                                       static_cast<png_byte>(rng.below(256)),
                                       static_cast<png_byte>(rng.below(256))});
    }
    spec.samples = random_samples(size_t{spec.width} * spec.height, entries - 1, &rng);

    const Image image = decode_ok(write_raw_png(spec));
    REQUIRE(image.channels == 3);
    REQUIRE(image.bit_depth == 8);
    for (size_t i = 0; i < spec.samples.size(); ++i) {
      const png_color& color = spec.palette[spec.samples[i]];
      CHECK(image.samples[3 * i + 0] == color.red);
      CHECK(image.samples[3 * i + 1] == color.green);
      CHECK(image.samples[3 * i + 2] == color.blue);
    }
  }
}

TEST_CASE("decode_png turns a palette with tRNS into RGBA, entries past tRNS being opaque",
          "[png]") {
  test::Rng rng(12);
  for (int bit_depth : {2, 8}) {
    INFO("palette depth " << bit_depth);
    RawPngSpec spec;
    spec.width = 9;
    spec.height = 4;
    spec.bit_depth = bit_depth;
    spec.color_type = PNG_COLOR_TYPE_PALETTE;
    const int entries = bit_depth == 2 ? 4 : 20;
    for (int i = 0; i < entries; ++i) {
      spec.palette.push_back(png_color{static_cast<png_byte>(10 * i), static_cast<png_byte>(i),
                                       static_cast<png_byte>(255 - i)});
    }
    spec.palette_alpha = {0, 128, 77};  // shorter than the palette on purpose
    spec.samples = random_samples(size_t{spec.width} * spec.height, entries - 1, &rng);

    const Image image = decode_ok(write_raw_png(spec));
    REQUIRE(image.channels == 4);
    REQUIRE(image.bit_depth == 8);
    for (size_t i = 0; i < spec.samples.size(); ++i) {
      const size_t index = spec.samples[i];
      const png_color& color = spec.palette[index];
      const int alpha = index < spec.palette_alpha.size() ? spec.palette_alpha[index] : 255;
      CHECK(image.samples[4 * i + 0] == color.red);
      CHECK(image.samples[4 * i + 1] == color.green);
      CHECK(image.samples[4 * i + 2] == color.blue);
      CHECK(image.samples[4 * i + 3] == alpha);
    }
  }
}

TEST_CASE("decode_png scales 1, 2 and 4-bit gray to 8 bits", "[png]") {
  test::Rng rng(13);
  for (int bit_depth : {1, 2, 4}) {
    INFO("gray depth " << bit_depth);
    RawPngSpec spec;
    spec.width = 11;  // not a multiple of the samples per byte: rows end mid-byte
    spec.height = 3;
    spec.bit_depth = bit_depth;
    spec.color_type = PNG_COLOR_TYPE_GRAY;
    const uint32_t max_value = (1u << bit_depth) - 1;
    spec.samples = random_samples(size_t{spec.width} * spec.height, max_value, &rng);

    const Image image = decode_ok(write_raw_png(spec));
    REQUIRE(image.channels == 1);
    REQUIRE(image.bit_depth == 8);
    for (size_t i = 0; i < spec.samples.size(); ++i) {
      CHECK(image.samples[i] == spec.samples[i] * (255 / max_value));
    }
  }
}

TEST_CASE("decode_png reads 8 and 16-bit gray, gray+alpha, RGB and RGBA written by libpng",
          "[png]") {
  test::Rng rng(14);
  for (int color_type : {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                         PNG_COLOR_TYPE_RGB_ALPHA}) {
    for (int bit_depth : {8, 16}) {
      INFO("colour type " << color_type << " depth " << bit_depth);
      RawPngSpec spec;
      spec.width = 7;
      spec.height = 5;
      spec.bit_depth = bit_depth;
      spec.color_type = color_type;
      spec.samples = random_samples(size_t{spec.width} * spec.height * file_channels(color_type),
                                    (1u << bit_depth) - 1, &rng);
      const Image image = decode_ok(write_raw_png(spec));
      CHECK(image.channels == file_channels(color_type));
      CHECK(image.bit_depth == bit_depth);
      CHECK(image.samples == spec.samples);
    }
  }
}

TEST_CASE("decode_png turns gray with tRNS into gray+alpha at 2, 8 and 16 bits", "[png]") {
  for (int bit_depth : {2, 8, 16}) {
    INFO("gray depth " << bit_depth);
    const uint16_t max_value = static_cast<uint16_t>((1u << bit_depth) - 1);
    const uint16_t transparent = static_cast<uint16_t>(max_value / 3);
    RawPngSpec spec;
    spec.width = 4;
    spec.height = 2;
    spec.bit_depth = bit_depth;
    spec.color_type = PNG_COLOR_TYPE_GRAY;
    spec.has_trns_color = true;
    spec.trns_color.gray = transparent;
    spec.samples = {0, transparent, max_value, transparent, 1, 1, transparent, max_value};

    const Image image = decode_ok(write_raw_png(spec));
    REQUIRE(image.channels == 2);
    const int output_depth = bit_depth == 16 ? 16 : 8;
    REQUIRE(image.bit_depth == output_depth);
    const uint32_t scale = output_depth == 16 ? 1 : 255 / max_value;
    const uint16_t opaque = output_depth == 16 ? 65535 : 255;
    for (size_t i = 0; i < spec.samples.size(); ++i) {
      CHECK(image.samples[2 * i] == spec.samples[i] * scale);
      CHECK(image.samples[2 * i + 1] == (spec.samples[i] == transparent ? 0 : opaque));
    }
  }
}

TEST_CASE("decode_png turns RGB with tRNS into RGBA", "[png]") {
  RawPngSpec spec;
  spec.width = 3;
  spec.height = 1;
  spec.color_type = PNG_COLOR_TYPE_RGB;
  spec.has_trns_color = true;
  spec.trns_color.red = 1;
  spec.trns_color.green = 2;
  spec.trns_color.blue = 3;
  spec.samples = {1, 2, 3, 1, 2, 4, 200, 100, 50};
  const Image image = decode_ok(write_raw_png(spec));
  REQUIRE(image.channels == 4);
  CHECK(image.samples == std::vector<uint16_t>{1, 2, 3, 0, 1, 2, 4, 255, 200, 100, 50, 255});
}

TEST_CASE("decode_png reads Adam7-interlaced files like their non-interlaced twins", "[png]") {
  test::Rng rng(15);
  const std::pair<uint32_t, uint32_t> sizes[] = {{1, 1}, {3, 7}, {17, 5}, {9, 9}, {33, 2}};
  struct Kind {
    int color_type;
    int bit_depth;
  };
  for (Kind kind : {Kind{PNG_COLOR_TYPE_RGB, 8}, Kind{PNG_COLOR_TYPE_GRAY, 16},
                    Kind{PNG_COLOR_TYPE_RGB_ALPHA, 16}, Kind{PNG_COLOR_TYPE_GRAY, 1},
                    Kind{PNG_COLOR_TYPE_PALETTE, 4}}) {
    for (auto [width, height] : sizes) {
      INFO("colour type " << kind.color_type << " depth " << kind.bit_depth << " size " << width
                          << "x" << height);
      RawPngSpec spec;
      spec.width = width;
      spec.height = height;
      spec.bit_depth = kind.bit_depth;
      spec.color_type = kind.color_type;
      if (kind.color_type == PNG_COLOR_TYPE_PALETTE) {
        for (int i = 0; i < 16; ++i) {
          spec.palette.push_back(png_color{static_cast<png_byte>(i * 16),
                                           static_cast<png_byte>(i), static_cast<png_byte>(3)});
        }
      }
      spec.samples = random_samples(size_t{width} * height * file_channels(kind.color_type),
                                    (1u << kind.bit_depth) - 1, &rng);
      const Image progressive = decode_ok(write_raw_png(spec));
      spec.interlaced = true;
      const Bytes interlaced_png = write_raw_png(spec);
      REQUIRE(interlaced_png[28] == 1);  // the IHDR interlace method really is Adam7
      const Image interlaced = decode_ok(interlaced_png);
      CHECK(interlaced.channels == progressive.channels);
      CHECK(interlaced.bit_depth == progressive.bit_depth);
      CHECK(interlaced.samples == progressive.samples);
    }
  }
}

TEST_CASE("decode_png rejects a bad signature with kBadMagic", "[png]") {
  Bytes png = small_rgb_png();
  png[1] = 'Q';
  auto decoded = decode_png(png.data(), png.size());
  REQUIRE_FALSE(decoded.ok());
  CHECK(decoded.status().code() == ErrorCode::kBadMagic);

  const uint8_t jpeg_start[] = {0xFF, 0xD8, 0xFF, 0xE0};
  CHECK(decode_png(jpeg_start, sizeof(jpeg_start)).status().code() == ErrorCode::kBadMagic);
}

TEST_CASE("decode_png reports kTruncated for every prefix of a valid file", "[png]") {
  for (bool interlaced : {false, true}) {
    RawPngSpec spec;
    spec.width = 6;
    spec.height = 5;
    spec.color_type = PNG_COLOR_TYPE_RGB;
    spec.interlaced = interlaced;
    test::Rng rng(16);
    spec.samples = random_samples(6 * 5 * 3, 255, &rng);
    const Bytes png = write_raw_png(spec);
    REQUIRE(decode_png(png.data(), png.size()).ok());
    for (size_t length = 0; length < png.size(); ++length) {
      INFO("interlaced " << interlaced << ", prefix of " << length << " of " << png.size()
                         << " bytes");
      // A copy of exactly `length` bytes lets AddressSanitizer catch any read past the end.
      const Bytes prefix(png.begin(), png.begin() + length);
      auto decoded = decode_png(prefix.data(), prefix.size());
      REQUIRE_FALSE(decoded.ok());
      CHECK(decoded.status().code() == ErrorCode::kTruncated);
    }
  }
}

TEST_CASE("decode_png refuses huge IHDR dimensions with kLimitExceeded before allocating",
          "[png]") {
  const Bytes png = small_rgb_png();
  const std::pair<uint32_t, uint32_t> huge[] = {
      {100000, 100000},  // beyond kMaxImageDimension
      {5, 100000},
      {0x7FFFFFFF, 1},   // the largest width PNG allows
      {0xFFFFFFFF, 1},   // not even a valid PNG width
      {65535, 65535},    // each dimension allowed, but more than kMaxImagePixels
  };
  for (auto [width, height] : huge) {
    INFO(width << "x" << height);
    const Bytes patched = with_ihdr_dimensions(png, width, height);
    auto decoded = decode_png(patched.data(), patched.size());
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.status().code() == ErrorCode::kLimitExceeded);
  }
}

TEST_CASE("decode_png reports a zero IHDR dimension and a bad CRC as corrupt", "[png]") {
  const Bytes png = small_rgb_png();
  const Bytes zero_width = with_ihdr_dimensions(png, 0, 4);
  CHECK(decode_png(zero_width.data(), zero_width.size()).status().code() == ErrorCode::kCorrupt);

  Bytes bad_crc = png;
  bad_crc[29] ^= 0x01;  // IHDR CRC
  auto decoded = decode_png(bad_crc.data(), bad_crc.size());
  REQUIRE_FALSE(decoded.ok());
  CHECK(decoded.status().code() == ErrorCode::kCorrupt);
  CHECK_FALSE(decoded.status().message().empty());
}

// Policy: decode_png stops at IEND and never looks further, so anything appended after IEND is
// ignored and the image is the same as without it.
TEST_CASE("decode_png ignores bytes after IEND", "[png]") {
  const Bytes png = small_rgb_png();
  const Image expected = decode_ok(png);
  for (const char* tail : {"x", "garbage after the end", "\x89PNG\r\n\x1a\n"}) {
    Bytes extended = png;
    extended.insert(extended.end(), tail, tail + std::strlen(tail));
    const Image decoded = decode_ok(extended);
    CHECK(decoded.samples == expected.samples);
  }
}

TEST_CASE("decode_png survives every single-byte corruption of a small file", "[png]") {
  RawPngSpec spec;
  spec.width = 5;
  spec.height = 3;
  spec.color_type = PNG_COLOR_TYPE_PALETTE;
  spec.bit_depth = 2;
  spec.palette = {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}, {10, 11, 12}};
  spec.palette_alpha = {0, 255};
  test::Rng rng(17);
  spec.samples = random_samples(15, 3, &rng);
  const Bytes png = write_raw_png(spec);
  for (size_t position = 0; position < png.size(); ++position) {
    for (uint8_t flip : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xFF}}) {
      Bytes corrupted = png;
      corrupted[position] ^= flip;
      auto decoded = decode_png(corrupted.data(), corrupted.size());
      if (decoded.ok()) {
        // libpng drops an ancillary chunk (here tRNS) whose CRC fails, with a warning, so some
        // corruptions still decode; what decodes must be a well-formed image.
        CHECK(decoded->samples.size() == decoded->pixel_count() * decoded->channels);
      } else {
        CHECK_FALSE(decoded.status().message().empty());
      }
    }
  }
}

TEST_CASE("decode_png handles empty and null input without crashing", "[png]") {
  CHECK_FALSE(decode_png(nullptr, 0).ok());
  const uint8_t byte = 0x89;
  CHECK(decode_png(&byte, 1).status().code() == ErrorCode::kTruncated);
}
