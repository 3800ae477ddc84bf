// Pieces shared by the training loops (photo and sprites): the wall-clock step budget, gradient
// clipping that never waits for the device, and device set-up.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>
#include <torch/torch.h>

namespace facet {

// Fits a run's total step count to a wall-clock budget (`--time-budget`). The speed is measured
// over windows of the run (the first one starts after 2% of the budget, past start-up and cuDNN
// autotuning) and re-measured at 15%, 35% and 60% of it, since other jobs on the same device
// change it. Each measurement sets total = step + speed * (98% of the budget - elapsed), at most
// `max_steps`. Past the budget the run stops at the next step. The learning-rate schedule follows
// the current total.
class StepBudget {
 public:
  // seconds <= 0: no budget, the total stays `max_steps`.
  StepBudget(double seconds, int64_t max_steps);

  // Call after each completed step (`step` = steps done). Returns true when the total changed
  // through a speed measurement (the caller reports it).
  bool update(int64_t step);
  int64_t total() const { return total_; }
  bool active() const { return seconds_ > 0; }

 private:
  using Clock = std::chrono::steady_clock;
  double elapsed() const;

  double seconds_;
  int64_t max_steps_, total_;
  Clock::time_point start_;
  int next_mark_ = 0;               // index into the marks (fractions of the budget)
  int64_t window_step_ = -1;        // step at the start of the current measurement window
  double window_time_ = 0;
};

// Scales all gradients so that their global L2 norm is at most `max_norm` (as
// torch::nn::utils::clip_grad_norm_), without reading the norm back to the host: the step
// stays asynchronous on a GPU.
void clip_gradients(const std::vector<torch::Tensor>& parameters, double max_norm);

// SIGTERM and SIGINT ask a photo-model run with TrainOptions::stop_on_signal to stop after its
// current step, writing its checkpoint (so that stopping a long run loses no steps). After the
// first signal the default action is back: a second one ends the process at once.
void catch_stop_signals();
// The signal that asked the run to stop, 0 while none came.
int stop_signal();

// cuDNN autotuning for fixed input shapes on CUDA; nothing on the CPU.
void prepare_training_device(const torch::Device& device);

}  // namespace facet
