// The RD plot of `facet rd --plot`: bpp against PSNR-RGB for every curve, drawn with OpenCV.
#pragma once

#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "eval/rd_sweep.h"

namespace facet {

struct RdPlotOptions {
  int width = 1200, height = 800;
  std::string title = "Rate-distortion";
  double max_bpp = 0;  // x range end; 0: up to the largest measured bpp (references are clipped to it)
};

// A PNG: a line and markers per curve in distinct colours, reference (published) curves dashed,
// a legend, axis labels with tick values, a grid and the title. kInvalidArgument when no curve
// has a point.
StatusOr<Bytes> draw_rd_plot(const std::vector<RdCurve>& curves, const RdPlotOptions& options);

// The label of an axis tick at `value` on a grid of `step` (1, 2, 2.5 or 5 times a power of ten):
// as many decimals as the step needs, so that every tick reads its true value ("37.5", not "38").
std::string axis_tick_label(double value, double step);

}  // namespace facet
