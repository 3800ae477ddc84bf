// Fuzz target: the .fct parser and the stream decoders (through the sample model's decode).
#include <cstdint>
#include <cstdlib>

#include "formats/container.h"
#include "formats/sample_fct.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = facet::read_fct(data, size);
  if (file.ok()) {
    // A file the reader accepts is one the writer produces byte for byte.
    auto rewritten = facet::write_fct(file->header, file->streams);
    if (!rewritten.ok() || rewritten->size() != size ||
        !std::equal(rewritten->begin(), rewritten->end(), data))
      std::abort();
  }
  auto header = facet::read_fct_header(data, size);
  if (file.ok() != header.ok() && file.status().code() != facet::ErrorCode::kChecksumMismatch)
    std::abort();
  (void)facet::test::decode_sample_fct(data, size);
  return 0;
}
