// Pieces shared by the training loops.
#include "train/train_loop.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <csignal>

namespace facet {
namespace {

// Fractions of the budget at which the speed is measured; the first one only opens the window.
constexpr std::array<double, 4> kMarks = {0.02, 0.15, 0.35, 0.60};
constexpr double kUsable = 0.98;  // the share of the budget the fitted total aims at

std::atomic<int> g_stop_signal{0};

extern "C" void on_stop_signal(int signal) {
  g_stop_signal.store(signal);
  std::signal(signal, SIG_DFL);
}

}  // namespace

void catch_stop_signals() {
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGINT, on_stop_signal);
}

int stop_signal() { return g_stop_signal.load(); }

StepBudget::StepBudget(double seconds, int64_t max_steps)
    : seconds_(seconds), max_steps_(max_steps), total_(max_steps), start_(Clock::now()) {}

double StepBudget::elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

bool StepBudget::update(int64_t step) {
  if (seconds_ <= 0) return false;
  const double now = elapsed();
  if (now >= seconds_) {  // out of time: stop after this step
    total_ = std::min(total_, step);
    return false;
  }
  if (next_mark_ >= int(kMarks.size()) || now < kMarks[next_mark_] * seconds_) return false;
  bool changed = false;
  if (window_step_ >= 0 && step > window_step_ && now > window_time_) {
    const double speed = double(step - window_step_) / (now - window_time_);
    const double left = std::max(0.0, kUsable * seconds_ - now);
    total_ = std::clamp<int64_t>(step + int64_t(std::floor(speed * left)), step, max_steps_);
    changed = true;
  }
  window_step_ = step;
  window_time_ = now;
  ++next_mark_;
  return changed;
}

void clip_gradients(const std::vector<torch::Tensor>& parameters, double max_norm) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> norms;
  std::vector<torch::Tensor> grads;
  for (const auto& p : parameters)
    if (p.grad().defined()) {
      grads.push_back(p.grad());
      norms.push_back(p.grad().norm(2));
    }
  if (grads.empty()) return;
  auto total = torch::stack(norms).norm(2);
  auto coefficient = (max_norm / (total + 1e-6)).clamp_max(1.0);
  for (auto& g : grads) g.mul_(coefficient);
}

void prepare_training_device(const torch::Device& device) {
  if (device.is_cuda()) at::globalContext().setBenchmarkCuDNN(true);
}

}  // namespace facet
