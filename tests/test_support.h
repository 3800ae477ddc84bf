// Helpers shared by the tests: source-tree paths and a small deterministic random generator.
#pragma once

#include <cstdint>
#include <string>

#include "common/bytes.h"

namespace facet::test {

// Absolute path of a file in the source tree, e.g. source_path("corpus/kodim23_crop.png").
std::string source_path(const std::string& relative);

// Reads a file of the source tree; fails the current test if it cannot.
Bytes read_source_file(const std::string& relative);

// A fresh empty directory under the system temp dir, unique per call.
std::string make_temp_dir();

// SplitMix64: deterministic, seedable, fast; good enough for test data.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n).
  uint64_t below(uint64_t n) { return n == 0 ? 0 : next() % n; }
  // Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
  // Standard normal (Box-Muller).
  double normal();

 private:
  uint64_t state_;
};

// Random bytes (incompressible), and bytes that compress well but not trivially, so that zstd
// emits real compressed blocks.
Bytes random_bytes(size_t size, Rng& rng);
Bytes compressible_bytes(size_t size, Rng& rng);

}  // namespace facet::test
