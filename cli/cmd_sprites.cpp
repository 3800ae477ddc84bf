// facet sprites: the dSprites-equivalent data set with known factors (sprites/sprite_render.h).
//   facet sprites generate --count N --seed S -o DIR [--format png|pgm] [-f]
//   facet sprites render --shape heart --scale 5 --orientation 10 --pos-x 0 --pos-y 31 -o out.png
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "sprites/sprite_render.h"
#include "common/file_io.h"
#include "formats/image.h"
#include "formats/image_io.h"

namespace facet::cli {
namespace {

// Six-digit file numbers: sprite_000000 .. sprite_999999.
constexpr long long kMaxGenerateCount = 1000000;

struct GenerateOptions {
  long long count = 0;
  uint64_t seed = 0;
  std::string output;
  std::string format = "png";
  bool force = false;
};

struct RenderOptions {
  std::string shape = "square";
  int scale = 5;
  int orientation = 0;
  int pos_x = 16;
  int pos_y = 16;
  std::string output;
  std::string format;  // empty: from the output's extension
  bool force = false;
};

// 8-bit gray, 0 / 255, as PNG (the project's libpng writer) or binary PGM (P5).
StatusOr<Bytes> encode_sprite(const uint8_t* pixels, const std::string& format) {
  if (format == "pgm") {
    const std::string header =
        "P5\n" + std::to_string(kSpriteSize) + " " + std::to_string(kSpriteSize) + "\n255\n";
    Bytes bytes(header.begin(), header.end());
    for (size_t i = 0; i < kSpritePixels; ++i) bytes.push_back(pixels[i] != 0 ? 255 : 0);
    return bytes;
  }
  FACET_ASSIGN_OR_RETURN(Image image, make_image(kSpriteSize, kSpriteSize, 1, 8));
  for (size_t i = 0; i < kSpritePixels; ++i) image.samples[i] = pixels[i] != 0 ? 255 : 0;
  return encode_png(image);
}

std::string format_value(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.9g", value);
  return buffer;
}

// Creates `dir` (and its parents) if needed; refuses a file, and a non-empty directory unless
// force.
Status prepare_output_dir(const std::string& dir, bool force) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(dir, ec);
  if (fs::exists(st)) {
    FACET_RETURN_ERROR_IF(!fs::is_directory(st), kInvalidArgument,
                          "'" + dir + "' exists and is not a directory");
    const bool empty = fs::is_empty(dir, ec);
    FACET_RETURN_ERROR_IF(ec, kIo, "cannot read directory '" + dir + "': " + ec.message());
    FACET_RETURN_ERROR_IF(!empty && !force, kInvalidArgument,
                          "'" + dir + "' is not empty; use -f to write into it");
    return ok_status();
  }
  fs::create_directories(dir, ec);
  FACET_RETURN_ERROR_IF(ec, kIo, "cannot create directory '" + dir + "': " + ec.message());
  return ok_status();
}

Status generate(const GenerateOptions& o) {
  FACET_RETURN_ERROR_IF(o.count < 1 || o.count > kMaxGenerateCount, kInvalidArgument,
                        "--count must be in [1, " + std::to_string(kMaxGenerateCount) + "], not " +
                            std::to_string(o.count));
  FACET_RETURN_IF_ERROR(prepare_output_dir(o.output, o.force));
  const std::filesystem::path dir(o.output);
  WriteOptions write;
  write.overwrite = o.force;

  std::string csv =
      "index,shape,scale,orientation,posX,posY,dsprites_index,file,shape_name,scale_value,"
      "orientation_value,posX_value,posY_value\n";
  SpriteStream stream(o.seed);
  std::vector<uint8_t> pixels(kSpritePixels);
  char name[32];
  for (long long i = 0; i < o.count; ++i) {
    const SpriteFactors f = stream.next(pixels.data());
    std::snprintf(name, sizeof name, "sprite_%06lld.%s", i, o.format.c_str());
    FACET_ASSIGN_OR_RETURN(const Bytes encoded, encode_sprite(pixels.data(), o.format));
    FACET_RETURN_IF_ERROR(write_file_atomic((dir / name).string(), encoded, write));
    FACET_ASSIGN_OR_RETURN(const uint32_t flat, sprite_index(f));
    csv += std::to_string(i) + "," + std::to_string(f.shape) + "," + std::to_string(f.scale) + "," +
           std::to_string(f.orientation) + "," + std::to_string(f.pos_x) + "," +
           std::to_string(f.pos_y) + "," + std::to_string(flat) + "," + name + "," +
           sprite_shape_name(f.shape) + "," + format_value(f.scale_value()) + "," +
           format_value(f.orientation_radians()) + "," + format_value(f.pos_x_value()) + "," +
           format_value(f.pos_y_value()) + "\n";
  }
  FACET_RETURN_IF_ERROR(write_file_atomic((dir / "factors.csv").string(),
                                          reinterpret_cast<const uint8_t*>(csv.data()), csv.size(),
                                          write));
  std::printf("facet sprites: wrote %lld %s sprites (seed %llu) and factors.csv to %s\n", o.count,
              o.format.c_str(), static_cast<unsigned long long>(o.seed), o.output.c_str());
  return ok_status();
}

Status render(const RenderOptions& o) {
  FACET_ASSIGN_OR_RETURN(const int shape, parse_sprite_shape(o.shape));
  FACET_ASSIGN_OR_RETURN(const SpriteFactors f,
                         make_sprite_factors(shape, o.scale, o.orientation, o.pos_x, o.pos_y));
  std::string format = o.format;
  if (format.empty()) {
    format = std::filesystem::path(o.output).extension() == ".pgm" ? "pgm" : "png";
  }
  FACET_ASSIGN_OR_RETURN(const std::vector<uint8_t> pixels, render_sprite(f));
  FACET_ASSIGN_OR_RETURN(const Bytes encoded, encode_sprite(pixels.data(), format));
  WriteOptions write;
  write.overwrite = o.force;
  FACET_RETURN_IF_ERROR(write_file_atomic(o.output, encoded, write));
  if (o.output != "-") {
    FACET_ASSIGN_OR_RETURN(const uint32_t flat, sprite_index(f));
    FACET_ASSIGN_OR_RETURN(const SpriteCentroid c, sprite_centroid(pixels.data()));
    std::printf(
        "%s: %s, scale %g, orientation %.4f rad, posX %g, posY %g (dSprites index %u): %zu "
        "on-pixels, centroid (%.3f, %.3f), centre (%g, %g)\n",
        o.output.c_str(), sprite_shape_name(f.shape), f.scale_value(), f.orientation_radians(),
        f.pos_x_value(), f.pos_y_value(), unsigned(flat), c.area, c.x, c.y, f.center_x(),
        f.center_y());
  }
  return ok_status();
}

int run_generate(const GenerateOptions& o) {
  const Status s = generate(o);
  return s.ok() ? kExitOk : report_error(s);
}

int run_render(const RenderOptions& o) {
  const Status s = render(o);
  return s.ok() ? kExitOk : report_error(s);
}

}  // namespace

