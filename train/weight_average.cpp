// Exponential moving averages of a model's parameters.
#include "train/weight_average.h"

#include <cmath>
#include <sstream>

#include "networks/tensor_io.h"

namespace facet {
namespace {

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> items;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, ',')) items.push_back(item);
  if (!text.empty() && text.back() == ',') items.emplace_back();  // getline drops a trailing empty item
  return items;
}

}  // namespace

WeightAverages::WeightAverages(const std::vector<double>& decays, torch::nn::Module& module) {
  for (const auto& item : module.named_parameters()) {
    names_.push_back(item.key());
    parameters_.push_back(item.value());
  }
  for (double d : decays) {
    Average a;
    a.decay = d;
    for (const auto& p : parameters_) a.sum.push_back(torch::zeros_like(p, torch::kFloat32));
    averages_.push_back(std::move(a));
  }
}

std::string WeightAverages::prefix(double decay) {
  std::ostringstream s;
  s.precision(10);
  s << "ema[" << decay << "]";
  return s.str();
}

void WeightAverages::update() {
  torch::NoGradGuard no_grad;
  for (Average& a : averages_) {
    for (size_t k = 0; k < parameters_.size(); ++k)
      a.sum[k].mul_(a.decay).add_(parameters_[k].detach(), 1.0 - a.decay);
    ++a.updates;
  }
}

torch::Tensor WeightAverages::corrected(const Average& a, size_t k) const {
  return a.sum[k] / (1.0 - std::pow(a.decay, double(a.updates)));
}

void WeightAverages::save(TensorFile& file) const {
  torch::NoGradGuard no_grad;
  for (const Average& a : averages_) {
    if (a.updates == 0) continue;
    const std::string p = prefix(a.decay);
    for (size_t k = 0; k < names_.size(); ++k)
      file.tensors[p + "." + names_[k]] = to_tensor_data(corrected(a, k).contiguous());
    file.metadata[p + ".updates"] = std::to_string(a.updates);
  }
}

Status WeightAverages::restore(const TensorFile& file) {
  torch::NoGradGuard no_grad;
  for (Average& a : averages_) {
    const std::string p = prefix(a.decay);
    auto count = file.metadata.find(p + ".updates");
    if (count == file.metadata.end()) continue;
    int64_t updates = 0;
    try {
      updates = std::stoll(count->second);
    } catch (const std::exception&) {
      updates = 0;
    }
    FACET_RETURN_ERROR_IF(updates <= 0, kCorrupt, "checkpoint has a bad " + p + ".updates");
    const double weight = 1.0 - std::pow(a.decay, double(updates));
    for (size_t k = 0; k < names_.size(); ++k) {
      auto t = file.tensors.find(p + "." + names_[k]);
      FACET_RETURN_ERROR_IF(t == file.tensors.end(), kCorrupt, "checkpoint lacks " + p + "." + names_[k]);
      FACET_ASSIGN_OR_RETURN(torch::Tensor value, from_tensor_data(t->second));
      FACET_RETURN_ERROR_IF(!value.sizes().equals(a.sum[k].sizes()), kCorrupt,
                            "'" + p + "." + names_[k] + "' has the wrong shape");
      a.sum[k].copy_(value.to(torch::kFloat32) * weight);
    }
    a.updates = updates;
  }
  return ok_status();
}

WeightAverages::Swap::Swap(WeightAverages& averages, size_t i) : averages_(averages) {
  torch::NoGradGuard no_grad;
  const Average& a = averages.averages_.at(i);
  for (size_t k = 0; k < averages.parameters_.size(); ++k) {
    torch::Tensor& p = averages.parameters_[k];
    saved_.push_back(p.detach().clone());
    if (a.updates > 0) p.detach().copy_(averages.corrected(a, k));
  }
}

WeightAverages::Swap::~Swap() {
  torch::NoGradGuard no_grad;
  for (size_t k = 0; k < saved_.size(); ++k) averages_.parameters_[k].detach().copy_(saved_[k]);
}

StatusOr<std::vector<double>> parse_average_decays(const std::string& text) {
  std::vector<double> decays;
  for (const std::string& item : split_commas(text)) {
    double d = 0;
    size_t used = 0;
    try {
      d = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    FACET_RETURN_ERROR_IF(used == 0 || used != item.size() || !(d > 0 && d < 1), kInvalidArgument,
                          "bad average decay '" + item + "' (a number between 0 and 1, e.g. 0.999)");
    for (double e : decays)
      FACET_RETURN_ERROR_IF(e == d, kInvalidArgument, "average decay " + item + " given twice");
    decays.push_back(d);
  }
  FACET_RETURN_ERROR_IF(decays.empty(), kInvalidArgument, "no average decays in '" + text + "'");
  return decays;
}

}  // namespace facet
