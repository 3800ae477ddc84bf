// In-memory image (interleaved samples, 8 or 16 bits) and the limits every image reader enforces.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

namespace facet {

// Limits against decompression bombs and absurd headers, enforced by every reader before it
// allocates pixel memory (see formats/FORMAT.md, "Limits").
constexpr uint32_t kMaxImageDimension = 65535;
constexpr uint64_t kMaxImagePixels = uint64_t{1} << 28;  // 268 M pixels, e.g. 16384 x 16384

// Interleaved samples, row-major, `channels` samples per pixel:
// 1 = gray, 2 = gray + alpha, 3 = RGB, 4 = RGBA. `bit_depth` is 8 or 16; samples are stored as
// uint16_t in both cases (values 0..255 or 0..65535).
struct Image {
  uint32_t width = 0;
  uint32_t height = 0;
  uint8_t channels = 0;
  uint8_t bit_depth = 8;
  std::vector<uint16_t> samples;

  bool has_alpha() const { return channels == 2 || channels == 4; }
  uint8_t color_channels() const { return has_alpha() ? channels - 1 : channels; }
  uint64_t pixel_count() const { return uint64_t{width} * height; }
  uint16_t max_value() const { return bit_depth == 16 ? 65535 : 255; }
  uint16_t& at(uint32_t x, uint32_t y, uint32_t c) {
    return samples[(uint64_t{y} * width + x) * channels + c];
  }
  uint16_t at(uint32_t x, uint32_t y, uint32_t c) const {
    return samples[(uint64_t{y} * width + x) * channels + c];
  }
};

// Allocates a zero image after checking the limits (kLimitExceeded / kInvalidArgument).
StatusOr<Image> make_image(uint32_t width, uint32_t height, uint8_t channels, uint8_t bit_depth);

// Checks dimensions against kMaxImageDimension / kMaxImagePixels.
Status check_image_limits(uint64_t width, uint64_t height);

}  // namespace facet
