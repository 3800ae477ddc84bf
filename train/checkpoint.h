// Training checkpoints of any model: parameters, Adam moments and the step, in one safetensors
// file ("adam.m.<name>", "adam.v.<name>", metadata "adam.step.<name>" and "train.step").
#pragma once

#include <map>
#include <string>
#include <torch/torch.h>
#include <torch/version.h>

#include "common/status.h"
#include "formats/safetensors.h"
#include "networks/tensor_io.h"

namespace facet {

// The key of a parameter's state in torch::optim::Adam::state() (its type changed in LibTorch 2).
#if TORCH_VERSION_MAJOR >= 2
void* adam_state_key(const torch::Tensor& parameter);
#else
std::string adam_state_key(const torch::Tensor& parameter);
#endif

// Writes `file` as plain safetensors, atomically, replacing an existing file (trainer outputs and
// checkpoints).
Status write_tensor_file(const std::string& path, const TensorFile& file);

// `metadata` (e.g. the model's configuration) is stored beside the training state, and `extra`'s
// tensors and metadata (e.g. weight averages) beside them.
Status save_checkpoint(const std::string& path, torch::nn::Module& module, torch::optim::Adam& adam, int64_t step,
                       const std::map<std::string, std::string>& metadata, const TensorFile& extra = {});

// A checkpoint's content, as read_checkpoint returns it, can be changed before it is restored
// (train/rate_points.h adds rate points).
StatusOr<TensorFile> read_checkpoint(const std::string& path);
// Restores parameters and Adam state (moved to `device`) from a checkpoint's content; returns the step.
StatusOr<int64_t> restore_checkpoint(const TensorFile& file, torch::nn::Module& module, torch::optim::Adam& adam,
                                     const torch::Device& device);
// read_checkpoint, then restore_checkpoint.
StatusOr<int64_t> load_checkpoint(const std::string& path, torch::nn::Module& module, torch::optim::Adam& adam,
                                  const torch::Device& device);

// Peak learning rate `peak` after a linear warm-up of `warmup` steps, then a cosine decay to
// `final_fraction * peak` at `total` steps.
double warmup_cosine_learning_rate(double peak, int64_t warmup, double final_fraction, int64_t total, int64_t step);
// Linear warm-up, the peak up to 80% of `total`, then final_fraction of it.
double warmup_step_learning_rate(double peak, int64_t warmup, double final_fraction, int64_t total, int64_t step);

}  // namespace facet
