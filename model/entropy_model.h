// What a photo model's files need besides the networks: its configuration, the integer CDF tables
// of every stream and the weights of the deterministic hyper-synthesis, read from a weights file
// without LibTorch (FORMAT.md §9). The decoder's entropy path (bitstream/) runs on this alone; the
// networks (networks/) add the transforms.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "entropy/quantized_cdf.h"
#include "formats/safetensors.h"
#include "model/group_context.h"
#include "model/hyper_synthesis.h"
#include "model/model_config.h"

namespace facet {

// What coding needs besides the networks.
struct EntropyTables {
  CdfTableSet z_tables;                // one per hyper-latent channel
  CdfTableSet y_tables;                // one per Gaussian scale
  std::vector<float> scales;           // the Gaussian scale table
  std::vector<float> scale_thresholds; // softplus^-1(scales): compared with h_s's raw scales
  // One table per appearance factor (model/appearance.h), over its symbol range; absent (no
  // tables) in models made before the appearance factors, whose files carry none.
  CdfTableSet appearance_tables;
  bool has_appearance() const;
};

// The appearance factors' prior tables (discretized Gaussians of appearance.h's priors).
StatusOr<CdfTableSet> make_appearance_tables();

// A CDF table set as three tensors <prefix>.cdf [T, L] (rows padded with 65536), .sizes [T],
// .offsets [T]; and back (validated).
void put_cdf_tables(TensorFile& file, const std::string& prefix, const CdfTableSet& set);
StatusOr<CdfTableSet> get_cdf_tables(const TensorFile& file, const std::string& prefix);

// Every table of `tables` into a weights file ("tables.z", "tables.y", "tables.y.scales",
// "tables.y.thresholds", "tables.appearance").
void put_entropy_tables(TensorFile& file, const EntropyTables& tables);

// A floating-point tensor (F32, BF16 or F16) as floats; F16 and BF16 convert exactly.
StatusOr<std::vector<float>> tensor_as_floats(const TensorData& d);

// The entropy side of a photo model, from its weights file: the configuration (metadata), the
// tables, and the hyper-synthesis h_s's three convolutions (parameters hs_up1.conv.*,
// hs_up2.conv.*, hs_out.*) and, with group context, its networks (context_s<g>.{0,2}.*,
// context_chroma.{0,2}.*). Every name, dtype and shape is checked.
struct EntropyModel {
  ModelConfig config;
  EntropyTables tables;
  HyperSynthesisWeights hyper_synthesis;
  std::vector<GroupContextWeights> group_context;  // one per coded group; empty without group context
};
// kTablesOnly: the configuration and the tables, no networks (hyper_synthesis and group_context
// stay empty): what reading a file's global factors and editing it need, and all a weights file
// decoded with decode_weights_file_selected(..., is_entropy_table) holds.
enum class EntropyModelParts { kAll, kTablesOnly };
StatusOr<EntropyModel> entropy_model_from_tensor_file(const TensorFile& file,
                                                      EntropyModelParts parts = EntropyModelParts::kAll);
// Whether a tensor of a weights file is one of the entropy tables ("tables." ...).
bool is_entropy_table(const std::string& tensor);

}  // namespace facet
