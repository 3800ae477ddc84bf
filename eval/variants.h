// Stored-file operations that `facet rd --variants` measures: functions from .fct bytes to new
// .fct bytes (dropping groups now; the factor operations plug in here as they arrive).
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "eval/rd_sweep.h"

namespace facet {

// What --variants accepts, for the help text: {syntax, meaning}.
struct VariantSyntax {
  std::string syntax, meaning;
};
const std::vector<VariantSyntax>& variant_syntaxes();

// "full" (the file as encoded) or "drop:structure:K" (the K finest structure groups removed from
// the container; the decoder uses their prior mean). kInvalidArgument for anything else.
StatusOr<RdVariant> make_variant(const std::string& spec);

// Removes the `count` structure groups with the highest indexes (structure.G-1, structure.G-2, ...)
// from a .fct file and writes it again. kInvalidArgument if the file has fewer groups.
StatusOr<Bytes> drop_finest_structure_groups(const Bytes& fct, int count);

}  // namespace facet
