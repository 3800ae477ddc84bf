// LibTorch on the coding tiles.
#include "torch_codec/torch_tiles.h"

#include "networks/precision.h"

namespace facet {

Status run_torch_tiles(const std::vector<Tile>& tiles, int threads, TransformPrecision precision,
                       const std::function<void(const Tile&)>& work, TileGradients gradients) {
  OneLibTorchThread one;
  return run_tiles(
      tiles, threads,
      [&](const Tile& t) -> Status {
        return guard_torch([&]() -> Status {
          torch::AutoGradMode grad_mode(gradients == TileGradients::kOn);
          Bf16Autocast autocast(precision == TransformPrecision::kBf16, torch::kCPU);
          work(t);
          return ok_status();
        });
      },
      [] { at::init_num_threads(); });  // this thread's OpenMP count: LibTorch's global one, 1
}

}  // namespace facet
