// Splitting a loop over threads: for work whose every item writes only its own outputs, so that
// the result never depends on the thread count.
#pragma once

#include <algorithm>
#include <cstddef>
#include <thread>
#include <vector>

namespace facet {

// Runs fn(begin, end) over [0, count) in min(threads, count) contiguous ranges, one per thread
// (the calling thread takes the first). fn must not throw.
template <typename Fn>
void parallel_ranges(size_t count, int threads, Fn&& fn) {
  const size_t workers = std::min<size_t>(size_t(std::max(threads, 1)), count);
  if (workers <= 1) {
    if (count > 0) fn(size_t{0}, count);
    return;
  }
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  for (size_t k = 1; k < workers; ++k)
    pool.emplace_back([&fn, k, count, workers] { fn(count * k / workers, count * (k + 1) / workers); });
  fn(size_t{0}, count / workers);
  for (auto& thread : pool) thread.join();
}

}  // namespace facet
