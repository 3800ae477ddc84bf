// Rate-point tables moved to a new lambda list (see rate_points.h).
#include "train/rate_points.h"

#include <cmath>
#include <algorithm>

#include "model/entropy_model.h"
#include "model/model_config.h"

namespace facet {
namespace {

bool same_lambda(double a, double b) { return std::abs(a - b) <= 1e-6 * std::max(std::abs(a), std::abs(b)); }

TensorData f32_tensor(std::vector<int64_t> shape, const std::vector<float>& values) {
  TensorData d;
  d.dtype = TensorDtype::kF32;
  d.shape = std::move(shape);
  d.data.resize(values.size() * 4);
  std::memcpy(d.data.data(), values.data(), d.data.size());
  return d;
}

// For new rate point j: the rows of the old table it is made of and their weights.
struct RowSource {
  int first = 0, second = 0;
  double first_weight = 1, second_weight = 0;
  int nearest = 0;  // for Adam's second moment
  bool kept = false;
};

std::vector<RowSource> row_sources(const std::vector<double>& from, const std::vector<double>& to) {
  std::vector<RowSource> sources(to.size());
  const int n = int(from.size());
  for (size_t j = 0; j < to.size(); ++j) {
    RowSource& s = sources[j];
    const double x = std::log(to[j]);
    int nearest = 0;
    for (int i = 0; i < n; ++i) {
      if (same_lambda(from[i], to[j])) {
        s.first = s.second = s.nearest = i;
        s.kept = true;
      }
      if (std::abs(std::log(from[i]) - x) < std::abs(std::log(from[nearest]) - x)) nearest = i;
    }
    if (s.kept) continue;
    s.nearest = nearest;
    if (n == 1) {
      s.first = s.second = 0;
      continue;
    }
    // Neighbours a < b in the old list: the pair around x, or the two nearest at an end.
    int a = 0;
    while (a + 2 < n && std::log(from[a + 1]) < x) ++a;
    const int b = a + 1;
    const double xa = std::log(from[a]), xb = std::log(from[b]);
    const double t = (x - xa) / (xb - xa);  // < 0 or > 1 when extrapolating
    s.first = a;
    s.second = b;
    s.first_weight = 1 - t;
    s.second_weight = t;
  }
  return sources;
}

// The photo model's tables with one row per rate point.
constexpr const char* kRatePointTables[] = {"log_gains", "log_inverse_gains", "log_synthesis_scales"};

}  // namespace

Status remap_rate_points(TensorFile& file, const std::vector<double>& lambdas) {
  auto it = file.metadata.find("facet.lambdas");
  if (it == file.metadata.end()) return ok_status();
  FACET_ASSIGN_OR_RETURN(const std::vector<double> from, parse_lambda_list(it->second));
  if (from.size() == lambdas.size()) {
    bool same = true;
    for (size_t i = 0; i < from.size(); ++i) same = same && same_lambda(from[i], lambdas[i]);
    if (same) return ok_status();
  }
  for (double l : from) {
    bool found = false;
    for (double m : lambdas) found = found || same_lambda(l, m);
    FACET_RETURN_ERROR_IF(!found, kInvalidArgument,
                          "--lambdas must keep every rate point of the model it starts from (" + it->second +
                              "); lambda " + std::to_string(l) + " is missing");
  }
  const std::vector<RowSource> sources = row_sources(from, lambdas);
  // The weights, their Adam moments and their averages (train/weight_average.h: "ema[d].").
  std::vector<std::string> prefixes = {"", "adam.m.", "adam.v."};
  for (const auto& [name, tensor] : file.tensors) {
    const size_t end = name.find("].");
    if (name.rfind("ema[", 0) != 0 || end == std::string::npos) continue;
    const std::string prefix = name.substr(0, end + 2);
    if (std::find(prefixes.begin(), prefixes.end(), prefix) == prefixes.end()) prefixes.push_back(prefix);
  }
  for (const char* table : kRatePointTables) {
    for (const std::string& prefix : prefixes) {
      const std::string name = prefix + table;
      auto t = file.tensors.find(name);
      if (t == file.tensors.end()) continue;
      const TensorData& d = t->second;
      FACET_RETURN_ERROR_IF(d.shape.size() != 2 || d.shape[0] != int64_t(from.size()), kCorrupt,
                            "'" + name + "' does not have one row per rate point");
      FACET_ASSIGN_OR_RETURN(const std::vector<float> old_rows, tensor_as_floats(d));
      const int64_t width = d.shape[1];
      std::vector<float> rows(lambdas.size() * size_t(width));
      for (size_t j = 0; j < lambdas.size(); ++j) {
        const RowSource& s = sources[j];
        float* out = rows.data() + j * size_t(width);
        for (int64_t c = 0; c < width; ++c) {
          if (prefix == "adam.m.") {
            out[c] = s.kept ? old_rows[size_t(s.first * width + c)] : 0.0f;
          } else if (prefix == "adam.v.") {
            out[c] = old_rows[size_t(s.nearest * width + c)];
          } else {
            out[c] = float(s.first_weight * old_rows[size_t(s.first * width + c)] +
                           s.second_weight * old_rows[size_t(s.second * width + c)]);
          }
        }
      }
      t->second = f32_tensor({int64_t(lambdas.size()), width}, rows);
    }
  }
  it->second = format_lambda_list(lambdas);
  return ok_status();
}

}  // namespace facet
