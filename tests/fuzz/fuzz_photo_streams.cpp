// Fuzz target: the decoder's whole entropy path on a stored photo file: the container, the factor
// table, the hyper stream and every structure, chroma and appearance stream entropy-decoded, the
// deterministic hyper-synthesis and group context, factor edits and drops — everything a decoder
// does but the synthesis network (bitstream/photo_streams.h), the surface a hostile .fct reaches;
// with the shipped model's tables and with a group-context variant of it. No LibTorch. Each input
// is tried as is and with its checksums recomputed.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bitstream/factor_edit.h"
#include "bitstream/photo_streams.h"
#include "formats/container.h"
#include "formats/safetensors.h"
#include "fuzz/fct_checksums.h"
#include "model/entropy_model.h"
#include "model/model_config.h"

namespace {

// Images larger than this many latents (16 x 16 pixels each) are skipped: a well-formed file of a
// huge image is legitimate work, not a bug, and would only slow the fuzzer down.
constexpr uint64_t kMaxLatents = 64 * 64;

const facet::EntropyModel& shipped_model() {
  static const facet::EntropyModel model = [] {
    const std::string path = std::string(FACET_SOURCE_DIR) + "/models/facet-photo.safetensors.zst";
    std::ifstream in(path, std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto file = facet::decode_weights_file(bytes.data(), bytes.size());
    if (!file.ok()) {
      std::fprintf(stderr, "cannot read %s: %s\n", path.c_str(), file.status().to_string().c_str());
      std::abort();
    }
    auto model = facet::entropy_model_from_tensor_file(*file);
    if (!model.ok()) std::abort();
    return *model;
  }();
  return model;
}

// The shipped model with group context networks of 8 channels (FORMAT.md §5.6.2; random weights
// from a fixed seed, built without LibTorch), so that the context path is fuzzed whether or not the
// shipped model has one.
const facet::EntropyModel& context_model() {
  static const facet::EntropyModel model = [] {
    facet::EntropyModel m = shipped_model();
    m.config.context_channels = 8;
    uint64_t state = 12345;
    const auto next = [&state] {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      return float(int32_t(state >> 40) % 2001 - 1000) * 1e-4f;  // [-0.1, 0.1]
    };
    const auto conv = [&](int in, int out) {
      facet::Conv3x3Weights w;
      w.in = in;
      w.out = out;
      w.weight.resize(size_t(out) * in * 9);
      w.bias.resize(out);
      for (float& v : w.weight) v = next();
      for (float& v : w.bias) v = next();
      return w;
    };
    m.group_context.resize(m.config.coded_groups());
    for (int k = 0; k < m.config.coded_groups(); ++k) {
      facet::GroupContextWeights& w = m.group_context[k];
      w.context_groups = m.config.context_groups(k);
      if (w.context_groups == 0) continue;
      const int c = m.config.coded_group_channels(k);
      w.hidden = conv(2 * c + w.context_groups * m.config.group_channels(), 8);
      w.out = conv(8, 2 * c);
    }
    if (!facet::validate_group_context(m.config, m.group_context).ok()) std::abort();
    return m;
  }();
  return model;
}

// One decode per input (the hyper-synthesis is the cost); the input's last byte chooses which:
// the whole file, the file after `facet edit` drops and sets factors, or the decoder's own drops
// and spatial scales without the appearance factors. The edit itself runs on every input.
void check_one(const uint8_t* data, size_t size) {
  // The next-to-last byte chooses the model: group context or not.
  const facet::EntropyModel& model = size > 1 && data[size - 2] % 2 ? context_model() : shipped_model();
  auto file = facet::read_fct(data, size);
  if (!file.ok()) return;
  const uint64_t latents = uint64_t(4 * facet::hyper_latent_extent(file->header.width)) *
                           uint64_t(4 * facet::hyper_latent_extent(file->header.height));
  if (latents > kMaxLatents) return;
  const int choice = size > 0 ? data[size - 1] % 3 : 0;

  // Drops and edits, as `facet edit` makes them.
  const std::vector<facet::GlobalFactorModel> globals = facet::photo_global_factors(model.tables);
  std::set<std::string> drops;
  for (const auto& f : file->header.factors)
    if (f.name == "chroma" || f.name == "structure.2" || f.name == "tint") drops.insert(f.name);
  std::map<std::string, facet::FactorSetting> settings;
  for (const auto& f : file->header.factors)
    if (f.name == "exposure") settings[f.name] = facet::FactorSetting{0.5, true};
  facet::FctFile edited = *file;
  const bool edit_ok = facet::edit_factors(edited, globals, settings, drops).ok();
  std::optional<facet::FctFile> reread;
  if (edit_ok) {
    auto bytes = facet::write_fct(edited.header, edited.streams);
    if (!bytes.ok()) std::abort();  // an edit of a file the reader accepted is a valid file
    auto again = facet::read_fct(bytes->data(), bytes->size());
    if (!again.ok()) std::abort();
    reread = std::move(*again);
  }

  facet::LatentDecodeOptions options;
  if (choice == 0) {
    auto all = facet::decode_photo_latents(*file, model, options);
    if (all.ok() && all->y_hat.size() != size_t(model.config.m) * all->latent_height * all->latent_width)
      std::abort();
  } else if (choice == 1 && reread) {
    options.drop = drops;
    (void)facet::decode_photo_latents(*reread, model, options);
  } else {
    options.drop = {"structure.1", "exposure"};
    options.spatial_scale = {{"structure.0", 0.5}};
    options.read_appearance = false;
    (void)facet::decode_photo_latents(*file, model, options);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  check_one(data, size);
  const std::vector<uint8_t> fixed = facet::test::with_valid_checksums(data, size);
  check_one(fixed.data(), fixed.size());
  return 0;
}
