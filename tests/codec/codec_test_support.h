// Helpers shared by the learned-codec tests (LibTorch): untrained models and corpus crops.
#pragma once

#include <cstdint>
#include <memory>

#include "codec/codec.h"
#include "torch_codec/libtorch_backend.h"
#include "torch_codec/refine.h"
#include "model/model_config.h"
#include "formats/image.h"
#include "train/crops.h"

namespace facet::test {

// A model with `config` and weights from torch::manual_seed(seed), its entropy tables baked and
// loaded the way a weights file is (fails the current test if any step fails). The test binary
// installs the LibTorch backend, so every model has its refiner (and sprites models load).
std::shared_ptr<CodecModel> untrained_model(const ModelConfig& config, uint64_t seed,
                                            TransformsBackend backend = TransformsBackend::kOnednn);

// The top-left width x height pixels of corpus/kodim23-crop.png (8-bit RGB).
Image corpus_image(uint32_t width, uint32_t height);

// A tiny untrained photo model with two structure groups, a chroma group and the appearance
// factors ("tiny-factors"; n 16, m 32, hyper_n 16, chroma 8).
std::shared_ptr<CodecModel> tiny_chroma_model(uint64_t seed = 1);

// `count` 64x64 training crops of smooth colour waves (random frequencies and phases from `seed`):
// content an untrained model learns to code within a few dozen steps.
CropSet sine_crops(int64_t count, uint64_t seed);

}  // namespace facet::test
