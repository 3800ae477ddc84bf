// Tiled transforms: the tiles of a latent grid (fixed by the image alone) and the workers that
// run them, each tile on one thread, so that the numbers are the same for any thread count.
#pragma once

#include <functional>
#include <utility>
#include <vector>

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

// Runs work(tile) for every tile on min(threads, tiles) workers (the calling thread is one), each
// tile on one thread; enter_worker runs on each worker before its first tile. The first error
// stops the run (tiles not started are skipped) and is returned.
Status run_tiles(const std::vector<Tile>& tiles, int threads, const std::function<Status(const Tile&)>& work,
                 const std::function<void()>& enter_worker = nullptr);

}  // namespace facet
