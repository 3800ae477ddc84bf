// The tiles of a latent grid and the workers that run them.
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

Status run_tiles(const std::vector<Tile>& tiles, int threads, const std::function<Status(const Tile&)>& work,
                 const std::function<void()>& enter_worker) {
  std::atomic<size_t> next{0};
  std::mutex error_mutex;
  Status first_error = ok_status();
  // Workers start one at a time, each finishing its set-up (a backend's per-thread state) before
  // the next starts.
  auto worker = [&](std::promise<void>* ready) {
    Status s = ok_status();
    try {
      if (enter_worker) enter_worker();
      if (ready) ready->set_value();
      ready = nullptr;
      for (size_t i = next++; i < tiles.size() && s.ok(); i = next++) s = work(tiles[i]);
    } catch (const std::bad_alloc&) {
      s = make_error(ErrorCode::kLimitExceeded, "out of memory");
    }
    if (ready) ready->set_value();
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
    pool.emplace_back([&worker, ready = std::move(ready)]() mutable { worker(&ready); });
    started.wait();
  }
  worker(nullptr);
  for (auto& t : pool) t.join();
  return first_error;
}

}  // namespace facet
