// Tests of PSNR-RGB, PSNR-Y, SSIM and MS-SSIM against values computed by other programs.
#include <catch2/catch.hpp>
#include <string>

#include "eval/metrics.h"
#include "formats/image_io.h"
#include "test_support.h"

using namespace facet;

namespace {

// tests/eval/data: a.png is a 176x176 crop of corpus/kodim23-crop.png, b.png and c.png are a.png
// through JPEG at quality 30 and 75 (commands in tests/eval/data/reference_values.py).
Image load(const std::string& name) {
  const Bytes bytes = test::read_source_file("tests/eval/data/" + name);
  return decode_png(bytes.data(), bytes.size()).value();
}

}  // namespace

TEST_CASE("PSNR-RGB matches ffmpeg's psnr filter and ImageMagick's compare", "[eval]") {
  const Image a = load("a.png"), b = load("b.png"), c = load("c.png");
  // ffmpeg 5.1.9: ffmpeg -i a.png -i b.png -lavfi psnr -f null -   -> "average:33.927607"
  // ImageMagick 6.9.11: compare -metric PSNR a.png b.png null:   -> 33.9276
  CHECK(psnr_rgb(a, b).value() == Approx(33.927607).margin(1e-6));
  // ffmpeg -i a.png -i c.png -lavfi psnr -f null -   -> "average:37.830352"; compare -> 37.8304
  CHECK(psnr_rgb(a, c).value() == Approx(37.830352).margin(1e-6));
}

TEST_CASE("PSNR-Y matches ffmpeg's psnr on full-range BT.601 YUV within its 8-bit rounding", "[eval]") {
  const Image a = load("a.png"), b = load("b.png"), c = load("c.png");
  // ffmpeg -i a.png -i b.png -lavfi "[0]scale=out_range=full:out_color_matrix=bt601,format=yuvj444p[a];
  //   [1]scale=out_range=full:out_color_matrix=bt601,format=yuvj444p[b];[a][b]psnr" -f null -
  //   -> "y:36.415840" (c.png: "y:40.020021"). ffmpeg rounds Y to 8 bits before measuring and
  // Facet does not, hence the margin; numpy on the unrounded luma gives 36.416124 and 40.012975.
  CHECK(psnr_y(a, b).value() == Approx(36.415840).margin(0.01));
  CHECK(psnr_y(a, c).value() == Approx(40.020021).margin(0.01));
  CHECK(psnr_y(a, b).value() == Approx(36.4161236721558).margin(1e-9));
  CHECK(psnr_y(a, c).value() == Approx(40.01297484724184).margin(1e-9));
}

TEST_CASE("PSNR of a uniform offset is closed-form", "[eval]") {
  Image a = make_image(32, 16, 3, 8).value(), b = a;
  for (size_t i = 0; i < a.samples.size(); ++i) {
    a.samples[i] = uint16_t(100 + i % 50);
    b.samples[i] = uint16_t(a.samples[i] + 3);  // MSE 9 on every channel and on Y
  }
  const double expected = 10 * std::log10(255.0 * 255.0 / 9.0);
  CHECK(psnr_rgb(a, b).value() == Approx(expected).margin(1e-12));
  CHECK(psnr_y(a, b).value() == Approx(expected).margin(1e-9));
  CHECK(psnr_rgb(a, a).value() == kPsnrCapDb);
}

TEST_CASE("SSIM matches scikit-image; MS-SSIM matches a port of pytorch_msssim", "[eval]") {
  const Image a = load("a.png"), b = load("b.png"), c = load("c.png");
  // /usr/bin/python3 tests/eval/data/reference_values.py (scikit-image 0.19.3,
  // structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
  // data_range=255, channel_axis=2); MS-SSIM from the numpy port of pytorch_msssim in that file).
  const SsimValue ssim_b = ssim(a, b).value(), ssim_c = ssim(a, c).value();
  CHECK(ssim_b.ssim == Approx(0.9012304225853743).margin(1e-10));
  CHECK(ssim_b.contrast_structure == Approx(0.9017445605358277).margin(1e-10));
  CHECK(ssim_c.ssim == Approx(0.9406640892168684).margin(1e-10));
  CHECK(ssim_c.contrast_structure == Approx(0.940788158633589).margin(1e-10));
  CHECK(ms_ssim(a, b).value() == Approx(0.9663701946907065).margin(1e-10));
  CHECK(ms_ssim(a, c).value() == Approx(0.9883644163071015).margin(1e-10));
}

TEST_CASE("MS-SSIM properties: identity is 1, more distortion is lower", "[eval]") {
  const Image a = load("a.png"), b = load("b.png"), c = load("c.png");
  CHECK(ms_ssim(a, a).value() == Approx(1.0).margin(1e-12));
  CHECK(ms_ssim(a, b).value() < ms_ssim(a, c).value());
  CHECK(ms_ssim(a, c).value() < 1.0);
}

TEST_CASE("Metric errors: small images for MS-SSIM, mismatched sizes, 16-bit", "[eval]") {
  const Image small = make_image(175, 200, 3, 8).value();
  auto result = ms_ssim(small, small);
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == ErrorCode::kInvalidArgument);
  CHECK(result.status().message().find("at least 176x176") != std::string::npos);

  const Image other = make_image(176, 200, 3, 8).value();
  CHECK(psnr_rgb(small, other).status().code() == ErrorCode::kInvalidArgument);
  const Image deep = make_image(175, 200, 3, 16).value();
  CHECK(psnr_y(deep, deep).status().code() == ErrorCode::kInvalidArgument);
}

TEST_CASE("Metrics on gray images use the one channel", "[eval]") {
  Image a = make_image(8, 8, 1, 8).value(), b = a;
  for (size_t i = 0; i < a.samples.size(); ++i) b.samples[i] = uint16_t(i % 2 ? 2 : 0);
  const double expected = 10 * std::log10(255.0 * 255.0 / 2.0);
  CHECK(psnr_rgb(a, b).value() == Approx(expected).margin(1e-12));
  CHECK(psnr_y(a, b).value() == Approx(expected).margin(1e-12));
}
