// Fuzz target: the .fct parser and the stream decoders (through the sample model's decode).
// Each input is tried as is (the rejection paths) and with its checksums recomputed, so that
// mutations get past the checksums into the factor table checks and the stream decoders.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "common/bytes.h"
#include "formats/checksum.h"
#include "formats/container.h"
#include "formats/sample_fct.h"
#include "fuzz/fct_checksums.h"

namespace {

void check_one(const uint8_t* data, size_t size) {
  auto file = facet::read_fct(data, size);
  if (file.ok()) {
    // A file the reader accepts is one the writer produces byte for byte (an older version: one
    // that the writer turns into a current file with the same header and streams).
    auto rewritten = facet::write_fct(file->header, file->streams);
    if (!rewritten.ok()) std::abort();
    if (file->header.version == facet::kFctVersion) {
      if (rewritten->size() != size || !std::equal(rewritten->begin(), rewritten->end(), data)) std::abort();
    } else {
      auto again = facet::read_fct(rewritten->data(), rewritten->size());
      if (!again.ok() || again->streams != file->streams || again->header.factors.size() != file->header.factors.size())
        std::abort();
    }
  }
  // The header-only reader agrees, except that it does not look at stream checksums.
  auto header = facet::read_fct_header(data, size);
  if (file.ok() && !header.ok()) std::abort();
  if (!file.ok() && header.ok() && file.status().code() != facet::ErrorCode::kChecksumMismatch)
    std::abort();
  (void)facet::test::decode_sample_fct(data, size);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  check_one(data, size);
  const std::vector<uint8_t> fixed = facet::test::with_valid_checksums(data, size);
  check_one(fixed.data(), fixed.size());
  return 0;
}
