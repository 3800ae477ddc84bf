// Adding rate points to a trained photo model: its per-rate-point tables (the gains, the inverse
// gains, the synthesis scales) and their Adam moments, moved from the lambdas a checkpoint or a
// weights file was trained with to a new, longer list, so that a run can resume with more rate
// points (a lower or a higher lambda) without starting over.
#pragma once

#include <vector>

#include "common/status.h"
#include "formats/safetensors.h"

namespace facet {

// Rewrites `file` (a photo model's weights or checkpoint, its lambdas in the metadata
// "facet.lambdas") for the rate points `lambdas`. Every lambda of the file must be among them
// (relative tolerance 1e-6): its rows are kept. A new rate point's row is interpolated linearly in
// log lambda between its two neighbours, or extrapolated from the two nearest rate points when it
// lies outside the file's range (copied when the file has one). Adam's first moment starts at 0
// for a new row and its second moment is the nearest kept row's, so the first steps of a new row
// are not larger than its neighbours'. No-op when the lambdas are the same or the file has none.
Status remap_rate_points(TensorFile& file, const std::vector<double>& lambdas);

}  // namespace facet
