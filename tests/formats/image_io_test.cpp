// Tests of image kind detection and of decode_image for the kinds OpenCV reads.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "formats/image.h"
#include "formats/image_io.h"
#include "test_support.h"

using namespace facet;

namespace {

ImageFileKind kind_of(const std::string& bytes) {
  return detect_image_kind(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

// A smooth RGB gradient with some detail: lossy codecs keep it within a small tolerance.
Image rgb_pattern(uint32_t width, uint32_t height, uint8_t channels = 3, uint8_t bit_depth = 8) {
  Image image = make_image(width, height, channels, bit_depth).value();
  const uint32_t scale = bit_depth == 16 ? 257 : 1;
  for (uint32_t y = 0; y < height; ++y) {
    for (uint32_t x = 0; x < width; ++x) {
      image.at(x, y, 0) = static_cast<uint16_t>((x * 255 / width) * scale);
      image.at(x, y, 1) = static_cast<uint16_t>((y * 255 / height) * scale);
      image.at(x, y, 2) = static_cast<uint16_t>(((x + y) * 127 / (width + height)) * scale);
      if (channels == 4) image.at(x, y, 3) = static_cast<uint16_t>((255 - x % 7) * scale);
    }
  }
  return image;
}

// The image as an OpenCV Mat in OpenCV's BGR(A) order.
cv::Mat to_bgr_mat(const Image& image) {
  const int depth = image.bit_depth == 16 ? CV_16U : CV_8U;
  cv::Mat mat(static_cast<int>(image.height), static_cast<int>(image.width),
              CV_MAKETYPE(depth, image.channels));
  for (uint32_t y = 0; y < image.height; ++y) {
    for (uint32_t x = 0; x < image.width; ++x) {
      for (int c = 0; c < image.channels; ++c) {
        int source = c;
        if (image.channels >= 3 && c < 3) source = 2 - c;
        const uint16_t v = image.at(x, y, static_cast<uint32_t>(source));
        if (depth == CV_16U) {
          mat.ptr<uint16_t>(static_cast<int>(y))[x * image.channels + c] = v;
        } else {
          mat.ptr<uint8_t>(static_cast<int>(y))[x * image.channels + c] = static_cast<uint8_t>(v);
        }
      }
    }
  }
  return mat;
}

Bytes cv_encode(const std::string& extension, const cv::Mat& mat,
                const std::vector<int>& params = {}) {
  std::vector<uint8_t> buffer;
  REQUIRE(cv::imencode(extension, mat, buffer, params));
  return Bytes(buffer.begin(), buffer.end());
}

Image decode_ok(const Bytes& bytes) {
  auto decoded = decode_image(bytes.data(), bytes.size());
  INFO(decoded.status().to_string());
  REQUIRE(decoded.ok());
  return std::move(decoded).value();
}

int max_difference(const Image& a, const Image& b) {
  REQUIRE(a.samples.size() == b.samples.size());
  int worst = 0;
  for (size_t i = 0; i < a.samples.size(); ++i) {
    worst = std::max(worst, std::abs(int{a.samples[i]} - int{b.samples[i]}));
  }
  return worst;
}

ErrorCode decode_error(const Bytes& bytes) {
  auto decoded = decode_image(bytes.data(), bytes.size());
  REQUIRE_FALSE(decoded.ok());
  return decoded.status().code();
}

Bytes bytes_of(const std::string& s) { return Bytes(s.begin(), s.end()); }

void put_le(Bytes* bytes, size_t offset, uint32_t value, int size) {
  for (int i = 0; i < size; ++i) (*bytes)[offset + i] = static_cast<uint8_t>(value >> (8 * i));
}

}  // namespace

TEST_CASE("detect_image_kind recognises each magic number", "[image_io]") {
  CHECK(kind_of(std::string("\x89PNG\r\n\x1a\n", 8) + "rest") == ImageFileKind::kPng);
  CHECK(kind_of(std::string("\x89""FCT\r\n\x1a\n", 8)) == ImageFileKind::kFct);
  CHECK(kind_of("\xFF\xD8\xFF\xE0") == ImageFileKind::kJpeg);
  CHECK(kind_of(std::string("RIFF\x10\0\0\0WEBPVP8 ", 16)) == ImageFileKind::kWebp);
  CHECK(kind_of("BM\x36\0") == ImageFileKind::kBmp);
  CHECK(kind_of(std::string("II*\0", 4)) == ImageFileKind::kTiff);
  CHECK(kind_of(std::string("MM\0*", 4)) == ImageFileKind::kTiff);
  for (char digit = '1'; digit <= '6'; ++digit) {
    CHECK(kind_of(std::string("P") + digit + "\n3 2\n") == ImageFileKind::kPnm);
  }
}

TEST_CASE("detect_image_kind says unknown for near misses and short input", "[image_io]") {
  CHECK(detect_image_kind(nullptr, 0) == ImageFileKind::kUnknown);
  CHECK(kind_of("") == ImageFileKind::kUnknown);
  CHECK(kind_of("\x89PNG") == ImageFileKind::kUnknown);  // a signature cut short
  CHECK(kind_of("\xFF\xD8") == ImageFileKind::kUnknown);
  CHECK(kind_of(std::string("RIFF\x10\0\0\0WAVE", 12)) == ImageFileKind::kUnknown);
  CHECK(kind_of("P7\n") == ImageFileKind::kUnknown);
  CHECK(kind_of("P5x") == ImageFileKind::kUnknown);
  CHECK(kind_of("hello world") == ImageFileKind::kUnknown);
}

TEST_CASE("image_kind_name gives a distinct name to each kind", "[image_io]") {
  const ImageFileKind kinds[] = {ImageFileKind::kUnknown, ImageFileKind::kPng,
                                 ImageFileKind::kJpeg,    ImageFileKind::kWebp,
                                 ImageFileKind::kBmp,     ImageFileKind::kTiff,
                                 ImageFileKind::kPnm,     ImageFileKind::kFct};
  for (ImageFileKind a : kinds) {
    for (ImageFileKind b : kinds) {
      if (a != b) CHECK(std::string(image_kind_name(a)) != image_kind_name(b));
    }
  }
  CHECK(std::string(image_kind_name(ImageFileKind::kPng)) == "PNG");
}

TEST_CASE("decode_image reads lossless BMP, TIFF and PPM exactly, in RGB order", "[image_io]") {
  const Image expected = rgb_pattern(23, 17);
  const cv::Mat bgr = to_bgr_mat(expected);
  for (const char* extension : {".bmp", ".tiff", ".ppm"}) {
    INFO(extension);
    const Image decoded = decode_ok(cv_encode(extension, bgr));
    CHECK(decoded.width == 23);
    CHECK(decoded.height == 17);
    CHECK(decoded.channels == 3);
    CHECK(decoded.bit_depth == 8);
    CHECK(decoded.samples == expected.samples);
  }
}

TEST_CASE("decode_image reads 16-bit and RGBA TIFF exactly", "[image_io]") {
  const Image rgb16 = rgb_pattern(9, 6, 3, 16);
  const Image decoded16 = decode_ok(cv_encode(".tiff", to_bgr_mat(rgb16)));
  CHECK(decoded16.bit_depth == 16);
  CHECK(decoded16.channels == 3);
  CHECK(decoded16.samples == rgb16.samples);

  const Image rgba = rgb_pattern(9, 6, 4, 8);
  const Image decoded_rgba = decode_ok(cv_encode(".tiff", to_bgr_mat(rgba)));
  CHECK(decoded_rgba.channels == 4);
  CHECK(decoded_rgba.samples == rgba.samples);
}

TEST_CASE("decode_image reads JPEG within a tolerance", "[image_io]") {
  const Image expected = rgb_pattern(32, 24);
  const Bytes jpeg = cv_encode(".jpg", to_bgr_mat(expected), {cv::IMWRITE_JPEG_QUALITY, 95});
  REQUIRE(detect_image_kind(jpeg.data(), jpeg.size()) == ImageFileKind::kJpeg);
  const Image decoded = decode_ok(jpeg);
  CHECK(decoded.channels == 3);
  CHECK(decoded.bit_depth == 8);
  // A red/blue swap would be off by up to ~250 on this pattern.
  CHECK(max_difference(decoded, expected) <= 16);
}

TEST_CASE("decode_image reads WebP (lossless exactly, lossy within a tolerance)", "[image_io]") {
  if (!cv::haveImageWriter(".webp")) {
    WARN("OpenCV was built without WebP; skipping");
    return;
  }
  const Image expected = rgb_pattern(32, 24);
  const cv::Mat bgr = to_bgr_mat(expected);
  const Bytes lossless = cv_encode(".webp", bgr, {cv::IMWRITE_WEBP_QUALITY, 101});
  REQUIRE(detect_image_kind(lossless.data(), lossless.size()) == ImageFileKind::kWebp);
  const Image decoded_lossless = decode_ok(lossless);
  CHECK(decoded_lossless.channels == 3);
  CHECK(decoded_lossless.samples == expected.samples);

  const Image decoded_lossy = decode_ok(cv_encode(".webp", bgr, {cv::IMWRITE_WEBP_QUALITY, 90}));
  CHECK(decoded_lossy.channels == 3);
  CHECK(max_difference(decoded_lossy, expected) <= 24);
}

TEST_CASE("decode_image gives one channel for a gray PGM (P5)", "[image_io]") {
  Image gray = make_image(7, 5, 1, 8).value();
  for (size_t i = 0; i < gray.samples.size(); ++i) gray.samples[i] = static_cast<uint16_t>(i * 7);
  const Bytes pgm = cv_encode(".pgm", to_bgr_mat(gray));
  REQUIRE(pgm[1] == '5');
  const Image decoded = decode_ok(pgm);
  CHECK(decoded.channels == 1);
  CHECK(decoded.samples == gray.samples);
}

TEST_CASE("decode_image sends PNG to the libpng reader", "[image_io]") {
  const Image expected = rgb_pattern(5, 3, 4, 16);
  const Bytes png = encode_png(expected).value();
  const Image decoded = decode_ok(png);
  CHECK(decoded.bit_depth == 16);
  CHECK(decoded.samples == expected.samples);
}

TEST_CASE("decode_image rejects garbage behind a valid magic", "[image_io]") {
  test::Rng rng(5);
  for (const std::string& magic :
       {std::string("\xFF\xD8\xFF"), std::string("BM"), std::string("II*\0", 4),
        std::string("RIFF\x20\0\0\0WEBP", 12), std::string("P6\n")}) {
    INFO(magic);
    std::string bytes = magic;
    for (int i = 0; i < 200; ++i) bytes.push_back(static_cast<char>(rng.below(256)));
    const ErrorCode code = decode_error(bytes_of(bytes));
    CHECK((code == ErrorCode::kCorrupt || code == ErrorCode::kLimitExceeded));
  }
}

TEST_CASE("decode_image rejects unknown data and .fct files with kUnsupported", "[image_io]") {
  auto unknown = decode_image(reinterpret_cast<const uint8_t*>("hello"), 5);
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().code() == ErrorCode::kUnsupported);
  CHECK(unknown.status().message().find("unknown image format") != std::string::npos);

  const Bytes fct = bytes_of(std::string("\x89""FCT\r\n\x1a\n", 8) + std::string(32, '\0'));
  auto facet_file = decode_image(fct.data(), fct.size());
  REQUIRE_FALSE(facet_file.ok());
  CHECK(facet_file.status().code() == ErrorCode::kUnsupported);
  CHECK(facet_file.status().message().find(".fct") != std::string::npos);

  CHECK(decode_image(nullptr, 0).status().code() == ErrorCode::kUnsupported);
}

TEST_CASE("decode_image refuses headers claiming too many pixels before OpenCV decodes them",
          "[image_io]") {
  SECTION("BMP") {
    Bytes bmp = cv_encode(".bmp", to_bgr_mat(rgb_pattern(4, 4)));
    put_le(&bmp, 18, 100000, 4);
    put_le(&bmp, 22, static_cast<uint32_t>(-100000), 4);  // negative: top-down
    CHECK(decode_error(bmp) == ErrorCode::kLimitExceeded);
  }
  SECTION("PGM") {
    // Each dimension is allowed, the product is not.
    CHECK(decode_error(bytes_of("P5\n# a comment\n20000 20000\n255\n")) ==
          ErrorCode::kLimitExceeded);
    CHECK(decode_error(bytes_of("P6 70000 3 255\n")) == ErrorCode::kLimitExceeded);
  }
  SECTION("JPEG") {
    Bytes jpeg = cv_encode(".jpg", to_bgr_mat(rgb_pattern(8, 8)));
    bool patched = false;
    for (size_t i = 2; i + 9 < jpeg.size(); ++i) {
      if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0) {  // baseline SOF
        jpeg[i + 5] = jpeg[i + 6] = jpeg[i + 7] = jpeg[i + 8] = 0xFF;
        patched = true;
        break;
      }
    }
    REQUIRE(patched);
    CHECK(decode_error(jpeg) == ErrorCode::kLimitExceeded);
  }
  SECTION("TIFF") {
    // Little-endian header and one IFD holding ImageWidth and ImageLength as LONGs.
    Bytes tiff = bytes_of(std::string("II*\0\x08\0\0\0", 8));
    tiff.resize(8 + 2 + 2 * 12 + 4, 0);
    put_le(&tiff, 8, 2, 2);
    put_le(&tiff, 10, 256, 2);
    put_le(&tiff, 12, 4, 2);
    put_le(&tiff, 14, 1, 4);
    put_le(&tiff, 18, 60000, 4);
    put_le(&tiff, 22, 257, 2);
    put_le(&tiff, 24, 4, 2);
    put_le(&tiff, 26, 1, 4);
    put_le(&tiff, 30, 60000, 4);
    CHECK(decode_error(tiff) == ErrorCode::kLimitExceeded);
  }
  SECTION("WebP") {
    Bytes webp = bytes_of(std::string("RIFF\0\0\0\0WEBPVP8X", 16));
    webp.resize(40, 0);
    put_le(&webp, 16, 10, 4);
    put_le(&webp, 24, 40000 - 1, 3);
    put_le(&webp, 27, 40000 - 1, 3);
    CHECK(decode_error(webp) == ErrorCode::kLimitExceeded);
  }
}

