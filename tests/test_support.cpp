// Helpers shared by the tests.
#include "test_support.h"

#include <catch2/catch.hpp>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <unistd.h>

namespace facet::test {

std::string source_path(const std::string& relative) {
  return std::string(FACET_SOURCE_DIR) + "/" + relative;
}

Bytes read_source_file(const std::string& relative) {
  std::ifstream in(source_path(relative), std::ios::binary);
  if (!in) FAIL("cannot open test file " << source_path(relative));
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string make_temp_dir() {
  static std::atomic<int> counter{0};
  auto dir = std::filesystem::temp_directory_path() /
             ("facet_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

double Rng::normal() {
  double u1 = uniform(), u2 = uniform();
  if (u1 < 1e-300) u1 = 1e-300;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

Bytes random_bytes(size_t size, Rng& rng) {
  Bytes out(size);
  for (uint8_t& b : out) b = static_cast<uint8_t>(rng.next());
  return out;
}

Bytes compressible_bytes(size_t size, Rng& rng) {
  Bytes out(size);
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<uint8_t>((i / 7) % 13 + rng.below(3));
  return out;
}

}  // namespace facet::test
