// A photo model as a weights file: network parameters, baked integer CDF tables and the
// hyper-synthesis weights of the deterministic path (FORMAT.md §9). No zstd, OpenCV or libpng.
#pragma once

#include <memory>
#include <vector>

#include "codec/hyper_synthesis.h"
#include "codec/model.h"
#include "common/status.h"
#include "entropy/quantized_cdf.h"
#include "formats/safetensors.h"

namespace facet {

// What coding needs besides the networks.
struct EntropyTables {
  CdfTableSet z_tables;                // one per hyper-latent channel
  CdfTableSet y_tables;                // one per Gaussian scale
  std::vector<float> scales;           // the Gaussian scale table
  std::vector<float> scale_thresholds; // softplus^-1(scales): compared with h_s's raw scales
  // One table per appearance factor (codec/appearance.h), over its symbol range; absent (no
  // tables) in models made before the appearance factors, whose files carry none.
  CdfTableSet appearance_tables;
  bool has_appearance() const;
};

// The appearance factors' prior tables (discretized Gaussians of appearance.h's priors).
StatusOr<CdfTableSet> make_appearance_tables();

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
  EntropyTables tables;
  HyperSynthesisWeights hyper_synthesis;
};

// Reads parameters (F32, BF16 or F16) and tables back; checks every name and shape.
StatusOr<ModelBundle> model_from_tensor_file(const TensorFile& file);

// Parameters only (training checkpoints keep no tables): into an existing model.
Status load_parameters(const TensorFile& file, PhotoModel& model);
TensorFile parameters_to_tensor_file(PhotoModel& model);

// A CDF table set as three tensors <prefix>.cdf [T, L] (rows padded with 65536), .sizes [T],
// .offsets [T]; and back (validated).
void put_cdf_tables(TensorFile& file, const std::string& prefix, const CdfTableSet& set);
StatusOr<CdfTableSet> get_cdf_tables(const TensorFile& file, const std::string& prefix);

// Tensor <-> TensorData (F32 or F16 out; F32/BF16/F16 in).
TensorData to_tensor_data(const torch::Tensor& t, TensorDtype dtype = TensorDtype::kF32);
StatusOr<torch::Tensor> from_tensor_data(const TensorData& d);

}  // namespace facet