TEST_CASE("check_image_limits and make_image enforce the image limits", "[image_io]") {
  CHECK(check_image_limits(1, 1).ok());
  CHECK(check_image_limits(kMaxImageDimension, 4096).ok());
  CHECK(check_image_limits(16384, 16384).ok());
  CHECK(check_image_limits(0, 5).code() == ErrorCode::kInvalidArgument);
  CHECK(check_image_limits(5, 0).code() == ErrorCode::kInvalidArgument);
  CHECK(check_image_limits(kMaxImageDimension + 1, 1).code() == ErrorCode::kLimitExceeded);
  CHECK(check_image_limits(1, uint64_t{1} << 40).code() == ErrorCode::kLimitExceeded);
  CHECK(check_image_limits(16384, 16385).code() == ErrorCode::kLimitExceeded);

  auto image = make_image(3, 2, 4, 16);
  REQUIRE(image.ok());
  CHECK(image->samples.size() == 24);
  CHECK(image->max_value() == 65535);
  CHECK(make_image(3, 2, 0, 8).status().code() == ErrorCode::kInvalidArgument);
  CHECK(make_image(3, 2, 5, 8).status().code() == ErrorCode::kInvalidArgument);
  CHECK(make_image(3, 2, 3, 12).status().code() == ErrorCode::kInvalidArgument);
  CHECK(make_image(70000, 1, 3, 8).status().code() == ErrorCode::kLimitExceeded);
}
