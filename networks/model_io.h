// A photo model as a weights file: network parameters, baked integer CDF tables and the
// hyper-synthesis weights of the deterministic path (FORMAT.md §9). No zstd, OpenCV or libpng.
// The tables and the hyper-synthesis weights alone, without LibTorch: model/entropy_model.h.
#pragma once

#include <memory>
#include <vector>

#include "common/status.h"
#include "formats/safetensors.h"
#include "model/entropy_model.h"
#include "networks/photo_model.h"

namespace facet {

// Builds the tables from the trained model: the z density evaluated at the integers and
// quantized to 16 bits per channel, and the default Gaussian tables (entropy/gaussian_tables.h).
StatusOr<EntropyTables> bake_entropy_tables(PhotoModel& model);

// The weights file content: every parameter as `weights` (F32, or F16 for half the size), the
// tables as I32/F32, config in metadata.
StatusOr<TensorFile> model_to_tensor_file(PhotoModel& model, const EntropyTables& tables,
                                          TensorDtype weights = TensorDtype::kF32);

// Rounds every parameter to F16 precision in place (before tables are baked from a model that
// will be stored as F16, so that the tables describe the stored model).
void round_parameters_to_f16(torch::nn::Module& module);

struct ModelBundle {
  PhotoModel net{nullptr};
  EntropyModel entropy;  // config (a copy of net's), tables, deterministic hyper-synthesis
};

// Reads parameters (F32, BF16 or F16) and tables back; checks every name and shape.
StatusOr<ModelBundle> model_from_tensor_file(const TensorFile& file);

// Parameters only (training checkpoints keep no tables): into an existing model.
Status load_parameters(const TensorFile& file, PhotoModel& model);
TensorFile parameters_to_tensor_file(PhotoModel& model);

}  // namespace facet
