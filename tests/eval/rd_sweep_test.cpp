// Tests of the facet rd sweep with the OpenCV baselines: job-count independence, BD tables, plot.
#include <catch2/catch.hpp>
#include <fstream>

#include "eval/baselines.h"
#include "eval/rd_plot.h"
#include "eval/rd_sweep.h"
#include "test_support.h"

using namespace facet;

namespace {

std::vector<RdImage> noisy_images() {
  std::vector<RdImage> images;
  test::Rng rng(7);
  for (int n = 0; n < 2; ++n) {
    Image image = make_image(64, 48, 3, 8).value();
    for (uint32_t y = 0; y < image.height; ++y)
      for (uint32_t x = 0; x < image.width; ++x)
        for (int c = 0; c < 3; ++c) image.at(x, y, c) = uint16_t((x * 3 + y * 2 + c * 40 + rng.below(24)) % 256);
    images.push_back({"image" + std::to_string(n), image});
  }
  return images;
}

}  // namespace

TEST_CASE("RD sweep: results do not depend on --jobs; BD of a curve against itself is 0", "[eval]") {
  const RdCodec jpeg = find_baseline("jpeg").value().codec;
  const RdCodec webp = find_baseline("webp").value().codec;
  RdSweepOptions one, three;
  three.jobs = 3;
  size_t calls = 0;
  one.progress = [&](size_t, size_t) { ++calls; };
  const auto a = run_rd_sweep(noisy_images(), {jpeg, webp}, one).value();
  const auto b = run_rd_sweep(noisy_images(), {jpeg, webp}, three).value();
  CHECK(calls == (jpeg.settings.size() + webp.settings.size()) * 2);
  REQUIRE(a.size() == 2);
  REQUIRE(b.size() == 2);
  for (size_t c = 0; c < a.size(); ++c)
    for (size_t p = 0; p < a[c].means.size(); ++p) {
      CHECK(a[c].means[p].bpp == b[c].means[p].bpp);
      CHECK(a[c].means[p].psnr_rgb == b[c].means[p].psnr_rgb);
    }
  RdReport report;
  report.image_names = {"image0", "image1"};
  report.curves = a;
  report.curves.push_back(a[0]);
  report.curves.back().name = "jpeg again";
  report.anchor = "jpeg";
  REQUIRE(compute_bd(&report).ok());
  REQUIRE(report.vs_anchor.size() == 2);
  CHECK(report.vs_anchor[1].bd_rate_percent == Approx(0).margin(1e-9));
  CHECK(rd_table_text(report).find("webp") != std::string::npos);
  report.anchor = "missing";
  CHECK(compute_bd(&report).code() == ErrorCode::kInvalidArgument);

  const Bytes png = draw_rd_plot(a, {}).value();
  REQUIRE(png.size() > 8);
  CHECK(png[0] == 0x89);
  CHECK(png[1] == 'P');
}

TEST_CASE("Reference curves are read from the published-curves JSON format", "[eval]") {
  const std::string dir = test::make_temp_dir();
  std::ofstream(dir + "/ref.json") << R"({"codecs": {"X": {"bpp": [0.1, 0.2], "psnr": [30, 32], "ms-ssim": [0.9, 0.95]}}})";
  const auto curves = load_reference_curves(dir + "/ref.json").value();
  REQUIRE(curves.size() == 1);
  CHECK(curves[0].name == "ref:X");
  CHECK(curves[0].reference);
  CHECK(curves[0].means[1].psnr_rgb == 32);
  std::ofstream(dir + "/bad.json") << R"({"codecs": {"X": {"bpp": [0.1, 0.2], "psnr": [30]}}})";
  CHECK(load_reference_curves(dir + "/bad.json").status().code() == ErrorCode::kCorrupt);
}

TEST_CASE("RD plot tick labels read their true values", "[eval]") {
  // A grid of 2.5 dB used to print 37.5 as "38" and 32.5 as "32".
  CHECK(axis_tick_label(37.5, 2.5) == "37.5");
  CHECK(axis_tick_label(32.5, 2.5) == "32.5");
  CHECK(axis_tick_label(35.0, 2.5) == "35.0");
  CHECK(axis_tick_label(30.0, 5) == "30");
  CHECK(axis_tick_label(34, 2) == "34");
  CHECK(axis_tick_label(0.25, 0.25) == "0.25");
  CHECK(axis_tick_label(0.2 + 0.2 + 0.2, 0.2) == "0.6");  // accumulated steps
  CHECK(axis_tick_label(1.5, 0.5) == "1.5");
  CHECK(axis_tick_label(0.125, 0.025) == "0.125");
}
