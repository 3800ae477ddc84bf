// facet train: trains a photo model from a directory of images or a packed crops file.
#include <ATen/Parallel.h>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <opencv2/imgproc.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "train/crops.h"
#include "train/train_options.h"
#include "train/sprites_trainer.h"
#include "train/train_loop.h"
#include "train/trainer.h"
#include "common/file_io.h"
#include "formats/image_io.h"
#include "formats/safetensors.h"

namespace facet::cli {
namespace {

struct TrainCommandOptions {
  TrainerCliOptions trainer;
  CLI::App* command = nullptr;  // to tell the options given from the defaults
  std::string data, eval, save_crops;
  int crop_size = 256;
  int crops_per_image = 8;
  int max_edge = 1024;  // larger photos are downscaled first (less noise, more content per crop)
};

// RGB 8-bit copy of an image, downscaled so its longer edge is at most max_edge.
cv::Mat to_rgb8(const Image& image, int max_edge) {
  cv::Mat rgb(int(image.height), int(image.width), CV_8UC3);
  const int colors = image.color_channels();
  for (uint32_t y = 0; y < image.height; ++y)
    for (uint32_t x = 0; x < image.width; ++x)
      for (int c = 0; c < 3; ++c) {
        uint32_t v = image.at(x, y, colors == 1 ? 0 : c);
        if (image.bit_depth == 16) v = (v * 255 + 32767) / 65535;
        rgb.at<cv::Vec3b>(int(y), int(x))[c] = uint8_t(v);
      }
  const int longest = std::max(rgb.rows, rgb.cols);
  if (longest > max_edge) {
    const double f = double(max_edge) / longest;
    cv::resize(rgb, rgb, cv::Size(), f, f, cv::INTER_AREA);
  }
  return rgb;
}

StatusOr<CropSet> crops_from_directory(const std::string& dir, int size, int per_image, int max_edge,
                                       uint64_t seed) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, fs::directory_options::follow_directory_symlink, ec))
    if (e.is_regular_file()) files.push_back(e.path());
  FACET_RETURN_ERROR_IF(ec, kIo, "cannot list '" + dir + "': " + ec.message());
  std::sort(files.begin(), files.end());
  CropSet crops;
  crops.size = size;
  std::mt19937_64 rng(seed);
  int used = 0;
  for (const auto& path : files) {
    auto bytes = read_file(path.string());
    if (!bytes.ok()) continue;
    const ImageFileKind kind = detect_image_kind(bytes->data(), bytes->size());
    if (kind == ImageFileKind::kUnknown || kind == ImageFileKind::kFct) continue;
    auto image = decode_image(bytes->data(), bytes->size());
    if (!image.ok()) {
      std::fprintf(stderr, "facet: skipping %s: %s\n", path.c_str(), image.status().to_string().c_str());
      continue;
    }
    cv::Mat rgb = to_rgb8(*image, max_edge);
    if (rgb.rows < size || rgb.cols < size) continue;
    ++used;
    std::uniform_int_distribution<int> oy(0, rgb.rows - size), ox(0, rgb.cols - size);
    for (int k = 0; k < per_image; ++k) {
      const int y0 = oy(rng), x0 = ox(rng);
      for (int y = 0; y < size; ++y) {
        const uint8_t* row = rgb.ptr<uint8_t>(y0 + y) + size_t(x0) * 3;
        crops.pixels.insert(crops.pixels.end(), row, row + size_t(size) * 3);
      }
      ++crops.count;
    }
  }
  FACET_RETURN_ERROR_IF(crops.count == 0, kInvalidArgument,
                        "no image of at least " + std::to_string(size) + " pixels in '" + dir + "'");
  std::fprintf(stderr, "facet: %lld crops of %dx%d from %d images in %s\n", (long long)crops.count, size, size,
               used, dir.c_str());
  return crops;
}

StatusOr<CropSet> load_crops(const std::string& source, const TrainCommandOptions& o, uint64_t seed) {
  if (std::filesystem::is_directory(source))
    return crops_from_directory(source, o.crop_size, o.crops_per_image, o.max_edge, seed);
  return read_crop_file(source);
}

// Runs `train(path)`, which writes plain safetensors to `path`; a .zst output is compressed here.
int train_and_write(const std::string& output, const std::function<Status(const std::string&)>& train) {
  const bool compress = output.size() > 4 && output.substr(output.size() - 4) == ".zst";
  const std::string plain_path = compress ? output + ".tmp-plain" : output;
  Status status = train(plain_path);
  if (!status.ok()) return report_error(status);
  if (stop_signal() != 0) return kExitOk;  // stopped early: the checkpoint holds the run, there is no output
  if (!compress) return kExitOk;
  auto plain = read_file(plain_path);
  if (!plain.ok()) return report_error(plain.status());
  auto tensors = decode_safetensors(plain->data(), plain->size());
  if (!tensors.ok()) return report_error(tensors.status());
  auto packed = encode_weights_file(*tensors, true);
  if (!packed.ok()) return report_error(packed.status());
  WriteOptions overwrite;
  overwrite.overwrite = true;
  Status s = write_file_atomic(output, *packed, overwrite);
  std::remove(plain_path.c_str());
  if (!s.ok()) return report_error(s);
  return kExitOk;
}

