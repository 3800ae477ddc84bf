// Editable factors: the appearance transforms (plain C++), the factor streams of a photo model
// with a chroma group (edit, drop, decompress-time edits), and sprite files of a sprites model.
// LibTorch first: it brings glog's CHECK, which Catch's CHECK must replace.
#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "model/appearance.h"
#include "codec/codec.h"
#include "bitstream/factor_edit.h"
#include "networks/model_io.h"
#include "torch_codec/sprite_codec.h"
#include "sprites/sprite_render.h"
#include "sprites/sprites_codec_model.h"
#include "sprites/sprites_model.h"
#include "entropy/quantized_cdf.h"
#include "formats/container.h"
#include "formats/image_io.h"
#include "formats/safetensors.h"
#include "codec/codec_test_support.h"
#include "test_support.h"

#undef CHECK
#include <catch2/catch.hpp>

namespace facet {
namespace {

// ---------------------------------------------------------------------------------------------
// Appearance transforms

// Smooth colour gradients plus a little per-pixel texture, every value in [0.3, 0.7]: with the
// small deltas below the transformed values stay well inside (0.05, 0.95), so nothing clips.
RgbPlanes synthetic_planes(size_t width, size_t height, uint64_t seed) {
  test::Rng rng(seed);
  RgbPlanes p;
  p.width = width;
  p.height = height;
  p.pixels = width * height;
  p.r.resize(p.pixels);
  p.g.resize(p.pixels);
  p.b.resize(p.pixels);
  for (size_t y = 0; y < height; ++y)
    for (size_t x = 0; x < width; ++x) {
      const size_t i = y * width + x;
      const double u = double(x) / width, v = double(y) / height;
      p.r[i] = float(0.5 + 0.15 * std::sin(6.0 * u + 1.0) + 0.03 * (rng.uniform() - 0.5));
      p.g[i] = float(0.5 + 0.15 * std::cos(5.0 * v + 2.0 * u) + 0.03 * (rng.uniform() - 0.5));
      p.b[i] = float(0.5 + 0.15 * std::sin(4.0 * (u + v)) + 0.03 * (rng.uniform() - 0.5));
    }
  return p;
}

// Largest absolute difference of two images' samples, and whether every sample of an image is in
// the open interval (lo, hi).
double max_sample_difference(const RgbPlanes& a, const RgbPlanes& b) {
  double worst = 0;
  for (size_t i = 0; i < a.pixels; ++i) {
    worst = std::max(worst, double(std::fabs(a.r[i] - b.r[i])));
    worst = std::max(worst, double(std::fabs(a.g[i] - b.g[i])));
    worst = std::max(worst, double(std::fabs(a.b[i] - b.b[i])));
  }
  return worst;
}

bool inside(const RgbPlanes& p, float lo, float hi) {
  for (size_t i = 0; i < p.pixels; ++i)
    for (float v : {p.r[i], p.g[i], p.b[i]})
      if (!(v > lo && v < hi)) return false;
  return true;
}

TEST_CASE("AppearanceFactorNamesParse", "[factors][appearance]") {
  REQUIRE(kAppearanceFactors.size() == 5);
  const std::vector<std::string> names = {"exposure", "contrast", "saturation", "temperature", "tint"};
  for (int k = 0; k < kAppearanceFactorCount; ++k) {
    CHECK(kAppearanceFactors[k].name == names[k]);
    CHECK(appearance_factor_index(kAppearanceFactors[k].name) == k);
    CHECK(kAppearanceFactors[k].quant_step > 0);
    CHECK(kAppearanceFactors[k].min < kAppearanceFactors[k].prior_mean);
    CHECK(kAppearanceFactors[k].prior_mean < kAppearanceFactors[k].max);
  }
  CHECK(appearance_factor_index("hue") == -1);
  CHECK(appearance_factor_index("") == -1);
  CHECK(appearance_factor_index("Exposure") == -1);
}

TEST_CASE("AppearanceDeltaMovesItsFactorByExactlyDelta", "[factors][appearance]") {
  const RgbPlanes x = synthetic_planes(61, 45, 1);  // edge blocks of 5 and 5 pixels
  const AppearanceVector before = measure_appearance(x);
  std::vector<AppearanceVector> deltas;
  const double amounts[kAppearanceFactorCount] = {0.3, -0.2, 0.25, -0.15, 0.1};
  for (int k = 0; k < kAppearanceFactorCount; ++k) {
    AppearanceVector d{};
    d[k] = amounts[k];
    deltas.push_back(d);
    d[k] = -amounts[k];
    deltas.push_back(d);
  }
  deltas.push_back({0.2, 0.15, -0.2, 0.1, -0.05});  // all five at once
  for (const AppearanceVector& d : deltas) {
    RgbPlanes y = x;
    apply_appearance_delta(y, d);
    REQUIRE(inside(y, 0.05f, 0.95f));  // nothing clipped: the identity is exact
    const AppearanceVector after = measure_appearance(y);
    for (int k = 0; k < kAppearanceFactorCount; ++k) {
      INFO("factor " << kAppearanceFactors[k].name << " delta " << d[0] << "," << d[1] << "," << d[2] << ","
                     << d[3] << "," << d[4]);
      CHECK(std::fabs(after[k] - (before[k] + d[k])) < 1e-6);
    }
  }
}

TEST_CASE("AppearanceTransformsComposeAndZeroIsTheIdentity", "[factors][appearance]") {
  const RgbPlanes x = synthetic_planes(40, 33, 2);
  RgbPlanes same = x;
  apply_appearance_delta(same, AppearanceVector{});
  CHECK(max_sample_difference(same, x) < 1e-6);

  const AppearanceVector d1 = {0.2, -0.1, 0.15, 0.1, -0.05}, d2 = {-0.1, 0.2, -0.25, -0.05, 0.1};
  AppearanceVector sum{};
  for (int k = 0; k < kAppearanceFactorCount; ++k) sum[k] = d1[k] + d2[k];
  RgbPlanes twice = x, once = x;
  apply_appearance_delta(twice, d1);
  REQUIRE(inside(twice, 0.05f, 0.95f));
  apply_appearance_delta(twice, d2);
  apply_appearance_delta(once, sum);
  REQUIRE(inside(once, 0.05f, 0.95f));
  REQUIRE(inside(twice, 0.05f, 0.95f));
  CHECK(max_sample_difference(twice, once) < 1e-5);  // float samples between the two steps

  // Imposing a target reaches it (what the decoder does with the stored factors).
  AppearanceVector target = measure_appearance(x);
  target[0] += 0.1;
  target[2] -= 0.2;
  target[4] += 0.05;
  RgbPlanes imposed = x;
  impose_appearance(imposed, target);
  const AppearanceVector reached = measure_appearance(imposed);
  for (int k = 0; k < kAppearanceFactorCount; ++k) CHECK(std::fabs(reached[k] - target[k]) < 1e-6);
}

TEST_CASE("GrayStaysGrayUnderExposureAndContrastEdits", "[factors][appearance]") {
  RgbPlanes x = synthetic_planes(32, 24, 3);
  x.g = x.r;
  x.b = x.r;
  for (const AppearanceVector& d : {AppearanceVector{0.4, 0, 0, 0, 0}, AppearanceVector{0, -0.3, 0, 0, 0},
                                    AppearanceVector{-0.5, 0.4, 0, 0, 0}}) {
    RgbPlanes y = x;
    apply_appearance_delta(y, d);
    for (size_t i = 0; i < y.pixels; ++i) {
      REQUIRE(y.r[i] == y.g[i]);
      REQUIRE(y.r[i] == y.b[i]);
    }
    CHECK(max_sample_difference(y, x) > 1e-3);  // it did change
  }
  const AppearanceVector f = measure_appearance(x);
  CHECK(std::fabs(f[3]) < 1e-12);  // temperature: no warm/cool cast
  CHECK(std::fabs(f[4]) < 1e-12);  // tint
}

double bt601(const RgbPlanes& p, size_t i) { return 0.299 * p.r[i] + 0.587 * p.g[i] + 0.114 * p.b[i]; }

TEST_CASE("ColourFactorsKeepEveryPixelsLuma", "[factors][appearance]") {
  // Saturation, temperature and tint move colour only: the BT.601 luma of every pixel stays.
  const RgbPlanes x = synthetic_planes(48, 40, 4);
  for (const AppearanceVector& d : {AppearanceVector{0, 0, 0.6, 0, 0}, AppearanceVector{0, 0, -1.0, 0, 0},
                                    AppearanceVector{0, 0, 0, 0.3, 0}, AppearanceVector{0, 0, 0.2, -0.2, 0.15}}) {
    RgbPlanes y = x;
    apply_appearance_delta(y, d);
    REQUIRE(inside(y, 0.0f, 1.0f));
    double worst = 0;
    for (size_t i = 0; i < x.pixels; ++i) worst = std::max(worst, std::fabs(bt601(y, i) - bt601(x, i)));
    CHECK(worst < 1e-6);
    CHECK(max_sample_difference(y, x) > 1e-3);  // the colours did change
  }
}

TEST_CASE("GrayVersionHasTheColourImagesLuminanceFactors", "[factors][appearance]") {
  // The decode without chroma is the luma image; its exposure and contrast are the colour
  // image's, so the stored values show it as they show the colour image; exposure and contrast
  // edits of the colour image move its luma exactly as they move the gray image.
  const RgbPlanes x = synthetic_planes(50, 37, 5);
  auto gray_of = [](const RgbPlanes& p) {
    RgbPlanes g = p;
    for (size_t i = 0; i < p.pixels; ++i) g.r[i] = g.g[i] = g.b[i] = float(bt601(p, i));
    return g;
  };
  const AppearanceVector colour = measure_appearance(x), gray = measure_appearance(gray_of(x));
  CHECK(std::fabs(colour[0] - gray[0]) < 1e-6);  // exposure
  CHECK(std::fabs(colour[1] - gray[1]) < 1e-6);  // contrast
  const AppearanceVector d = {0.3, -0.2, 0, 0, 0};
  RgbPlanes edited = x, edited_gray = gray_of(x);
  apply_appearance_delta(edited, d);
  apply_appearance_delta(edited_gray, d);
  REQUIRE(inside(edited, 0.0f, 1.0f));
  double worst = 0;
  for (size_t i = 0; i < x.pixels; ++i) worst = std::max(worst, std::fabs(bt601(edited, i) - edited_gray.r[i]));
  CHECK(worst < 1e-5);
}

// ---------------------------------------------------------------------------------------------
// Photo model factors

using test::tiny_chroma_model;
using test::corpus_image;

const GlobalFactorModel& global_named(const std::vector<GlobalFactorModel>& globals, const std::string& name) {
  for (const auto& g : globals)
    if (g.name == name) return g;
  FAIL("no global factor " << name);
  return globals.front();
}

const Bytes& stream_named(const FctFile& file, const std::string& name) {
  const int at = file.header.find(name);
  REQUIRE(at >= 0);
  return file.streams[size_t(at)];
}

double mean_luma(const Image& image) {
  double s = 0;
  for (uint64_t p = 0; p < image.pixel_count(); ++p)
    for (int c = 0; c < 3; ++c) s += image.samples[p * image.channels + c];
  return s / (3.0 * image.pixel_count());
}

TEST_CASE("ImposingOnInterleavedSamplesEqualsThePlanesPathForAnyThreadCount", "[factors][appearance]") {
  // The decoder imposes the stored factors on its 8-bit samples in place; the planes path
  // (image_planes, impose_appearance, put_planes) defines the result. RGB, RGBA and gray.
  const AppearanceVector target = {-0.7, 0.4, -1.2, 0.5, -0.1};
  for (int channels : {3, 4, 1}) {
    const Image rgb = corpus_image(61, 37);  // not a multiple of the 8x8 blocks
    Image image = make_image(61, 37, uint8_t(channels), 8).value();
    for (uint64_t p = 0; p < image.pixel_count(); ++p)
      for (int c = 0; c < channels; ++c)
        image.samples[p * channels + c] = c < 3 ? rgb.samples[p * 3 + (channels == 1 ? 1 : c)] : uint16_t(p % 256);
    for (ImposedFactors which : {ImposedFactors::kAll, ImposedFactors::kLuminance}) {
      INFO("channels " << channels << (which == ImposedFactors::kAll ? ", all factors" : ", luminance"));
      Image expected = image;
      RgbPlanes planes = image_planes(expected);
      impose_appearance(planes, target, 1, which);
      put_planes(planes, &expected);
      for (int threads : {1, 2, 3}) {
        Image got = image;
        impose_appearance(samples_of(got), target, threads, which);
        CHECK(got.samples == expected.samples);
      }
    }
  }
}

TEST_CASE("MeasuringInterleavedSamplesEqualsThePlanesPath", "[factors][appearance]") {
  // The encoder measures its input's 8- or 16-bit samples in place; image_planes defines the numbers.
  for (int bits : {8, 16}) {
    for (int channels : {3, 4, 1}) {
      const Image rgb = corpus_image(45, 29);
      Image image = make_image(45, 29, uint8_t(channels), uint8_t(bits)).value();
      for (uint64_t p = 0; p < image.pixel_count(); ++p)
        for (int c = 0; c < channels; ++c) {
          const uint16_t v = c < 3 ? rgb.samples[p * 3 + (channels == 1 ? 1 : c)] : uint16_t(p % 256);
          image.samples[p * channels + c] = bits == 16 ? uint16_t(v * 257 + p % 13) : v;
        }
      INFO(bits << "-bit, " << channels << " channels");
      const AppearanceVector expected = measure_appearance(image_planes(image));
      for (int threads : {1, 3}) CHECK(measure_appearance(samples_of(image), threads) == expected);
    }
  }
}

TEST_CASE("PhotoFilesCarryTheFactorTable", "[factors][codec]") {
  auto model = tiny_chroma_model();
  auto bytes = compress_image(corpus_image(96, 80), *model, CompressOptions{});
  REQUIRE(bytes.ok());
  auto file = read_fct(bytes->data(), bytes->size());
  REQUIRE(file.ok());
  struct Want {
    std::string name;
    FactorKind kind;
    StreamCoder coder;
  };
  const std::vector<Want> want = {
      {"hyper", FactorKind::kHyper, StreamCoder::kRansFactorized},
      {"structure.0", FactorKind::kSpatial, StreamCoder::kRansGaussian},
      {"structure.1", FactorKind::kSpatial, StreamCoder::kRansGaussian},
      {"chroma", FactorKind::kSpatial, StreamCoder::kRansGaussian},
      {"exposure", FactorKind::kGlobal, StreamCoder::kShort},
      {"contrast", FactorKind::kGlobal, StreamCoder::kShort},
      {"saturation", FactorKind::kGlobal, StreamCoder::kShort},
      {"temperature", FactorKind::kGlobal, StreamCoder::kShort},
      {"tint", FactorKind::kGlobal, StreamCoder::kShort},
  };
  REQUIRE(file->header.factors.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    const FactorEntry& f = file->header.factors[i];
    INFO("factor " << i << " " << f.name);
    CHECK(f.name == want[i].name);
    CHECK(f.kind == want[i].kind);
    CHECK(f.coder == want[i].coder);
    CHECK(f.element_type == ElementType::kI32);
  }
  const int chroma = file->header.find("chroma");
  CHECK(file->header.factors[chroma].shape == std::vector<uint32_t>{8, 8, 8});  // 96x80 pads to 128x128
  CHECK(file->header.factors[file->header.find("structure.0")].shape == std::vector<uint32_t>{12, 8, 8});

  // The global factors: one symbol each, at the model's step; the stored values are the image's
  // measured appearance (to the step).
  const auto globals = model->global_factors();
  REQUIRE(globals.size() == kAppearanceFactorCount);
  const AppearanceVector measured = measure_appearance(image_planes(corpus_image(96, 80)));
  for (int k = 0; k < kAppearanceFactorCount; ++k) {
    const GlobalFactorModel& g = global_named(globals, kAppearanceFactors[k].name);
    const FactorEntry& f = file->header.factors[file->header.find(g.name)];
    CHECK(f.shape == std::vector<uint32_t>{1});
    CHECK(f.quant_step == float(kAppearanceFactors[k].quant_step));
    auto v = read_global_factor(*file, g);
    REQUIRE(v.ok());
    CHECK(std::fabs(*v - measured[k]) <= 0.5 * g.step + 1e-9);
  }
}

TEST_CASE("SettingExposureRewritesOnlyItsStream", "[factors][codec]") {
  auto model = tiny_chroma_model();
  auto bytes = compress_image(corpus_image(96, 80), *model, CompressOptions{});
  REQUIRE(bytes.ok());
  const auto globals = model->global_factors();
  const GlobalFactorModel& exposure = global_named(globals, "exposure");
  const FctFile original = read_fct(bytes->data(), bytes->size()).value();
  const double before = read_global_factor(original, exposure).value();

  auto setting = parse_factor_setting("exposure=+0.5");
  REQUIRE(setting.ok());
  std::map<std::string, FactorSetting> settings = {*setting};
  auto edited = edit_fct_bytes(bytes->data(), bytes->size(), globals, settings, {});
  REQUIRE(edited.ok());
  CHECK(*edited != *bytes);
  auto file = read_fct(edited->data(), edited->size());
  REQUIRE(file.ok());
  const double after = read_global_factor(*file, exposure).value();
  CHECK(std::fabs(after - (before + 0.5)) <= exposure.step);
  // Every other stream is copied byte for byte.
  REQUIRE(file->header.factors.size() == original.header.factors.size());
  for (size_t i = 0; i < original.header.factors.size(); ++i) {
    const std::string& name = original.header.factors[i].name;
    CHECK(file->header.factors[i].name == name);
    if (name != "exposure") {
      INFO("stream " << name);
      CHECK(stream_named(*file, name) == stream_named(original, name));
    }
  }
  // An absolute setting, and a relative decrease.
  auto absolute = edit_fct_bytes(bytes->data(), bytes->size(), globals, {*parse_factor_setting("exposure:=-1")}, {});
  REQUIRE(absolute.ok());
  CHECK(std::fabs(read_global_factor(read_fct(absolute->data(), absolute->size()).value(), exposure).value() + 1.0) <=
        exposure.step);
  auto lower = edit_fct_bytes(bytes->data(), bytes->size(), globals, {*parse_factor_setting("exposure=-0.25")}, {});
  REQUIRE(lower.ok());
  CHECK(std::fabs(read_global_factor(read_fct(lower->data(), lower->size()).value(), exposure).value() -
                  (before - 0.25)) <= exposure.step);

  // The edited file decodes, brighter than the original.
  auto a = decompress_image(bytes->data(), bytes->size(), *model, DecompressOptions{});
  auto b = decompress_image(edited->data(), edited->size(), *model, DecompressOptions{});
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(b->width == 96);
  CHECK(b->height == 80);
  INFO("mean sample before " << mean_luma(*a) << " after " << mean_luma(*b));
  CHECK(mean_luma(*b) > mean_luma(*a));

  // The same edit at decompress time (edit_factors on the parsed file) gives the same pixels.
  FctFile parsed = read_fct(bytes->data(), bytes->size()).value();
  REQUIRE(edit_factors(parsed, globals, settings, {}).ok());
  auto c = decompress_fct(parsed, *model, DecompressOptions{});
  REQUIRE(c.ok());
  CHECK(c->samples == b->samples);
}

TEST_CASE("DroppingFactors", "[factors][codec]") {
  auto model = tiny_chroma_model();
  auto bytes = compress_image(corpus_image(96, 80), *model, CompressOptions{});
  REQUIRE(bytes.ok());
  const auto globals = model->global_factors();
  const FctFile original = read_fct(bytes->data(), bytes->size()).value();

  SECTION("chroma: a smaller file that decodes gray") {
    const size_t chroma_bytes = stream_named(original, "chroma").size();
    REQUIRE(chroma_bytes > 0);
    auto dropped = edit_fct_bytes(bytes->data(), bytes->size(), globals, {}, {"chroma"});
    REQUIRE(dropped.ok());
    auto file = read_fct(dropped->data(), dropped->size());
    REQUIRE(file.ok());
    CHECK(file->header.find("chroma") < 0);
    CHECK(file->header.factors.size() == original.header.factors.size() - 1);
    CHECK(bytes->size() - dropped->size() >= chroma_bytes);
    auto out = decompress_image(dropped->data(), dropped->size(), *model, DecompressOptions{});
    REQUIRE(out.ok());
    REQUIRE(out->channels == 3);
    for (uint64_t p = 0; p < out->pixel_count(); ++p) {
      const uint16_t* s = &out->samples[p * 3];
      REQUIRE(s[0] == s[1]);
      REQUIRE(s[0] == s[2]);
    }
    // Dropping at decompress time is the same decode.
    DecompressOptions drop;
    drop.drop = {"chroma"};
    auto same = decompress_image(bytes->data(), bytes->size(), *model, drop);
    REQUIRE(same.ok());
    CHECK(same->samples == out->samples);
  }

  SECTION("structure.1 and a global factor") {
    auto dropped = edit_fct_bytes(bytes->data(), bytes->size(), globals, {}, {"structure.1", "tint"});
    REQUIRE(dropped.ok());
    CHECK(dropped->size() < bytes->size());
    auto file = read_fct(dropped->data(), dropped->size()).value();
    CHECK(file.header.find("structure.1") < 0);
    CHECK(file.header.find("tint") < 0);
    auto out = decompress_image(dropped->data(), dropped->size(), *model, DecompressOptions{});
    REQUIRE(out.ok());
    CHECK(out->width == 96);
    // A dropped global factor cannot be set any more.
    CHECK(edit_fct_bytes(dropped->data(), dropped->size(), globals, {*parse_factor_setting("tint=+0.1")}, {})
              .status()
              .code() == ErrorCode::kInvalidArgument);
  }

  SECTION("errors") {
    auto code = [&](const std::map<std::string, FactorSetting>& settings, const std::set<std::string>& drops) {
      return edit_fct_bytes(bytes->data(), bytes->size(), globals, settings, drops).status().code();
    };
    CHECK(code({}, {"hyper"}) == ErrorCode::kInvalidArgument);
    CHECK(code({}, {"structure.7"}) == ErrorCode::kInvalidArgument);
    CHECK(code({}, {"no-such-factor"}) == ErrorCode::kInvalidArgument);
    CHECK(code({{"no-such-factor", FactorSetting{1.0, false}}}, {}) == ErrorCode::kInvalidArgument);
    CHECK(code({{"structure.0", FactorSetting{1.0, false}}}, {}) == ErrorCode::kInvalidArgument);  // not global
    CHECK(code({{"exposure", FactorSetting{0.5, true}}}, {"exposure"}) == ErrorCode::kInvalidArgument);
    // Nothing is set without the model's global factors.
    CHECK(edit_fct_bytes(bytes->data(), bytes->size(), {}, {{"exposure", FactorSetting{0.5, true}}}, {})
              .status()
              .code() == ErrorCode::kInvalidArgument);
    // The failed edits left the input as it was, and no edit is a copy.
    auto unchanged = edit_fct_bytes(bytes->data(), bytes->size(), globals, {}, {});
    REQUIRE(unchanged.ok());
    CHECK(*unchanged == *bytes);
  }
}

TEST_CASE("FactorSettingsParse", "[factors]") {
  auto parsed = [](const std::string& text) {
    auto p = parse_factor_setting(text);
    REQUIRE(p.ok());
    return *p;
  };
  auto a = parsed("exposure=+0.5");
  CHECK(a.first == "exposure");
  CHECK(a.second.relative);
  CHECK(a.second.value == 0.5);
  auto b = parsed("exposure=0.5");
  CHECK(b.first == "exposure");
  CHECK_FALSE(b.second.relative);
  CHECK(b.second.value == 0.5);
  auto c = parsed("exposure:=-1");
  CHECK(c.first == "exposure");
  CHECK_FALSE(c.second.relative);
  CHECK(c.second.value == -1.0);
  auto d = parsed("tint=-0.25");
  CHECK(d.second.relative);
  CHECK(d.second.value == -0.25);
  auto e = parsed("posX.2=0.75");
  CHECK(e.first == "posX.2");
  for (const char* bad : {"exposure=abc", "=1", "exposure", "exposure=", ":=1", "exposure=1x", "exposure=nan",
                          "exposure=1e999", ""}) {
    INFO("setting '" << bad << "'");
    CHECK(parse_factor_setting(bad).status().code() == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("WriteGlobalFactorClampsToItsTable", "[factors][codec]") {
  auto model = tiny_chroma_model();
  auto bytes = compress_image(corpus_image(64, 64), *model, CompressOptions{});
  REQUIRE(bytes.ok());
  const auto globals = model->global_factors();
  const GlobalFactorModel& contrast = global_named(globals, "contrast");
  FctFile file = read_fct(bytes->data(), bytes->size()).value();
  REQUIRE(write_global_factor(file, contrast, 1e6).ok());
  const double high = read_global_factor(file, contrast).value();
  CHECK(high <= kAppearanceFactors[1].max + contrast.step);
  CHECK(high >= kAppearanceFactors[1].max - contrast.step);
  REQUIRE(write_global_factor(file, contrast, -1e6).ok());
  CHECK(read_global_factor(file, contrast).value() >= kAppearanceFactors[1].min - contrast.step);
  CHECK(write_global_factor(file, contrast, std::nan("")).code() == ErrorCode::kInvalidArgument);
  auto rewritten = write_fct(file.header, file.streams);
  REQUIRE(rewritten.ok());
  CHECK(decompress_image(rewritten->data(), rewritten->size(), *model, DecompressOptions{}).ok());
}

// ---------------------------------------------------------------------------------------------
// Sprites codec

// A discretized N(0, 1) over +-5 at `step` (what bake_sprites_codec stores).
}  // namespace
}  // namespace facet
