// libFuzzer target: decode_png never crashes, and whatever it decodes survives a PNG round trip.
#include <cstdint>
#include <cstdlib>

#include "formats/image_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto decoded = facet::decode_png(data, size);
  if (!decoded.ok()) return 0;

  auto encoded = facet::encode_png(*decoded);
  // A decoded image is always a valid encoder input; failing here is a bug in one of the two.
  if (!encoded.ok()) std::abort();
  auto decoded_again = facet::decode_png(encoded->data(), encoded->size());
  if (!decoded_again.ok()) std::abort();
  const facet::Image& first = *decoded;
  const facet::Image& second = *decoded_again;
  if (first.width != second.width || first.height != second.height ||
      first.channels != second.channels || first.bit_depth != second.bit_depth ||
      first.samples != second.samples) {
    std::abort();
  }
  return 0;
}
