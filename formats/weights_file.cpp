// Weights files as Facet stores them: safetensors, plain or inside one zstd frame (FORMAT.md §9).
#include "formats/safetensors.h"
#include "formats/zstd_frame.h"

namespace facet {

StatusOr<TensorFile> decode_weights_file(const uint8_t* data, size_t size) {
  if (!has_zstd_magic(data, size)) return decode_safetensors(data, size);
  StatusOr<Bytes> plain = zstd_decompress(data, size, kMaxWeightsFileBytes);
  if (!plain.ok()) return plain.status().with_context("zstd-wrapped weights file");
  StatusOr<TensorFile> file = decode_safetensors(plain->data(), plain->size());
  if (!file.ok()) return file.status().with_context("safetensors inside zstd");
  return file;
}

StatusOr<Bytes> encode_weights_file(const TensorFile& file, bool zstd_compress_output,
                                    int zstd_level) {
  FACET_ASSIGN_OR_RETURN(Bytes plain, encode_safetensors(file));
  if (!zstd_compress_output) return plain;
  return zstd_compress(plain.data(), plain.size(), zstd_level, /*content_checksum=*/true);
}

}  // namespace facet
