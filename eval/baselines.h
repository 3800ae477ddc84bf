// Baseline codecs for `facet rd`: JPEG and WebP through OpenCV, JPEG XL and AVIF through the
// command-line tools cjxl/djxl and avifenc/avifdec when they are installed.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "eval/rd_sweep.h"

namespace facet {

// The baselines `--baselines` accepts, in the order they are measured.
const std::vector<std::string>& baseline_names();

// The sweeps, chosen to span roughly 0.1-2 bpp on Kodak-like photos:
//   jpeg  OpenCV IMWRITE_JPEG_QUALITY 5, 10, ..., 95 (4:2:0, the libjpeg default, like Pillow's)
//   webp  OpenCV IMWRITE_WEBP_QUALITY 5, 10, ..., 95 (lossy)
//   jxl   cjxl -d 0.5 0.7 1 1.4 2 2.8 4 5.6 8 11 15 (butteraugli distance; effort 7, the default)
//   avif  avifenc --min Q --max Q, Q = 10 16 22 ... 58 (AV1 quantizer; speed 6, 4:4:4)
struct BaselineLookup {
  bool available = false;
  RdCodec codec;            // when available
  std::string skip_reason;  // when not: e.g. "cjxl not found on PATH"
};

// kInvalidArgument for a name not in baseline_names(). A missing tool is not an error: the
// lookup says it is unavailable and why.
StatusOr<BaselineLookup> find_baseline(const std::string& name);

// Runs a program (looked up on PATH, never through a shell) with `args`, its stdout and stderr
// captured together into `output` when given. Returns its exit status, or kIo if it could not be
// started (e.g. not installed).
StatusOr<int> run_program(const std::vector<std::string>& args, std::string* output = nullptr);

}  // namespace facet
