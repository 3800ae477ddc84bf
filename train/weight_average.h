// Exponential moving averages of a model's parameters over its training steps (Polyak averaging),
// kept beside the weights the optimizer moves. A run at a held learning rate jitters around its
// optimum; the average of its last iterates sits nearer to it, as a learning-rate decay would get,
// without spending steps on the decay. Several decays can run side by side; each is evaluated and
// can be exported (trainer.h: TrainOptions::average_decays, export_average).
//
// An average is bias-corrected like Adam's moments: it weighs the iterates since it started by
// decay^age and divides by the weights' sum, so a young average is the mean of the few iterates it
// has seen, not a mix with a starting value, and averages of different decays started at the same
// step differ only in how far back they look.
//
// In a checkpoint, average `d` of parameter `name` is the tensor "ema[d].name" (the corrected
// average) and metadata "ema[d].updates" the number of iterates it has seen.
#pragma once

#include <string>
#include <vector>
#include <torch/torch.h>

#include "common/status.h"
#include "formats/safetensors.h"

namespace facet {

class WeightAverages {
 public:
  // Averages with these decays (each in (0, 1)) of `module`'s parameters, none seen yet.
  WeightAverages(const std::vector<double>& decays, torch::nn::Module& module);

  size_t size() const { return averages_.size(); }
  double decay(size_t i) const { return averages_[i].decay; }
  int64_t updates(size_t i) const { return averages_[i].updates; }
  // "ema[0.999]": the prefix of average i's tensors in a checkpoint.
  static std::string prefix(double decay);

  // Takes the module's current parameters into every average (after each optimizer step).
  void update();

  // Adds the averages to a checkpoint's content.
  void save(TensorFile& file) const;
  // Takes the averages that `file` has for these decays (a checkpoint from save()); an average it
  // lacks starts at the next update(). kCorrupt for a stored average of the wrong shape.
  Status restore(const TensorFile& file);

  // While alive, the module holds average i's weights (the step's own are put back at the end).
  // Average i must have seen at least one update.
  class Swap {
   public:
    Swap(WeightAverages& averages, size_t i);
    ~Swap();
    Swap(const Swap&) = delete;
    Swap& operator=(const Swap&) = delete;

   private:
    WeightAverages& averages_;
    std::vector<torch::Tensor> saved_;
  };

 private:
  struct Average {
    double decay = 0;
    int64_t updates = 0;
    // decay^updates weighted sum of the iterates, not yet divided by (1 - decay^updates).
    std::vector<torch::Tensor> sum;
  };
  // Average a's corrected value of parameter k.
  torch::Tensor corrected(const Average& a, size_t k) const;

  std::vector<std::string> names_;
  std::vector<torch::Tensor> parameters_;
  std::vector<Average> averages_;
};

// Parses "0.999,0.9998" (each decay in (0, 1), no repeats).
StatusOr<std::vector<double>> parse_average_decays(const std::string& text);

}  // namespace facet
