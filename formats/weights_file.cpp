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

StatusOr<TensorFile> decode_weights_file_selected(const uint8_t* data, size_t size, const TensorSelector& wanted) {
  if (!has_zstd_magic(data, size)) return decode_safetensors_selected(data, size, wanted);
  ZstdPrefixDecoder prefix(data, size);
  // The header's length, then the header, then the selected tensors: each round asks for more
  // until the bytes at hand are what safetensors_prefix_needed asks for (or all there is).
  for (uint64_t needed = 8;;) {
    Status extended = prefix.extend_to(needed, kMaxWeightsFileBytes);
    if (!extended.ok()) return extended.with_context("zstd-wrapped weights file");
    const Bytes& plain = prefix.output();
    if (plain.size() < needed) break;  // the data ended: the reader below says where
    StatusOr<uint64_t> more = safetensors_prefix_needed(plain.data(), plain.size(), wanted);
    if (!more.ok()) return more.status().with_context("safetensors inside zstd");
    if (*more <= plain.size()) break;
    needed = *more;
  }
  StatusOr<TensorFile> file = decode_safetensors_selected(prefix.output().data(), prefix.output().size(), wanted);
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
