// The sprites beta-TCVAE's training loop.
#include "train/sprites_trainer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include "train/checkpoint.h"
#include "sprites/sprite_batches.h"
#include "sprites/sprite_render.h"
#include "sprites/sprites_codec_model.h"
#include "train/train_loop.h"

namespace facet {

using Clock = std::chrono::steady_clock;


Status train_sprites_model(const SpritesTrainOptions& o, const std::function<void(const SpritesProgress&)>& report) {
  FACET_RETURN_IF_ERROR(o.config.validate());
  FACET_RETURN_ERROR_IF(o.batch < 2 || o.steps < 0, kInvalidArgument,
                        "sprites training needs a batch of at least 2 (the total-correlation estimate) and steps >= 0");
  try {
    torch::manual_seed(o.seed);
    const torch::Device device(o.device);
    prepare_training_device(device);
    // On a GPU every sprite is rendered once and kept there (3 GB), and a batch is drawn by index:
    // rendering a large batch on the host each step would leave the GPU waiting.
    torch::Tensor table;
    if (device.is_cuda()) {
      const auto start = Clock::now();
      table = render_all_sprites(int(std::thread::hardware_concurrency())).to(device);
      std::printf("rendered all %u sprites to the device in %.1f s\n", kSpriteCombinations,
                  std::chrono::duration<double>(Clock::now() - start).count());
    }
    SpritesVae model(o.config);
    model->to(device);
    torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(o.learning_rate));
    int64_t step = 0;
    if (o.resume) {
      FACET_ASSIGN_OR_RETURN(step, load_checkpoint(o.checkpoint, *model, adam, device));
    }
    std::mt19937_64 rng(o.seed * 1000003 + uint64_t(step));
    model->train();
    // Window sums stay on the device (no host wait per step).
    const auto on_device = torch::TensorOptions(device);
    torch::Tensor loss_sum = torch::zeros({}, on_device), rec_sum = loss_sum.clone(), kl_sum = loss_sum.clone(),
                  tc_sum = loss_sum.clone();
    torch::Tensor kl_latents = torch::zeros({o.config.latents}, on_device);
    int64_t window = 0;
    auto window_start = Clock::now();
    StepBudget budget(o.time_budget_seconds, o.steps);
    for (; step < budget.total(); ++step) {
      const double lr = warmup_cosine_learning_rate(o.learning_rate, o.warmup_steps, o.final_lr_fraction,
                                                    budget.total(), step);
      for (auto& group : adam.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
      auto x = table.defined()
                   ? table.index_select(0, torch::randint(int64_t(kSpriteCombinations), {o.batch},
                                                          torch::TensorOptions(device).dtype(torch::kLong)))
                         .to(torch::kFloat32)
                         .view({o.batch, 1, kSpriteEdge, kSpriteEdge})
                   : sample_sprite_batch(o.batch, rng).to(device);
      SpritesLoss l = sprites_loss(model, x);
      adam.zero_grad();
      l.total.backward();
      adam.step();
      loss_sum += l.total.detach();
      rec_sum += l.reconstruction.detach();
      kl_sum += l.kl.detach();
      tc_sum += l.total_correlation.detach();
      kl_latents += l.kl_per_latent.detach();
      ++window;
      if (budget.update(step + 1)) {
        SpritesProgress p;
        p.step = step + 1;
        p.budget_steps = budget.total();
        report(p);
      }
      const bool last = step + 1 == budget.total();
      if ((step + 1) % o.log_every == 0 || last) {
        SpritesProgress p;
        p.step = step + 1;
        p.loss = loss_sum.item<double>() / window;
        p.reconstruction = rec_sum.item<double>() / window;
        p.kl = kl_sum.item<double>() / window;
        p.total_correlation = tc_sum.item<double>() / window;
        p.learning_rate = lr;
        p.active_latents = int((kl_latents / double(window) > 0.1).sum().item<int64_t>());
        p.steps_per_second = window / std::chrono::duration<double>(Clock::now() - window_start).count();
        report(p);
        for (auto* sum : {&loss_sum, &rec_sum, &kl_sum, &tc_sum, &kl_latents}) sum->zero_();
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
