// Encoder effort (`facet compress --effort`): 1 is the analysis transform alone; higher efforts
// refine the latents for the image by gradient descent, which needs LibTorch (torch_codec/refine.h),
// so a program without it hands such encodes to one with it (cli/: facet-torch).
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "common/precision.h"
#include "common/status.h"
#include "model/model_config.h"

namespace facet {

constexpr int kMinEffort = 1;
constexpr int kMaxEffort = 4;

// Progress of one tile, reported every few iterations and at its end (from the worker threads,
// one call at a time). tile == kHyperStage: the hyper-latents' stage (the whole image, before the
// tiles), reported at its start and its end; its bpp is the rate of the latents and the
// hyper-latents together, psnr is NaN and objective is that rate (the stage leaves the distortion
// to the tiles).
constexpr int kHyperStage = -1;
struct RefineProgress {
  int tile, tiles, iteration, iterations;
  // The tile's own part, for the rounded latents of this iteration (what the file would hold): the
  // latents' estimated rate (not the hyper stream's), the decode's PSNR, the objective (bpp +
  // lambda * 255^2 * MSE) and the lowest objective so far (what the tile will keep).
  double bpp, psnr, objective, best_objective;
};
using RefineProgressFn = std::function<void(const RefineProgress&)>;

// What a refinement starts from and returns: the padded image and the analysis' latents.
struct RefineInput {
  const std::vector<float>* x = nullptr;  // [3, height, width] in [0, 1], padded to multiples of 64
  int height = 0, width = 0;              // of x
  int image_height = 0, image_width = 0;  // the image's own pixels (top-left)
  const std::vector<float>* y = nullptr;  // [m, height/16, width/16], gain applied
  const std::vector<int32_t>* z = nullptr;  // [hyper_n, height/64, width/64], the coded hyper-latents
  double position = 0;                    // rate position
};

// What a refinement returns: the latents to code and the hyper-latents to code with them.
struct RefinedLatents {
  std::vector<float> y;    // layout of RefineInput::y
  std::vector<int32_t> z;  // layout of RefineInput::z
};

class LatentRefiner {
 public:
  virtual ~LatentRefiner() = default;
  // The refined latents and hyper-latents for `effort` (> kMinEffort), deterministic for any
  // thread count.
  virtual StatusOr<RefinedLatents> refine(const RefineInput& in, int effort, int tile_latents, int threads,
                                              TransformPrecision precision, const RefineProgressFn& progress) = 0;
};

}  // namespace facet
