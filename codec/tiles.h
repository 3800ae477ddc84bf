// Tiled transforms: the tiles of a latent grid (fixed by the image alone) and the workers that
// run them, one LibTorch thread each, so that the numbers are the same for any thread count.
#pragma once

#include <functional>
#include <utility>
#include <vector>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "networks/precision.h"
#include "common/status.h"

namespace facet {

// Halo of the tiled transforms, in latents (32 pixels): the analysis transform's receptive field
// reaches 30 pixels beyond a latent's block, the synthesis transform's 1.875 latents.
constexpr int kTileHaloLatents = 2;

// One tile of a tiled transform, in latents: the part it owns ([ty, ty + th) x [tx, tx + tw)) and
// the part it computes, the owned part plus a halo ([y0, y1) x [x0, x1)).
struct Tile {
  int ty, tx, th, tw;
  int y0, y1, x0, x1;
};

// Splits `length` latents into ceil(length / edge) parts of near-equal size (one part when
// edge <= 0).
std::vector<std::pair<int, int>> split_evenly(int length, int edge);

// The tiles of a latent grid: fixed by the grid and the tile edge alone (never by the thread
// count), so that the transforms compute the same numbers whatever the threads.
std::vector<Tile> plan_tiles(int latent_h, int latent_w, int tile);

// Whether the tile workers record autograd graphs (encoder refinement) or not (coding).
enum class TileGradients { kOff, kOn };

// Runs work(tile) for every tile on `threads` workers, each tile on one thread with one LibTorch
// thread: the parallelism is across tiles, never inside a convolution, so a tile's numbers do not
// depend on the thread count (oneDNN and ATen choose their kernels and reduction orders for the
// threads they are given). LibTorch's global thread count is 1 while the tiles run and restored
// after. Workers start one at a time, each taking LibTorch's per-thread set-up before any tile.
// Work runs under bf16 autocast when precision is kBf16. LibTorch's exceptions become errors.
Status run_tiles(const std::vector<Tile>& tiles, int threads, TransformPrecision precision,
                 const std::function<void(const Tile&)>& work, TileGradients gradients = TileGradients::kOff);

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

}  // namespace facet