int run_train(TrainCommandOptions o) {
  Status options_ok = finish_trainer_options(o.trainer);
  if (!options_ok.ok()) return report_error(options_ok);
  TrainOptions& train = o.trainer.train;
  if (!o.trainer.init.empty()) {
    auto bytes = read_file(o.trainer.init, kMaxWeightsFileBytes);
    if (!bytes.ok()) return report_error(bytes.status());
    auto tensors = decode_weights_file(bytes->data(), bytes->size());
    if (!tensors.ok()) return report_error(tensors.status().with_context("--init " + o.trainer.init));
    train.init = std::make_shared<const TensorFile>(std::move(tensors).value());
  }
  auto train_crops = load_crops(o.data, o, train.seed);
  if (!train_crops.ok()) return report_error(train_crops.status());
  if (!o.save_crops.empty()) {
    WriteOptions overwrite;
    overwrite.overwrite = true;
    Status s = write_file_atomic(o.save_crops, encode_crop_file(*train_crops), overwrite);
    if (!s.ok()) return report_error(s);
    std::fprintf(stderr, "facet: wrote %s\n", o.save_crops.c_str());
    if (train.steps == 0 && train.output.empty()) return kExitOk;
  }
  std::unique_ptr<CropSet> eval_crops;
  if (!o.eval.empty()) {
    TrainCommandOptions eval_options = o;
    eval_options.crops_per_image = 1;
    auto e = load_crops(o.eval, eval_options, 7);
    if (!e.ok()) return report_error(e.status());
    eval_crops = std::make_unique<CropSet>(std::move(e).value());
  }
  if (!train.data_parallel) {  // a stopped run writes its checkpoint (its ranks would not agree on the step)
    train.stop_on_signal = true;
    catch_stop_signals();
  }
  const int exit_code = train_and_write(train.output, [&](const std::string& output) {
    TrainOptions t = train;
    t.output = output;
    return train_photo_model(t, *train_crops, eval_crops.get(), print_train_progress);
  });
  return stop_signal() != 0 ? 128 + stop_signal() : exit_code;
}

int run_train_sprites(TrainCommandOptions o) {
  Status options_ok = finish_trainer_options(o.trainer);
  if (!options_ok.ok()) return report_error(options_ok);
  const TrainOptions& t = o.trainer.train;
  SpritesTrainOptions s = sprites_train_options(o.trainer, *o.command);
  Status valid = s.config.validate();
  if (!valid.ok()) return report_error(make_error(ErrorCode::kInvalidArgument, valid.message()));
  return train_and_write(t.output, [&](const std::string& output) {
    SpritesTrainOptions run = s;
    run.output = output;
    return train_sprites_model(run, print_sprites_progress);
  });
}

int run_train_command(const TrainCommandOptions& o) {
  if (o.trainer.model == "sprites") return run_train_sprites(o);
  if (o.data.empty()) return report_error(make_error(ErrorCode::kInvalidArgument, "--data is required for --model photo"));
  return run_train(o);
}

}  // namespace

void add_train_command(CLI::App& app, Runner* run) {
  auto o = std::make_shared<TrainCommandOptions>();
  CLI::App* cmd = app.add_subcommand("train", "Train a photo model (CPU here; CUDA with a CUDA LibTorch build)");
  cmd->add_option("--data", o->data, "Training images (directory) or packed crops file (photo)");
  cmd->add_option("--eval", o->eval, "Held-out images (directory) or crops file, evaluated every --eval-every steps");
  cmd->add_option("--save-crops", o->save_crops, "Write the training crops to this file (with --steps 0 and no -o: and stop)");
  cmd->add_option("--crop-size", o->crop_size, "Edge of the stored crops")->capture_default_str();
  cmd->add_option("--crops-per-image", o->crops_per_image, "Crops taken from each image")->capture_default_str();
  cmd->add_option("-o,--output", o->trainer.train.output, "Final weights file (.safetensors, or .safetensors.zst)");
  add_trainer_options(cmd, o->trainer);
  cmd->footer(
      "Examples:\n"
      "  facet train --data photos/ --eval holdout/ --steps 2000 -o model.safetensors.zst\n"
      "  facet train --data photos/ --save-crops crops.bin --steps 0   pack crops for another machine\n"
      "  facet train --data crops.bin --checkpoint ck.safetensors --resume --steps 4000 -o model.safetensors\n"
      "  facet train --model sprites --beta 6 --steps 20000 -o sprites.safetensors.zst");
  o->command = cmd;
  cmd->callback([o, run] { *run = [o] { return run_train_command(*o); }; });
}

}  // namespace facet::cli
