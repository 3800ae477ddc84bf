// LibTorch on the coding tiles: one LibTorch thread per tile worker, bf16 autocast, gradients for
// the refinement, and LibTorch's exceptions turned into the codec's errors.
#pragma once

#include <functional>
#include <vector>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "codec/tiles.h"
#include "common/precision.h"
#include "common/status.h"

namespace facet {

// Whether the tile workers record autograd graphs (encoder refinement) or not (coding).
enum class TileGradients { kOff, kOn };

// LibTorch at one thread for its lifetime (the thread count it found is restored after).
class OneLibTorchThread {
 public:
  OneLibTorchThread() : saved_(at::get_num_threads()) { at::set_num_threads(1); }
  ~OneLibTorchThread() { at::set_num_threads(saved_); }
  OneLibTorchThread(const OneLibTorchThread&) = delete;
  OneLibTorchThread& operator=(const OneLibTorchThread&) = delete;

 private:
  int saved_;
};

// Catches LibTorch's exceptions at the codec boundary (STYLE.md: one error type).
template <typename F>
auto guard_torch(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const c10::Error& e) {
    return make_error(ErrorCode::kInternal, std::string("LibTorch: ") + e.what_without_backtrace());
  } catch (const std::bad_alloc&) {
    return make_error(ErrorCode::kLimitExceeded, "out of memory");
  }
}

// Runs work(tile) for every tile as codec/tiles.h's run_tiles does, each worker with one
// LibTorch thread (LibTorch's global count is 1 while the tiles run), gradients as asked and bf16
// autocast when precision is kBf16: the parallelism is across tiles, never inside a convolution,
// so a tile's numbers do not depend on the thread count.
Status run_torch_tiles(const std::vector<Tile>& tiles, int threads, TransformPrecision precision,
                       const std::function<void(const Tile&)>& work, TileGradients gradients = TileGradients::kOff);

}  // namespace facet
