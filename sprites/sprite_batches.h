// Rendered sprites as LibTorch tensors: random batches with their factors (training, the codec's
// baking, evaluation) and the whole data set.
#pragma once

#include <random>
#include <vector>
#include <torch/torch.h>

namespace facet {

// A batch of random sprites: pixels [B, 1, 64, 64] in {0, 1}; factor indexes appended to
// `factors` (5 per sprite) when given.
torch::Tensor sample_sprite_batch(int batch, std::mt19937_64& rng, std::vector<int>* factors = nullptr);

// Every sprite in sprite_index order, as [737280, 4096] uint8 (3 GB), rendered by `threads` threads.
torch::Tensor render_all_sprites(int threads);

}  // namespace facet
