// ModelConfig validation and its round trip through safetensors metadata strings.
#include "model/model_config.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>

namespace facet {

Status ModelConfig::validate() const {
  FACET_RETURN_ERROR_IF(n < 1 || n > 1024 || m < 1 || m > 1024 || hyper_n < 1 || hyper_n > 1024,
                        kCorrupt, "model channel counts out of range");
  FACET_RETURN_ERROR_IF(chroma < 0 || chroma >= m, kCorrupt, "chroma channels must be in 0..m-1");
  FACET_RETURN_ERROR_IF(groups < 1 || (m - chroma) % groups != 0, kCorrupt,
                        "structure channels (m - chroma) must split into equal groups");
  FACET_RETURN_ERROR_IF(lambdas.empty() || lambdas.size() > 32, kCorrupt, "1..32 rate points needed");
  for (size_t i = 0; i < lambdas.size(); ++i) {
    FACET_RETURN_ERROR_IF(!(lambdas[i] > 0) || (i && !(lambdas[i] > lambdas[i - 1])), kCorrupt,
                          "rate-point lambdas must be positive and increasing");
  }
  FACET_RETURN_ERROR_IF(context_channels < 0 || context_channels > 1024, kCorrupt,
                        "context channels must be in 0..1024");
  FACET_RETURN_ERROR_IF(model_id.empty() || model_id.size() > 64, kCorrupt, "bad model id");
  return ok_status();
}

StatusOr<std::vector<double>> parse_lambda_list(const std::string& text) {
  std::vector<double> lambdas;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    char* end = nullptr;
    lambdas.push_back(std::strtod(item.c_str(), &end));
    FACET_RETURN_ERROR_IF(item.empty() || *end != '\0', kCorrupt, "bad lambda list '" + text + "'");
  }
  FACET_RETURN_ERROR_IF(lambdas.empty(), kCorrupt, "empty lambda list");
  return lambdas;
}

std::string format_lambda_list(const std::vector<double>& lambdas) {
  std::ostringstream l;
  l.precision(17);
  for (size_t i = 0; i < lambdas.size(); ++i) l << (i ? "," : "") << lambdas[i];
  return l.str();
}

std::map<std::string, std::string> ModelConfig::to_metadata() const {
  std::map<std::string, std::string> md = {{"facet.format", "facet-photo-1"},
          {"facet.model_id", model_id},
          {"facet.n", std::to_string(n)},
          {"facet.m", std::to_string(m)},
          {"facet.hyper_n", std::to_string(hyper_n)},
          {"facet.groups", std::to_string(groups)},
          {"facet.lambdas", format_lambda_list(lambdas)}};
  if (chroma > 0) md["facet.chroma"] = std::to_string(chroma);
  if (synthesis_rate_scales) md["facet.synthesis_rate_scales"] = "1";
  if (context_channels > 0) md["facet.context_channels"] = std::to_string(context_channels);
  return md;
}

StatusOr<ModelConfig> ModelConfig::from_metadata(const std::map<std::string, std::string>& md) {
  auto get = [&md](const std::string& key) -> StatusOr<std::string> {
    auto it = md.find(key);
    if (it == md.end()) return make_error(ErrorCode::kCorrupt, "weights metadata lacks '" + key + "'");
    return it->second;
  };
  auto get_int = [&get](const std::string& key) -> StatusOr<int> {
    FACET_ASSIGN_OR_RETURN(std::string text, get(key));
    char* end = nullptr;
    const long v = std::strtol(text.c_str(), &end, 10);
    FACET_RETURN_ERROR_IF(text.empty() || *end != '\0' || v < 0 || v > 1 << 20, kCorrupt,
                          "weights metadata '" + key + "' is not an integer");
    return static_cast<int>(v);
  };
  FACET_ASSIGN_OR_RETURN(std::string format, get("facet.format"));
  FACET_RETURN_ERROR_IF(format != "facet-photo-1", kUnsupported,
                        "weights file of kind '" + format + "' (expected facet-photo-1)");
  ModelConfig c;
  FACET_ASSIGN_OR_RETURN(c.model_id, get("facet.model_id"));
  FACET_ASSIGN_OR_RETURN(c.n, get_int("facet.n"));
  FACET_ASSIGN_OR_RETURN(c.m, get_int("facet.m"));
  FACET_ASSIGN_OR_RETURN(c.hyper_n, get_int("facet.hyper_n"));
  FACET_ASSIGN_OR_RETURN(c.groups, get_int("facet.groups"));
  if (md.count("facet.synthesis_rate_scales")) {
    int flag = 0;
    FACET_ASSIGN_OR_RETURN(flag, get_int("facet.synthesis_rate_scales"));
    FACET_RETURN_ERROR_IF(flag != 0 && flag != 1, kCorrupt, "facet.synthesis_rate_scales must be 0 or 1");
    c.synthesis_rate_scales = flag == 1;
  }
  if (md.count("facet.context_channels")) {
    FACET_ASSIGN_OR_RETURN(c.context_channels, get_int("facet.context_channels"));
  }
  if (md.count("facet.chroma")) {
    FACET_ASSIGN_OR_RETURN(c.chroma, get_int("facet.chroma"));
  }
  FACET_ASSIGN_OR_RETURN(std::string lambdas, get("facet.lambdas"));
  FACET_ASSIGN_OR_RETURN(c.lambdas, parse_lambda_list(lambdas));
  FACET_RETURN_IF_ERROR(c.validate());
  return c;
}

double rate_position(const ModelConfig& config, double quality) {
  return std::clamp(quality, 0.0, 100.0) / 100.0 * (config.rate_points() - 1);
}

TransformCost transform_cost(const ModelConfig& c) {
  const double n = c.n, m = c.m, hn = c.hyper_n;
  TransformCost cost;
  // Per input pixel: a layer at stride s touches 1/s^2 of the pixels.
  cost.analysis_kmac_per_pixel =
      (3 * n * 25 / 4 + n * n * 25 / 16 + n * n * 25 / 64 + n * m * 25 / 256 +
       n * n * (1.0 / 4 + 1.0 / 16 + 1.0 / 64)) / 1000;  // + GDN 1x1
  cost.synthesis_kmac_per_pixel =
      (m * 4 * n * 9 / 256 + n * 4 * n * 9 / 64 + n * 4 * n * 9 / 16 + n * 12 * 9 / 4 +
       n * n * (1.0 / 64 + 1.0 / 16 + 1.0 / 4)) / 1000;
  cost.hyper_kmac_per_pixel = (m * hn * 9 / 256 + hn * hn * 25 / 1024 + hn * hn * 25 / 4096 +  // h_a
                               hn * 4 * hn * 9 / 4096 + hn * 4 * hn * 9 / 1024 + hn * 2 * m * 9 / 256) /
                              1000;  // h_s
  // The group context networks at latent resolution (1/256 of the pixels); encoder and decoder both run them.
  for (int k = 0; k < c.coded_groups(); ++k) {
    const int read = c.context_groups(k);
    if (read == 0) continue;
    const double in = 2.0 * c.coded_group_channels(k) + read * c.group_channels(), out = 2.0 * c.coded_group_channels(k);
    cost.hyper_kmac_per_pixel += (in * c.context_channels * 9 + c.context_channels * out * 9) / 256 / 1000;
  }
  return cost;
}

}  // namespace facet
