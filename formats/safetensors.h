// Weights files: safetensors (the ML ecosystem's tensor file), optionally wrapped in a zstd frame.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

namespace facet {

enum class TensorDtype { kF32, kF16, kBF16, kF64, kI64, kI32, kI16, kI8, kU8, kBool };

const char* dtype_name(TensorDtype dtype);  // "F32", "BF16", ... as safetensors spells them
size_t dtype_size(TensorDtype dtype);       // bytes per element

// One tensor: dtype, shape and its raw little-endian bytes (row-major).
struct TensorData {
  TensorDtype dtype = TensorDtype::kF32;
  std::vector<int64_t> shape;
  Bytes data;

  int64_t element_count() const;  // 1 for rank 0; -1 for a negative dim or int64 overflow
};

// A safetensors file: named tensors plus the free-form string metadata ("__metadata__").
struct TensorFile {
  std::map<std::string, TensorData> tensors;
  std::map<std::string, std::string> metadata;
};

// Limits the reader enforces before allocating.
constexpr uint64_t kMaxSafetensorsHeaderBytes = 100 * 1024 * 1024;
constexpr uint64_t kMaxWeightsFileBytes = uint64_t{1} << 31;

// Serializes to the safetensors layout (tensors sorted by name, header padded to 8 bytes).
StatusOr<Bytes> encode_safetensors(const TensorFile& file);

// Parses a safetensors file; rejects truncation, bad JSON, unknown dtypes, offsets out of range,
// overlapping or non-contiguous data, size/shape mismatch and trailing bytes.
StatusOr<TensorFile> decode_safetensors(const uint8_t* data, size_t size);

// Reading some of the tensors of a file of which only a prefix may be at hand (the entropy tables
// of a model, which its writer's layout puts first: 4-byte elements before F16 weights). The
// header is checked whole as decode_safetensors checks it; only the tensors `wanted` selects are
// kept (with the metadata).
using TensorSelector = std::function<bool(const std::string& name)>;
// How many leading bytes of the file decode_safetensors_selected needs: at least 8 while the
// header's length is not at hand, then 8 + that length while the header is not, then the end of the
// last selected tensor.
StatusOr<uint64_t> safetensors_prefix_needed(const uint8_t* data, size_t size, const TensorSelector& wanted);
StatusOr<TensorFile> decode_safetensors_selected(const uint8_t* data, size_t size, const TensorSelector& wanted);

// Weights files as Facet stores them: safetensors, or safetensors inside one zstd frame
// (detected from the zstd magic number). Defined in weights_file.cpp, which needs zstd; the rest
// of this header (safetensors.cpp) needs only nlohmann-json, so the trainer can build without zstd.
StatusOr<TensorFile> decode_weights_file(const uint8_t* data, size_t size);
// The selected tensors of a weights file, decompressing a zstd-wrapped file only as far as they
// reach (its content checksum, at the frame's end, is then not checked).
StatusOr<TensorFile> decode_weights_file_selected(const uint8_t* data, size_t size, const TensorSelector& wanted);
StatusOr<Bytes> encode_weights_file(const TensorFile& file, bool zstd_compress, int zstd_level = 19);

}  // namespace facet