void add_sprites_command(CLI::App& app, Runner* run) {
  CLI::App* sprites =
      app.add_subcommand("sprites",
                         "dSprites-like 64x64 binary sprites with known factors (shape, scale, "
                         "orientation, posX, posY)");
  sprites->require_subcommand(1);
  sprites->footer(
      "Factors (indices): shape 0 square, 1 ellipse, 2 heart; scale 0..5 = 0.5..1; orientation "
      "0..39 = 0..2pi (0 and 39 are the same image); posX, posY 0..31 = left/top .. right/bottom.");

  auto g = std::make_shared<GenerateOptions>();
  CLI::App* generate_cmd = sprites->add_subcommand(
      "generate",
      "Write COUNT random sprites (every factor uniform) and factors.csv to a directory");
  generate_cmd->add_option("--count", g->count, "Number of sprites (1 to 1000000)")->required();
  generate_cmd->add_option("--seed", g->seed, "Seed of the std::mt19937_64 drawing the factors")
      ->capture_default_str();
  generate_cmd->add_option("-o,--output", g->output, "Output directory (created if needed)")
      ->required();
  generate_cmd->add_option("--format", g->format, "Image format: png or pgm (8-bit gray, 0/255)")
      ->check(CLI::IsMember({"png", "pgm"}))
      ->capture_default_str();
  generate_cmd->add_flag("-f,--force", g->force,
                         "Write into a non-empty directory, replacing files of the same names");
  generate_cmd->footer(
      "Writes DIR/sprite_000000.png ... and DIR/factors.csv (index,shape,scale,orientation,posX,"
      "posY, then the dSprites flat index, the file name and the factor values).\n"
      "Example:\n  facet sprites generate --count 1000 --seed 1 -o sprites/");
  generate_cmd->callback([g, run] { *run = [g] { return run_generate(*g); }; });

  auto r = std::make_shared<RenderOptions>();
  CLI::App* render_cmd =
      sprites->add_subcommand("render", "Render one sprite from its factor indices");
  render_cmd->add_option("--shape", r->shape, "square, ellipse, heart (or 0, 1, 2)")
      ->capture_default_str();
  render_cmd->add_option("--scale", r->scale, "Scale index 0..5 (0.5 .. 1)")->capture_default_str();
  render_cmd->add_option("--orientation", r->orientation, "Orientation index 0..39 (0 .. 2pi)")
      ->capture_default_str();
  render_cmd->add_option("--pos-x", r->pos_x, "Position index 0..31, 0 = left")
      ->capture_default_str();
  render_cmd->add_option("--pos-y", r->pos_y, "Position index 0..31, 0 = top")
      ->capture_default_str();
  render_cmd->add_option("-o,--output", r->output, "Output image ('-' for standard output)")
      ->required();
  render_cmd->add_option("--format", r->format, "png or pgm (default: from the output's extension)")
      ->check(CLI::IsMember({"png", "pgm"}));
  render_cmd->add_flag("-f,--force", r->force, "Overwrite an existing output");
  render_cmd->footer(
      "Example:\n  facet sprites render --shape heart --scale 5 --orientation 10 --pos-x 0 "
      "--pos-y 31 -o heart.png");
  render_cmd->callback([r, run] { *run = [r] { return run_render(*r); }; });
}

}  // namespace facet::cli
