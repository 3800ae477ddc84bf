// The training loop (LibTorch, CPU or CUDA): random crops and flips, a lambda per rate point,
// random truncation of trailing latent groups, Adam with warm-up and cosine decay, checkpoints
// with optimizer state, periodic evaluation. Needs no image library (crops come packed).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "train/crops.h"
#include "model/model_config.h"
#include "networks/precision.h"
#include "common/status.h"
#include "formats/safetensors.h"

namespace facet {

class DataParallel;  // train/data_parallel.h

struct TrainOptions {
  ModelConfig config;
  int64_t steps = 1000;  // total optimizer steps (a resumed run continues to this count; 0 exports
                         // the initial model, a resumed run at its checkpoint's step exports it)
  int batch = 8;
  int crop = 128;                  // training patch edge (multiple of 64), cut from stored crops
  double learning_rate = 1e-4;
  int64_t warmup_steps = 200;
  double final_lr_fraction = 0.1;  // cosine decay to this fraction of the peak
  // kCosine: warm-up, then cosine decay to final_lr_fraction. kStep: warm-up, the peak held to
  // 80% of the steps, then final_lr_fraction of it (the schedule of the reference hyperprior).
  enum class LrSchedule { kCosine, kStep };
  LrSchedule lr_schedule = LrSchedule::kCosine;
  // kPerStep: each step draws one rate point for the whole batch (1/K of the steps each).
  // kPerImage: each image of the batch draws its own, so every step trains all rate points and the
  // shared transforms get one mixed gradient instead of alternating between rate points.
  // kBalanced: one per image as kPerImage, but every K consecutive samples of the run (K rate
  // points) take each rate point once, in an order drawn from the seed, so that a batch's mix of
  // rate points, and with it the size of the step's gradient, varies less between steps.
  enum class RatePointSampling { kPerStep, kPerImage, kBalanced };
  RatePointSampling rate_point_sampling = RatePointSampling::kPerImage;
  // How the images of a step weigh in the shared transforms' gradient. kLambda: the plain mean of
  // lambda * 255^2 * MSE + bpp, in which the highest rate point's images, whose loss is ~25x the
  // lowest's, set most of the gradient. kRelative: each image's loss divided by the running mean
  // (over steps) of its rate point's loss, times the mean of those running means, so that every
  // rate point moves the shared weights by the same relative amount (the gradient of the sum of
  // the rate points' log losses); a rate point's own optimum (its gains) is unchanged. Why kRelative
  // is the default: docs/training.md, "The trainer's defaults and the runs behind them".
  enum class RatePointWeights { kLambda, kRelative };
  RatePointWeights rate_point_weights = RatePointWeights::kRelative;
  // bf16 autocast of the transforms (kAuto: where the CPU or GPU runs it fast).
  TransformPrecision precision = TransformPrecision::kAuto;
  // Weights and activations channels-last (NHWC) on the CPU. kAuto: with bf16, where oneDNN's
  // kernels are fastest in it; fp32 runs faster in NCHW (docs/training.md, step speed).
  enum class Layout { kAuto, kChannelsLast, kNchw };
  Layout layout = Layout::kAuto;
  double truncation_probability = 0.25;  // drop trailing groups in this share of the steps
  // How a truncation step trains. kReplace (the default; facet-photo-5's recipe): the step decodes
  // only with the first 1 .. groups-1 structure groups, its distortion replacing the full decode's,
  // so that share of the steps does not train the full decode. kPaired: it decodes twice from one
  // analysis, the full latents and the truncated ones (one more synthesis), the truncated decode's
  // distortion weighing truncation_weight times the full one's: every step trains the full decode.
  // Why kReplace is the default: docs/training.md, "The trainer's defaults and the runs behind them".
  enum class TruncationMode { kReplace, kPaired };
  TruncationMode truncation_mode = TruncationMode::kReplace;
  double truncation_weight = 1.0;
  // Train only the group context networks (config.context_channels > 0) on the rate of the latents
  // that the frozen transforms give: no synthesis, so a step costs about the analysis alone. A
  // context added to a trained model learns this way before the joint steps.
  bool context_only = false;
  // Drop the chroma group (config.chroma > 0) in this share of the steps, asking the decoder for
  // the grayscale image (BT.601 luma in all three channels) then: what "chroma" means.
  double chroma_drop_probability = 0.25;
  // How a chroma-drop step trains. kPaired (the default): the step decodes twice from one
  // analysis, the full image against the photo (with the rate) plus the grayscale decode against
  // the luma image, so that every step trains the full decode; each paired step costs one more
  // synthesis. kReplace (facet-photo-1's recipe): the step decodes only without chroma, its rate
  // and distortion replacing the full decode's, so a share of the steps does not train the colour
  // image. Why kPaired is the default: docs/training.md, "The trainer's defaults and the runs
  // behind them".
  enum class ChromaDropMode { kReplace, kPaired };
  ChromaDropMode chroma_drop_mode = ChromaDropMode::kPaired;
  // kPaired: the weight of the grayscale decode's distortion against the colour decode's (both
  // times lambda * 255^2). The grayscale decode needs about 35 dB of luma PSNR; a larger weight
  // buys more than that at the colour image's rate (docs/training.md, "The trainer's defaults and
  // the runs behind them").
  double chroma_luma_weight = 0.25;
  // Start from these parameters (a weights file's tensors) instead of a fresh initialization:
  // fine-tuning. Names and shapes must match the configuration.
  std::shared_ptr<const TensorFile> init;
  double clip_grad_norm = 1.0;  // 0: no clipping
  std::string checkpoint;          // written every checkpoint_every steps and at the end
  int64_t checkpoint_every = 500;
  bool resume = false;             // continue from `checkpoint` (weights, Adam state, step)
  std::string output;              // final weights file (parameters + baked CDF tables)
  int64_t log_every = 20;
  int64_t eval_every = 0;          // 0: only at the end
  uint64_t seed = 1;
  std::string device = "cpu";      // "cpu" or "cuda"
  // Wall-clock seconds of training steps (0: none). With a budget, `steps` is an upper bound and
  // the total is fitted to the measured speed (StepBudget, train_loop.h).
  double time_budget_seconds = 0;
  // Store the output's weights as F16 (half the file). The model is rounded to F16 before its
  // tables are baked, so the file describes exactly the model it holds.
  bool f16_weights = false;
  // Several processes (train/data_parallel.h): this rank computes its `batch` images of the global
  // batch of batch * world_size; gradients are averaged before each step; only rank 0 reports,
  // evaluates and writes checkpoints and the output. Null: this process alone.
  std::shared_ptr<DataParallel> data_parallel;
  // Data parallel: after every step, check that all ranks hold bitwise the same weights (an
  // error otherwise). Costs two all-reduces of the weights a step: for tests and diagnosis.
  bool verify_replicas = false;
  // Exponential moving averages of the weights with these decays (train/weight_average.h), kept in
  // the checkpoint and evaluated beside the weights at every evaluation. Empty: none.
  std::vector<double> average_decays;
  // > 0: the output holds the average with this decay (one of average_decays, restored from the
  // checkpoint or built by this run) instead of the optimizer's weights.
  double export_average = 0;
  // Stop after the step in which a SIGTERM or SIGINT came (train_loop.h: catch_stop_signals),
  // writing the checkpoint; the run then returns without writing the output (the caller sees
  // stop_signal() != 0). Not with data_parallel, whose ranks must stop at the same step.
  bool stop_on_signal = false;
};

struct TrainProgress {
  int64_t step = 0;
  double loss = 0, bpp = 0, psnr = 0, learning_rate = 0, steps_per_second = 0;
  bool is_eval = false;
  int rate_point = -1;  // for eval lines
  double lambda = 0;    // for eval lines
  double average_decay = 0;  // eval lines: > 0 for the weight average of this decay
  int64_t budget_steps = 0;  // > 0: a line saying the time budget set the total to this many steps
  std::string banner;        // non-empty: a line saying how the run computes (precision, threads, CPU)
  double all_reduce_seconds = -1;  // data parallel: mean gradient all-reduce time a step in the window
};

// Trains; reports progress lines through `report` (the CLI prints them).
Status train_photo_model(const TrainOptions& options, const CropSet& train_crops,
                         const CropSet* eval_crops,
                         const std::function<void(const TrainProgress&)>& report);

}  // namespace facet
