// facet-train: the trainer alone, for machines that have only a (CUDA) LibTorch: it reads packed
// crops files (made with `facet train --save-crops`) and writes plain safetensors.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "train/train_options.h"
#include "train/crops.h"
#include "train/train_loop.h"
#include "train/trainer.h"
#include "common/allocator.h"
#include "common/file_io.h"
#include "formats/safetensors.h"

namespace {

int fail(const facet::Status& status) {
  std::fprintf(stderr, "facet-train: error: %s\n", status.to_string().c_str());
  return status.code() == facet::ErrorCode::kInvalidArgument ? 2 : status.code() == facet::ErrorCode::kIo ? 3 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  facet::keep_freed_memory_for_reuse();
  CLI::App app("Facet's trainer alone (crops files in, safetensors out)", "facet-train");
  facet::cli::TrainerCliOptions options;
  std::string data, eval;
  app.add_option("--data", data, "Packed training crops (facet train --save-crops; photo model)");
  app.add_option("--eval", eval, "Packed held-out crops");
  app.add_option("-o,--output", options.train.output, "Final weights file (plain safetensors)");
  facet::cli::add_trainer_options(&app, options);
  app.footer(
      "Example (on the accelerator):\n"
      "  facet-train --data crops.bin --eval eval.bin --device cuda --batch 16 --patch 256 \\\n"
      "    --steps 20000 --checkpoint ck.safetensors --resume -o facet-photo.safetensors\n"
      "  facet-train --model sprites --device cuda --batch 256 --time-budget 600 -o sprites.safetensors");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  facet::Status ok = facet::cli::finish_trainer_options(options);
  if (!ok.ok()) return fail(ok);
  if (options.model == "sprites") {
    facet::SpritesTrainOptions sprites = facet::cli::sprites_train_options(options, app);
    sprites.output = options.train.output;
    facet::Status status = facet::train_sprites_model(sprites, facet::cli::print_sprites_progress);
    return status.ok() ? 0 : fail(status);
  }
  if (data.empty()) return fail(facet::make_error(facet::ErrorCode::kInvalidArgument, "--data is required for --model photo"));
  if (!options.init.empty()) {
    auto bytes = facet::read_file(options.init, facet::kMaxWeightsFileBytes);
    if (!bytes.ok()) return fail(bytes.status());
#ifdef FACET_TRAIN_READS_ZSTD
    auto tensors = facet::decode_weights_file(bytes->data(), bytes->size());  // plain or .zst
#else
    auto tensors = facet::decode_safetensors(bytes->data(), bytes->size());  // built without zstd: plain only
#endif
    if (!tensors.ok()) return fail(tensors.status());
    options.train.init = std::make_shared<const facet::TensorFile>(std::move(tensors).value());
  }
  auto train_crops = facet::read_crop_file(data);
  if (!train_crops.ok()) return fail(train_crops.status());
  std::unique_ptr<facet::CropSet> eval_crops;
  if (!eval.empty()) {
    auto e = facet::read_crop_file(eval);
    if (!e.ok()) return fail(e.status());
    eval_crops = std::make_unique<facet::CropSet>(std::move(e).value());
  }
  if (!options.train.data_parallel) {
    options.train.stop_on_signal = true;
    facet::catch_stop_signals();
  }
  facet::Status status = facet::train_photo_model(options.train, *train_crops, eval_crops.get(),
                                                  facet::cli::print_train_progress);
  if (status.ok() && facet::stop_signal() != 0) return 128 + facet::stop_signal();
  return status.ok() ? 0 : fail(status);
}
