// Packed training crops: the trainer's input (no image libraries needed to read it).
// Layout: "FCTCROP1", u32 crop size S, u64 count N, then N*S*S*3 bytes (RGB, row-major).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

namespace facet {

struct CropSet {
  int size = 0;
  int64_t count = 0;
  std::vector<uint8_t> pixels;  // count * size * size * 3

  const uint8_t* crop(int64_t i) const { return pixels.data() + size_t(i) * size * size * 3; }
};

Bytes encode_crop_file(const CropSet& crops);
StatusOr<CropSet> decode_crop_file(const uint8_t* data, size_t size);
StatusOr<CropSet> read_crop_file(const std::string& path);

}  // namespace facet
