// The oneDNN transforms (engine/) against the LibTorch networks (networks/) on the shipped model:
// the same analysis, hyper-analysis and synthesis up to float rounding.
// LibTorch first: it brings glog's CHECK, which Catch's CHECK must replace.
#include "networks/model_io.h"

#include <cmath>
#include <random>
#include <thread>

#include "codec/codec_test_support.h"
#include "engine/photo_engine.h"
#include "common/file_io.h"
#include "eval/metrics.h"
#include "formats/safetensors.h"
#include "networks/photo_model.h"

#undef CHECK
#include <catch2/catch.hpp>

namespace facet {
namespace {

struct Loaded {
  TensorFile file;
  ModelBundle bundle;
  std::shared_ptr<PhotoEngine> engine;
};

const Loaded& shipped() {
  static Loaded* loaded = [] {
    auto l = new Loaded;
    auto bytes = read_file(std::string(FACET_SOURCE_DIR) + "/models/facet-photo.safetensors.zst", kMaxWeightsFileBytes);
    REQUIRE(bytes.ok());
    auto file = decode_weights_file(bytes->data(), bytes->size());
    REQUIRE(file.ok());
    l->file = std::move(file).value();
    auto bundle = model_from_tensor_file(l->file);
    REQUIRE(bundle.ok());
    l->bundle = std::move(bundle).value();
    auto engine = PhotoEngine::create(l->file, l->bundle.net->config());
    REQUIRE(engine.ok());
    l->engine = std::move(engine).value();
    return l;
  }();
  return *loaded;
}

// Largest absolute difference, and the largest magnitude of the reference.
std::pair<double, double> compare(const float* a, const torch::Tensor& reference) {
  auto r = reference.contiguous();
  const float* b = r.data_ptr<float>();
  double diff = 0, peak = 0;
  for (int64_t i = 0; i < r.numel(); ++i) {
    diff = std::max(diff, double(std::fabs(a[i] - b[i])));
    peak = std::max(peak, double(std::fabs(b[i])));
  }
  return {diff, peak};
}

TEST_CASE("the oneDNN transforms compute what the LibTorch networks compute", "[engine]") {
  const Loaded& l = shipped();
  PhotoModel net = l.bundle.net;
  const ModelConfig& config = net->config();
  torch::NoGradGuard no_grad;
  torch::manual_seed(7);
  // A smooth image with some texture, 96 x 128 pixels (6 x 8 latents).
  auto x = (torch::rand({1, 3, 6, 8}).repeat_interleave(16, 2).repeat_interleave(16, 3) * 0.7 +
            torch::rand({1, 3, 96, 128}) * 0.3).contiguous();
  std::vector<float> y(size_t(config.m) * 6 * 8);
  REQUIRE(l.engine->analysis(x.data_ptr<float>(), 96, 128, TransformPrecision::kFp32, y.data()).ok());
  auto y_ref = net->analysis(x);
  auto [dy, py] = compare(y.data(), y_ref);
  INFO("analysis: max |diff| " << dy << " of values up to " << py);
  CHECK(dy < 1e-4 * std::max(1.0, py));

  // Gains as PhotoModel's.
  const double t = 4.3;
  auto gain_ref = net->gain(t).flatten();
  auto gain = l.engine->gain(t);
  CHECK(compare(gain.data(), gain_ref).first < 1e-5);

  auto yg = (y_ref * net->gain(t)).contiguous();
  std::vector<float> z(size_t(config.hyper_n) * 2 * 2);
  auto y_pad = torch::nn::functional::pad(yg, torch::nn::functional::PadFuncOptions({0, 0, 0, 2})).contiguous();  // 8 x 8
  REQUIRE(l.engine->hyper_analysis(y_pad.data_ptr<float>(), 8, 8, z.data()).ok());
  auto [dz, pz] = compare(z.data(), net->hyper_analysis(y_pad));
  INFO("hyper-analysis: max |diff| " << dz << " of values up to " << pz);
  CHECK(dz < 1e-4 * std::max(1.0, pz));

  auto y_hat = (torch::round(yg) * net->inverse_gain(t)).contiguous();
  std::vector<float> out(size_t(3) * 96 * 128);
  REQUIRE(l.engine->synthesis(y_hat.data_ptr<float>(), 6, 8, l.engine->synthesis_scales(t), TransformPrecision::kFp32,
                              out.data()).ok());
  auto [dx, px] = compare(out.data(), net->synthesis(y_hat, net->synthesis_scales(t)));
  INFO("synthesis: max |diff| " << dx << " of values up to " << px);
  CHECK(dx < 1e-4);
}

TEST_CASE("the oneDNN transforms give the same numbers on every thread", "[engine]") {
  const Loaded& l = shipped();
  const ModelConfig& config = l.engine->config();
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(0, 1);
  std::vector<float> x(size_t(3) * 64 * 64);
  for (float& v : x) v = u(rng);
  std::vector<float> a(size_t(config.m) * 16), b(a.size());
  REQUIRE(l.engine->analysis(x.data(), 64, 64, TransformPrecision::kFp32, a.data()).ok());
  std::thread other([&] { REQUIRE(l.engine->analysis(x.data(), 64, 64, TransformPrecision::kFp32, b.data()).ok()); });
  other.join();
  CHECK(a == b);
}

TEST_CASE("the oneDNN engine refuses what it cannot compute", "[engine]") {
  const Loaded& l = shipped();
  std::vector<float> x(3 * 40 * 40), y(1 << 16);
  CHECK(l.engine->analysis(x.data(), 40, 40, TransformPrecision::kFp32, y.data()).code() == ErrorCode::kInvalidArgument);
  TensorFile broken = l.file;
  broken.tensors.erase("g_s.2.conv.weight");
  auto engine = PhotoEngine::create(broken, l.engine->config());
  REQUIRE_FALSE(engine.ok());
  CHECK(engine.status().code() == ErrorCode::kCorrupt);
}

TEST_CASE("the oneDNN synthesis applies the rate's channel scales as the LibTorch one does", "[engine]") {
  ModelConfig c;
  c.n = 16;
  c.m = 24;
  c.hyper_n = 16;
  c.groups = 2;
  c.chroma = 8;
  c.lambdas = {0.005, 0.02};
  c.synthesis_rate_scales = true;
  torch::manual_seed(11);
  PhotoModel net(c);
  {
    torch::NoGradGuard no_grad;
    net->log_synthesis_scales.uniform_(-0.7, 0.7);
    for (auto& p : net->g_s->parameters()) p.add_(torch::randn_like(p) * 0.01);
  }
  auto tables = bake_entropy_tables(net);
  REQUIRE(tables.ok());
  auto file = model_to_tensor_file(net, *tables);
  REQUIRE(file.ok());
  auto engine = PhotoEngine::create(*file, c);
  REQUIRE(engine.ok());
  torch::NoGradGuard no_grad;
  auto y_hat = torch::randn({1, c.m, 3, 5}).contiguous();
  const double t = 0.4;
  std::vector<float> out(size_t(3) * 48 * 80);
  REQUIRE((*engine)->synthesis(y_hat.data_ptr<float>(), 3, 5, (*engine)->synthesis_scales(t), TransformPrecision::kFp32,
                               out.data()).ok());
  auto reference = net->synthesis(y_hat, net->synthesis_scales(t));
  auto [diff, peak] = compare(out.data(), reference);
  INFO("max |diff| " << diff << " of values up to " << peak);
  CHECK(diff < 1e-4 * std::max(1.0, peak));
  // Without the scales the output differs: the test sees them.
  REQUIRE((*engine)->synthesis(y_hat.data_ptr<float>(), 3, 5, {}, TransformPrecision::kFp32, out.data()).ok());
  CHECK(compare(out.data(), reference).first > 1e-3);
}

double psnr(const Image& a, const Image& b) { return psnr_rgb(a, b).value(); }

// The two backends on the shipped model: the same rate and quality, and each one's files decode
// with the other (the file format does not depend on what ran the transforms).
TEST_CASE("the oneDNN and LibTorch paths code the shipped model alike", "[engine][shipped]") {
  const std::string path = std::string(FACET_SOURCE_DIR) + "/models/facet-photo.safetensors.zst";
  auto onednn = load_codec_model(path, TransformsBackend::kOnednn);
  auto libtorch = load_codec_model(path, TransformsBackend::kLibTorch);
  REQUIRE(onednn.ok());
  REQUIRE(libtorch.ok());
  CHECK(std::string((*onednn)->transforms->backend_name()) == "onednn");
  CHECK(std::string((*libtorch)->transforms->backend_name()) == "libtorch");
  const Image image = test::corpus_image(384, 320);
  for (double quality : {20.0, 60.0, 95.0}) {
    CAPTURE(quality);
    CompressOptions encode;
    encode.quality = quality;
    encode.threads = 2;
    auto a = compress_image(image, **onednn, encode);
    auto b = compress_image(image, **libtorch, encode);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    DecompressOptions decode;
    decode.threads = 2;
    auto da = decompress_image(a->data(), a->size(), **onednn, decode);
    auto db = decompress_image(b->data(), b->size(), **libtorch, decode);
    auto dba = decompress_image(b->data(), b->size(), **onednn, decode);  // LibTorch's file, oneDNN's decoder
    REQUIRE(da.ok());
    REQUIRE(db.ok());
    REQUIRE(dba.ok());
    const double bpp_a = 8.0 * a->size() / image.pixel_count(), bpp_b = 8.0 * b->size() / image.pixel_count();
    CAPTURE(bpp_a, bpp_b, psnr(image, *da), psnr(image, *db));
    CHECK(std::fabs(bpp_a / bpp_b - 1) < 0.005);
    CHECK(std::fabs(psnr(image, *da) - psnr(image, *db)) < 0.05);
    CHECK(psnr(*db, *dba) > 50.0);  // the same latents through either synthesis
  }
}

}  // namespace
}  // namespace facet
