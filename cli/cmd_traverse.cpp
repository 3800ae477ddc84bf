// facet traverse: a grid of decodes, one factor swept per row (drawn with OpenCV; runs in facet-torch).
#include <algorithm>
#include <cstdio>
#include <memory>
#include <opencv2/imgproc.hpp>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "codec/codec.h"
#include "common/file_io.h"
#include "formats/image_io.h"

namespace facet::cli {
namespace {

struct TraverseOptions {
  std::string input, output, model;
  std::vector<std::string> factors;
  int steps = 7;
  int width = 192;
  double quality = 75;
  double span = 2.0;  // global factors: stored value +- span prior standard deviations
  int threads = 0;
  bool force = false;
};

cv::Mat to_bgr(const Image& image) {
  const Image rgb = image;  // 8-bit colour samples (the decoder's output)
  cv::Mat m(int(rgb.height), int(rgb.width), CV_8UC3);
  const int colors = rgb.color_channels();
  for (uint32_t y = 0; y < rgb.height; ++y)
    for (uint32_t x = 0; x < rgb.width; ++x) {
      const uint16_t* s = &rgb.samples[(uint64_t{y} * rgb.width + x) * rgb.channels];
      const int r = s[0], g = s[colors == 1 ? 0 : 1], b = s[colors == 1 ? 0 : 2];
      m.at<cv::Vec3b>(int(y), int(x)) = cv::Vec3b(uint8_t(b), uint8_t(g), uint8_t(r));
    }
  return m;
}

Image from_bgr(const cv::Mat& m) {
  Image image = make_image(uint32_t(m.cols), uint32_t(m.rows), 3, 8).value();
  for (int y = 0; y < m.rows; ++y)
    for (int x = 0; x < m.cols; ++x) {
      const cv::Vec3b v = m.at<cv::Vec3b>(y, x);
      uint16_t* d = &image.samples[(uint64_t(y) * m.cols + x) * 3];
      d[0] = v[2];
      d[1] = v[1];
      d[2] = v[0];
    }
  return image;
}

int run_traverse(const TraverseOptions& o) {
  const int threads = resolve_threads(o.threads);
  if (o.steps < 2 || o.steps > 33 || o.width < 16 || o.width > 2048)
    return report_error(make_error(ErrorCode::kInvalidArgument, "--steps must be 2..33 and --width 16..2048"));
  auto input = read_file(o.input);
  if (!input.ok()) return report_error(input.status());
  auto model = load_model_option(o.model);
  if (!model.ok()) return report_error(model.status());
  Bytes fct = *input;
  if (detect_image_kind(input->data(), input->size()) != ImageFileKind::kFct) {
    auto image = decode_image(input->data(), input->size());
    if (!image.ok()) return report_error(image.status().with_context(o.input));
    CompressOptions c;
    c.quality = o.quality;
    c.threads = threads;
    auto encoded = compress_image(*image, **model, c);
    if (!encoded.ok()) return report_error(encoded.status().with_context(o.input));
    fct = std::move(encoded).value();
  }
  auto file = read_fct(fct.data(), fct.size());
  if (!file.ok()) return report_error(file.status().with_context(o.input));
  const auto globals = (*model)->global_factors();
  // Rows: the requested factors, or every global and spatial factor of the file.
  std::vector<std::string> rows = o.factors;
  if (rows.empty())
    for (const FactorEntry& f : file->header.factors)
      if (f.kind == FactorKind::kGlobal || f.kind == FactorKind::kSpatial) rows.push_back(f.name);
  if (rows.empty()) return report_error(make_error(ErrorCode::kInvalidArgument, "the file has no factor to traverse"));

  const int label_width = 150;
  int tile_h = 0;
  std::vector<cv::Mat> row_images;
  DecompressOptions base;
  base.threads = threads;
  for (const std::string& name : rows) {
    const int at = file->header.find(name);
    if (at < 0) return report_error(make_error(ErrorCode::kInvalidArgument, "the file has no factor '" + name + "'"));
    const FactorEntry& entry = file->header.factors[at];
    const GlobalFactorModel* g = nullptr;
    for (const auto& m : globals)
      if (m.name == name) g = &m;
    if (entry.kind == FactorKind::kGlobal && !g)
      return report_error(make_error(ErrorCode::kInvalidArgument, "factor '" + name + "' is not the model's"));
    if (entry.kind != FactorKind::kGlobal && entry.kind != FactorKind::kSpatial)
      return report_error(make_error(ErrorCode::kInvalidArgument, "factor '" + name + "' is neither global nor spatial"));
    double stored = 0;
    if (g) {
      auto v = read_global_factor(*file, *g);
      if (!v.ok()) return report_error(v.status());
      stored = *v;
    }
    std::vector<cv::Mat> tiles;
    for (int i = 0; i < o.steps; ++i) {
      const double t = double(i) / (o.steps - 1);
      FctFile variant = *file;
      DecompressOptions options = base;
      std::string caption;
      char text[64];
      if (g) {
        // Sprite latents sweep the prior (+-span); appearance factors the stored value +-span sigma.
        const double centre = (*model)->is_sprites() ? 0.0 : stored;
        const double value = centre + (2 * t - 1) * o.span * g->prior_sigma;
        Status s = write_global_factor(variant, *g, value);
        if (!s.ok()) return report_error(s);
        std::snprintf(text, sizeof text, "%.2f", g->to_user(value));
      } else if (i == 0) {  // absent: what a decoder shows without the stream
        Status s = edit_factors(variant, {}, {}, {name});
        if (!s.ok()) return report_error(s);
        std::snprintf(text, sizeof text, "dropped");
      } else {
        options.spatial_scale[name] = t;
        std::snprintf(text, sizeof text, "x%.2f", t);
      }
      caption = text;
      auto image = decompress_fct(variant, **model, options);
      if (!image.ok()) return report_error(image.status());
      cv::Mat tile = to_bgr(*image);
      const int h = std::max(1, int(std::lround(double(tile.rows) * o.width / tile.cols)));
      cv::resize(tile, tile, cv::Size(o.width, h), 0, 0, tile.cols > o.width ? cv::INTER_AREA : cv::INTER_NEAREST);
      cv::Mat framed(h + 16, o.width, CV_8UC3, cv::Scalar(255, 255, 255));
      tile.copyTo(framed(cv::Rect(0, 16, o.width, h)));
      cv::putText(framed, caption, cv::Point(2, 12), cv::FONT_HERSHEY_SIMPLEX, 0.4, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
      tiles.push_back(framed);
      tile_h = framed.rows;
    }
    cv::Mat label(tile_h, label_width, CV_8UC3, cv::Scalar(255, 255, 255));
    cv::putText(label, name, cv::Point(4, tile_h / 2), cv::FONT_HERSHEY_SIMPLEX, 0.5, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
    tiles.insert(tiles.begin(), label);
    cv::Mat row;
    cv::hconcat(tiles, row);
    row_images.push_back(row);
  }
  cv::Mat grid;
  cv::vconcat(row_images, grid);
  auto png = encode_png(from_bgr(grid));
  if (!png.ok()) return report_error(png.status());
  WriteOptions write;
  write.overwrite = o.force;
  Status written = write_file_atomic(o.output, *png, write);
  if (!written.ok()) return report_error(written);
  std::fprintf(stderr, "%s: %zu rows x %d steps, %dx%d\n", o.output.c_str(), rows.size(), o.steps, grid.cols, grid.rows);
  return kExitOk;
}

}  // namespace

void add_traverse_command(CLI::App& app, Runner* run) {
  auto t = std::make_shared<TraverseOptions>();
  CLI::App* traverse = app.add_subcommand("traverse", "A grid of decodes with one factor swept per row");
  traverse->add_option("INPUT", t->input, "Facet file, or an image (compressed first with -q)")->required();
  traverse->add_option("-o,--output", t->output, "Output PNG")->required();
  traverse->add_option("--factor", t->factors, "Factor to sweep (repeatable; default: every global and spatial factor)");
  traverse->add_option("--steps", t->steps, "Columns per row")->capture_default_str();
  traverse->add_option("--width", t->width, "Width of each tile in pixels")->capture_default_str();
  traverse->add_option("--span", t->span, "Global factors: sweep +-span prior standard deviations")->capture_default_str();
  traverse->add_option("-q,--quality", t->quality, "Quality when INPUT is an image")->capture_default_str();
  traverse->add_option("--model", t->model, "Model (default: the shipped model)");
  traverse->add_option("--threads", t->threads, "Threads (default: all cores)");
  traverse->add_flag("-f,--force", t->force, "Overwrite an existing output");
  traverse->footer(
      "Global factors sweep stored value +- span sigma of their prior (sprite latents: the prior, -span..+span);\n"
      "spatial groups sweep from dropped (the prior mean) through mu + s * residual to as stored (x1).\n"
      "Example:\n  facet traverse corpus/kodim23-crop.png -o grid.png --steps 7");
  traverse->callback([t, run] { *run = [t] { return run_traverse(*t); }; });
}

}  // namespace facet::cli
