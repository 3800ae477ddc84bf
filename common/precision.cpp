// The CPU's bf16 capability, read from /proc/cpuinfo.
#include "common/precision.h"

#include <fstream>
#include <set>
#include <sstream>

namespace facet {

std::string cpu_bf16_flags() {
  std::ifstream in("/proc/cpuinfo");
  std::set<std::string> found;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line);
    for (std::string w; words >> w;)
      if (w == "avx512_bf16" || w == "amx_bf16" || w == "amx_tile" || w == "avx_ne_convert") found.insert(w);
    break;  // every core lists the same flags
  }
  std::string out;
  for (const auto& f : found) out += (out.empty() ? "" : " ") + f;
  return out;
}

TransformPrecision resolve_cpu_precision(TransformPrecision requested) {
  if (requested != TransformPrecision::kAuto) return requested;
  const std::string flags = cpu_bf16_flags();
  const bool fast = flags.find("avx512_bf16") != std::string::npos || flags.find("amx_bf16") != std::string::npos;
  return fast ? TransformPrecision::kBf16 : TransformPrecision::kFp32;
}

}  // namespace facet
