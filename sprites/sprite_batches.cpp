// Rendered sprites as LibTorch tensors.
#include "sprites/sprite_batches.h"

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "sprites/sprite_render.h"
#include "sprites/sprites_model.h"

namespace facet {

torch::Tensor sample_sprite_batch(int batch, std::mt19937_64& rng, std::vector<int>* factors) {
  auto out = torch::empty({batch, 1, kSpriteEdge, kSpriteEdge}, torch::kFloat32);
  float* dst = out.data_ptr<float>();
  for (int b = 0; b < batch; ++b) {
    const SpriteFactors f = random_sprite_factors(rng);
    uint8_t pixels[kSpritePixels];
    if (!render_sprite_into(f, pixels).ok()) throw std::logic_error("random sprite factors out of range");
    for (size_t i = 0; i < kSpritePixels; ++i) dst[size_t(b) * kSpritePixels + i] = float(pixels[i]);
    if (factors) factors->insert(factors->end(), {f.shape, f.scale, f.orientation, f.pos_x, f.pos_y});
  }
  return out;
}

torch::Tensor render_all_sprites(int threads) {
  auto table = torch::empty({int64_t(kSpriteCombinations), int64_t(kSpritePixels)}, torch::kUInt8);
  uint8_t* base = table.data_ptr<uint8_t>();
  threads = std::max(1, threads);
  std::vector<std::thread> workers;
  std::vector<Status> failures(threads, ok_status());
  for (int w = 0; w < threads; ++w)
    workers.emplace_back([&, w] {
      for (uint64_t i = w; i < kSpriteCombinations; i += threads) {
        auto f = sprite_factors_from_index(i);
        Status s = f.ok() ? render_sprite_into(*f, base + i * kSpritePixels) : f.status();
        if (!s.ok()) {
          failures[w] = s;
          return;
        }
      }
    });
  for (auto& t : workers) t.join();
  for (const Status& s : failures)
    if (!s.ok()) throw std::logic_error("rendering the sprite table: " + s.to_string());
  return table;
}

}  // namespace facet
