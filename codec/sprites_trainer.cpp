// The sprites beta-TCVAE's training loop.
#include "codec/sprites_trainer.h"

#include <chrono>
#include <random>

#include "codec/checkpoint.h"
#include "codec/sprite_render.h"
#include "codec/sprites_codec_model.h"

namespace facet {

using Clock = std::chrono::steady_clock;

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

Status train_sprites_model(const SpritesTrainOptions& o, const std::function<void(const SpritesProgress&)>& report) {
  FACET_RETURN_IF_ERROR(o.config.validate());
  FACET_RETURN_ERROR_IF(o.batch < 2 || o.steps < 0, kInvalidArgument,
                        "sprites training needs a batch of at least 2 (the total-correlation estimate) and steps >= 0");
  try {
    torch::manual_seed(o.seed);
    const torch::Device device(o.device);
    SpritesVae model(o.config);
    model->to(device);
    torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(o.learning_rate));
    int64_t step = 0;
    if (o.resume) {
      FACET_ASSIGN_OR_RETURN(step, load_checkpoint(o.checkpoint, *model, adam, device));
    }
    std::mt19937_64 rng(o.seed * 1000003 + uint64_t(step));
    model->train();
    double loss_sum = 0, rec_sum = 0, kl_sum = 0, tc_sum = 0;
    torch::Tensor kl_latents = torch::zeros({o.config.latents});
    int64_t window = 0;
    auto window_start = Clock::now();
    for (; step < o.steps; ++step) {
      const double lr =
          warmup_cosine_learning_rate(o.learning_rate, o.warmup_steps, o.final_lr_fraction, o.steps, step);
      for (auto& group : adam.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
      auto x = sample_sprite_batch(o.batch, rng).to(device);
      SpritesLoss l = sprites_loss(model, x);
      adam.zero_grad();
      l.total.backward();
      adam.step();
      loss_sum += l.total.item<double>();
      rec_sum += l.reconstruction.item<double>();
      kl_sum += l.kl.item<double>();
      tc_sum += l.total_correlation.item<double>();
      kl_latents += l.kl_per_latent.detach().to(torch::kCPU);
      ++window;
      const bool last = step + 1 == o.steps;
      if ((step + 1) % o.log_every == 0 || last) {
        SpritesProgress p;
        p.step = step + 1;
        p.loss = loss_sum / window;
        p.reconstruction = rec_sum / window;
        p.kl = kl_sum / window;
        p.total_correlation = tc_sum / window;
        p.learning_rate = lr;
        p.active_latents = int((kl_latents / double(window) > 0.1).sum().item<int64_t>());
        p.steps_per_second = window / std::chrono::duration<double>(Clock::now() - window_start).count();
        report(p);
        loss_sum = rec_sum = kl_sum = tc_sum = 0;
        kl_latents.zero_();
        window = 0;
        window_start = Clock::now();
      }
      if (!o.checkpoint.empty() && ((step + 1) % o.checkpoint_every == 0 || last))
        FACET_RETURN_IF_ERROR(save_checkpoint(o.checkpoint, *model, adam, step + 1, o.config.to_metadata()));
    }
    if (!o.output.empty()) {
      model->to(torch::kCPU);
      model->eval();
      FACET_ASSIGN_OR_RETURN(SpritesCodecInfo info, bake_sprites_codec(model, o.seed + 7777));
      FACET_ASSIGN_OR_RETURN(TensorFile file, sprites_model_to_tensor_file(model, info));
      FACET_RETURN_IF_ERROR(write_tensor_file(o.output, file));
    }
  } catch (const c10::Error& e) {
    return make_error(ErrorCode::kInternal, std::string("LibTorch: ") + e.what_without_backtrace());
  }
  return ok_status();
}

}  // namespace facet
