// Packed crops file reading and writing.
#include "train/crops.h"

#include <cstring>

#include "common/file_io.h"

namespace facet {
namespace {
constexpr char kCropMagic[8] = {'F', 'C', 'T', 'C', 'R', 'O', 'P', '1'};
}

Bytes encode_crop_file(const CropSet& crops) {
  Bytes out;
  ByteWriter w(&out);
  w.bytes(reinterpret_cast<const uint8_t*>(kCropMagic), 8);
  w.u32(uint32_t(crops.size));
  w.u64(uint64_t(crops.count));
  w.bytes(crops.pixels.data(), crops.pixels.size());
  return out;
}

StatusOr<CropSet> decode_crop_file(const uint8_t* data, size_t size) {
  FACET_RETURN_ERROR_IF(size < 20, kTruncated, "crops file shorter than its header");
  FACET_RETURN_ERROR_IF(std::memcmp(data, kCropMagic, 8) != 0, kBadMagic, "not a Facet crops file");
  ByteReader r(data + 8, 12);
  CropSet crops;
  const uint32_t s = r.u32();
  const uint64_t n = r.u64();
  FACET_RETURN_ERROR_IF(s < 16 || s > 4096, kCorrupt, "crop size out of range");
  FACET_RETURN_ERROR_IF(n == 0 || n > (size - 20) / (uint64_t{s} * s * 3), kTruncated,
                        "crops file holds fewer crops than its header says");
  FACET_RETURN_ERROR_IF(20 + n * s * s * 3 != size, kTrailingBytes, "bytes after the last crop");
  crops.size = int(s);
  crops.count = int64_t(n);
  crops.pixels.assign(data + 20, data + size);
  return crops;
}

StatusOr<CropSet> read_crop_file(const std::string& path) {
  FACET_ASSIGN_OR_RETURN(Bytes bytes, read_file(path, uint64_t{8} << 30));
  auto crops = decode_crop_file(bytes.data(), bytes.size());
  if (!crops.ok()) return crops.status().with_context(path);
  return crops;
}

}  // namespace facet
