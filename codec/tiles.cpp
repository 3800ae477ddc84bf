#include "codec/tiles.h"

#include <algorithm>
#include <atomic>
#include <future>
#include <mutex>
#include <thread>

namespace facet {

std::vector<std::pair<int, int>> split_evenly(int length, int edge) {
  const int parts = edge <= 0 ? 1 : std::max(1, (length + edge - 1) / edge);
  std::vector<std::pair<int, int>> out;
  for (int k = 0; k < parts; ++k) {
    const int a = int(int64_t(length) * k / parts), b = int(int64_t(length) * (k + 1) / parts);
    out.emplace_back(a, b - a);
  }
  return out;
}

std::vector<Tile> plan_tiles(int latent_h, int latent_w, int tile) {
  std::vector<Tile> tiles;
  for (const auto& [ty, th] : split_evenly(latent_h, tile))
    for (const auto& [tx, tw] : split_evenly(latent_w, tile))
      tiles.push_back({ty, tx, th, tw, std::max(0, ty - kTileHaloLatents), std::min(latent_h, ty + th + kTileHaloLatents),
                       std::max(0, tx - kTileHaloLatents), std::min(latent_w, tx + tw + kTileHaloLatents)});
  return tiles;
}

Status run_tiles(const std::vector<Tile>& tiles, int threads, TransformPrecision precision,
                 const std::function<void(const Tile&)>& work, TileGradients gradients) {
  OneLibTorchThread one;
  std::atomic<size_t> next{0};
  std::mutex error_mutex;
  Status first_error = ok_status();
  auto worker = [&] {
    Status s = guard_torch([&]() -> Status {
      torch::AutoGradMode grad_mode(gradients == TileGradients::kOn);
      Bf16Autocast autocast(precision == TransformPrecision::kBf16, torch::kCPU);
      for (size_t i = next++; i < tiles.size(); i = next++) work(tiles[i]);
      return ok_status();
    });
    if (!s.ok()) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (first_error.ok()) first_error = s;
      next = tiles.size();
    }
  };
  const int workers = int(std::min<size_t>(size_t(std::max(threads, 1)), tiles.size()));
  std::vector<std::thread> pool;
  for (int k = 1; k < workers; ++k) {
    std::promise<void> ready;
    std::future<void> started = ready.get_future();
    pool.emplace_back([&, ready = std::move(ready)]() mutable {
      at::init_num_threads();  // this thread's OpenMP count: LibTorch's global one, 1
      ready.set_value();
      worker();
    });
    started.wait();
  }
  worker();
  for (auto& t : pool) t.join();
  return first_error;
}

}  // namespace facet
