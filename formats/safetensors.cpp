// Reads and writes safetensors files (Hugging Face's tensor format), plain or inside a zstd frame.
#include "formats/safetensors.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>


namespace facet {
namespace {

using Json = nlohmann::json;

// The one header key that is not a tensor, reserved by the safetensors spec.
constexpr const char* kMetadataKey = "__metadata__";

constexpr TensorDtype kAllDtypes[] = {
    TensorDtype::kF32, TensorDtype::kF16, TensorDtype::kBF16, TensorDtype::kF64,
    TensorDtype::kI64, TensorDtype::kI32, TensorDtype::kI16,  TensorDtype::kI8,
    TensorDtype::kU8,  TensorDtype::kBool};

std::optional<TensorDtype> dtype_from_name(const std::string& name) {
  for (TensorDtype dtype : kAllDtypes) {
    if (name == dtype_name(dtype)) return dtype;
  }
  return std::nullopt;
}

// Element count, or nullopt for a negative dimension or a count beyond int64. A zero dimension
// makes the tensor empty whatever the other dimensions are, so it wins over overflow.
std::optional<uint64_t> checked_element_count(const std::vector<int64_t>& shape) {
  bool has_zero_dim = false;
  for (int64_t dim : shape) {
    if (dim < 0) return std::nullopt;
    if (dim == 0) has_zero_dim = true;
  }
  if (has_zero_dim) return 0;
  uint64_t count = 1;
  for (int64_t dim : shape) {
    uint64_t udim = static_cast<uint64_t>(dim);
    if (count > static_cast<uint64_t>(INT64_MAX) / udim) return std::nullopt;
    count *= udim;
  }
  return count;
}

// Bytes the tensor occupies, or nullopt when the shape is invalid or the size overflows.
std::optional<uint64_t> checked_byte_size(TensorDtype dtype, const std::vector<int64_t>& shape) {
  std::optional<uint64_t> count = checked_element_count(shape);
  uint64_t element_bytes = dtype_size(dtype);
  if (!count || element_bytes == 0) return std::nullopt;
  if (*count > UINT64_MAX / element_bytes) return std::nullopt;
  return *count * element_bytes;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ",";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

// nlohmann keeps the last of duplicate keys silently; another reader may keep the first, so a
// header with duplicates means different things to different readers and is refused.
class DuplicateKeyDetector {
 public:
  bool on_event(int /*depth*/, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
        open_objects_.emplace_back();
        break;
      case Json::parse_event_t::object_end:
        if (!open_objects_.empty()) open_objects_.pop_back();
        break;
      case Json::parse_event_t::key:
        if (!open_objects_.empty() && parsed.is_string() &&
            !open_objects_.back().insert(parsed.get<std::string>()).second && !found_) {
          found_ = true;
          duplicate_ = parsed.get<std::string>();
        }
        break;
      default:
        break;
    }
    return true;
  }
  bool found() const { return found_; }
  const std::string& duplicate() const { return duplicate_; }

 private:
  std::vector<std::set<std::string>> open_objects_;
  bool found_ = false;
  std::string duplicate_;
};

StatusOr<std::map<std::string, std::string>> parse_metadata(const Json& value) {
  FACET_RETURN_ERROR_IF(!value.is_object(), kCorrupt, "__metadata__ is not a JSON object");
  std::map<std::string, std::string> metadata;
  for (const auto& [key, entry] : value.items()) {
    FACET_RETURN_ERROR_IF(!entry.is_string(), kCorrupt,
                          "__metadata__ value of \"" + key + "\" is not a string");
    metadata[key] = entry.get<std::string>();
  }
  return metadata;
}

// Where a tensor's bytes lie in the data buffer; checked for overlap and gaps before any copy, so
// that many tensors naming the same bytes cannot multiply memory use.
struct Placement {
  uint64_t begin = 0;
  uint64_t end = 0;
  std::string name;
};

StatusOr<uint64_t> parse_dimension(const Json& value, const std::string& name) {
  FACET_RETURN_ERROR_IF(!value.is_number_integer(), kCorrupt,
                        "tensor \"" + name + "\": shape holds a non-integer");
  if (value.is_number_unsigned()) {
    uint64_t dim = value.get<uint64_t>();
    FACET_RETURN_ERROR_IF(dim > static_cast<uint64_t>(INT64_MAX), kCorrupt,
                          "tensor \"" + name + "\": dimension " + std::to_string(dim) +
                              " is too large");
    return dim;
  }
  int64_t dim = value.get<int64_t>();
  FACET_RETURN_ERROR_IF(dim < 0, kCorrupt,
                        "tensor \"" + name + "\": negative dimension " + std::to_string(dim));
  return static_cast<uint64_t>(dim);
}

// Validates one header entry against the data buffer size; fills everything but the bytes.
Status parse_tensor_info(const std::string& name, const Json& info, uint64_t buffer_size,
                         TensorData* tensor, Placement* placement) {
  const std::string where = "tensor \"" + name + "\"";
  FACET_RETURN_ERROR_IF(!info.is_object(), kCorrupt, where + ": entry is not a JSON object");
  for (const auto& [key, unused] : info.items()) {
    (void)unused;
    FACET_RETURN_ERROR_IF(key != "dtype" && key != "shape" && key != "data_offsets", kCorrupt,
                          where + ": unknown field \"" + key + "\"");
  }
  auto dtype_it = info.find("dtype");
  auto shape_it = info.find("shape");
  auto offsets_it = info.find("data_offsets");
  FACET_RETURN_ERROR_IF(dtype_it == info.end() || !dtype_it->is_string(), kCorrupt,
                        where + ": dtype missing or not a string");
  FACET_RETURN_ERROR_IF(shape_it == info.end() || !shape_it->is_array(), kCorrupt,
                        where + ": shape missing or not an array");
  FACET_RETURN_ERROR_IF(offsets_it == info.end() || !offsets_it->is_array() ||
                            offsets_it->size() != 2,
                        kCorrupt, where + ": data_offsets missing or not a pair");

  const std::string dtype_text = dtype_it->get<std::string>();
  std::optional<TensorDtype> dtype = dtype_from_name(dtype_text);
  FACET_RETURN_ERROR_IF(!dtype, kUnsupported, where + ": unsupported dtype \"" + dtype_text + "\"");
  tensor->dtype = *dtype;

  tensor->shape.clear();
  for (const Json& dim_value : *shape_it) {
    FACET_ASSIGN_OR_RETURN(uint64_t dim, parse_dimension(dim_value, name));
    tensor->shape.push_back(static_cast<int64_t>(dim));
  }
  std::optional<uint64_t> byte_size = checked_byte_size(tensor->dtype, tensor->shape);
  FACET_RETURN_ERROR_IF(!byte_size, kCorrupt,
                        where + ": element count of shape " + shape_string(tensor->shape) +
                            " overflows");

  const Json& begin_value = (*offsets_it)[0];
  const Json& end_value = (*offsets_it)[1];
  FACET_RETURN_ERROR_IF(!begin_value.is_number_unsigned() || !end_value.is_number_unsigned(),
                        kCorrupt, where + ": data_offsets are not non-negative integers");
  uint64_t begin = begin_value.get<uint64_t>();
  uint64_t end = end_value.get<uint64_t>();
  FACET_RETURN_ERROR_IF(begin > end, kStreamOutOfRange,
                        where + ": data_offsets [" + std::to_string(begin) + ", " +
                            std::to_string(end) + "] run backwards");
  FACET_RETURN_ERROR_IF(end > buffer_size, kStreamOutOfRange,
                        where + ": data ends at " + std::to_string(end) +
                            ", past the data buffer of " + std::to_string(buffer_size) +
                            " bytes");
  FACET_RETURN_ERROR_IF(end - begin != *byte_size, kCorrupt,
                        where + ": " + std::to_string(end - begin) + " bytes for " +
                            dtype_text + " " + shape_string(tensor->shape) + ", which needs " +
                            std::to_string(*byte_size));
  placement->begin = begin;
  placement->end = end;
  placement->name = name;
  return ok_status();
}

// The spec requires the tensors to tile the data buffer exactly: no shared bytes, no holes, and
// nothing after the last tensor.
Status check_layout(std::vector<Placement> placements, uint64_t buffer_size) {
  std::sort(placements.begin(), placements.end(), [](const Placement& a, const Placement& b) {
    return std::tie(a.begin, a.end) < std::tie(b.begin, b.end);
  });
  uint64_t covered_until = 0;
  const std::string* previous_name = nullptr;
  for (const Placement& placement : placements) {
    FACET_RETURN_ERROR_IF(
        placement.begin < covered_until, kStreamOverlap,
        "tensor \"" + placement.name + "\" at " + std::to_string(placement.begin) +
            " overlaps tensor \"" + (previous_name ? *previous_name : std::string()) +
            "\" ending at " + std::to_string(covered_until));
    FACET_RETURN_ERROR_IF(placement.begin > covered_until, kCorrupt,
                          "bytes " + std::to_string(covered_until) + " to " +
                              std::to_string(placement.begin) +
                              " of the data buffer belong to no tensor");
    covered_until = placement.end;
    previous_name = &placement.name;
  }
  FACET_RETURN_ERROR_IF(covered_until < buffer_size, kTrailingBytes,
                        std::to_string(buffer_size - covered_until) +
                            " bytes after the last tensor");
  return ok_status();
}

}  // namespace

const char* dtype_name(TensorDtype dtype) {
  switch (dtype) {
    case TensorDtype::kF32: return "F32";
    case TensorDtype::kF16: return "F16";
    case TensorDtype::kBF16: return "BF16";
    case TensorDtype::kF64: return "F64";
    case TensorDtype::kI64: return "I64";
    case TensorDtype::kI32: return "I32";
    case TensorDtype::kI16: return "I16";
    case TensorDtype::kI8: return "I8";
    case TensorDtype::kU8: return "U8";
    case TensorDtype::kBool: return "BOOL";
  }
  return "?";
}

size_t dtype_size(TensorDtype dtype) {
  switch (dtype) {
    case TensorDtype::kF64:
    case TensorDtype::kI64: return 8;
    case TensorDtype::kF32:
    case TensorDtype::kI32: return 4;
    case TensorDtype::kF16:
    case TensorDtype::kBF16:
    case TensorDtype::kI16: return 2;
    case TensorDtype::kI8:
    case TensorDtype::kU8:
    case TensorDtype::kBool: return 1;
  }
  return 0;
}

int64_t TensorData::element_count() const {
  std::optional<uint64_t> count = checked_element_count(shape);
  return count ? static_cast<int64_t>(*count) : -1;
}

StatusOr<Bytes> encode_safetensors(const TensorFile& file) {
  // ordered_json keeps insertion order, which reproduces the field order of the reference
  // implementation (metadata first; dtype, shape, data_offsets) so files diff cleanly against it.
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!file.metadata.empty()) {
    nlohmann::ordered_json metadata = nlohmann::ordered_json::object();
    for (const auto& [key, value] : file.metadata) metadata[key] = value;
    header[kMetadataKey] = std::move(metadata);
  }
  // Data layout: largest element size first, then by name (the reference writer's order), so
  // every tensor starts at a multiple of its element size and zero-copy loaders can map it.
  std::vector<const std::pair<const std::string, TensorData>*> layout;
  for (const auto& entry : file.tensors) layout.push_back(&entry);
  std::stable_sort(layout.begin(), layout.end(), [](const auto* a, const auto* b) {
    return dtype_size(a->second.dtype) > dtype_size(b->second.dtype);
  });
  std::map<std::string, std::pair<uint64_t, uint64_t>> offsets;
  uint64_t offset = 0;
  for (const auto* entry : layout) {
    const std::string& name = entry->first;
    const TensorData& tensor = entry->second;
    FACET_RETURN_ERROR_IF(name == kMetadataKey, kInvalidArgument,
                          "a tensor cannot be named __metadata__");
    std::optional<uint64_t> byte_size = checked_byte_size(tensor.dtype, tensor.shape);
    FACET_RETURN_ERROR_IF(!byte_size, kInvalidArgument,
                          "tensor \"" + name + "\": invalid dtype or shape " +
                              shape_string(tensor.shape));
    FACET_RETURN_ERROR_IF(*byte_size != tensor.data.size(), kInvalidArgument,
                          "tensor \"" + name + "\": " + std::to_string(tensor.data.size()) +
                              " bytes of data for a shape needing " + std::to_string(*byte_size));
    offsets[name] = {offset, offset + *byte_size};
    offset += *byte_size;
  }
  for (const auto& [name, tensor] : file.tensors) {  // header entries in name order
    nlohmann::ordered_json info = nlohmann::ordered_json::object();
    info["dtype"] = dtype_name(tensor.dtype);
    info["shape"] = tensor.shape;
    info["data_offsets"] = {offsets[name].first, offsets[name].second};
    header[name] = std::move(info);
  }

  std::string header_text;
  try {
    header_text = header.dump();  // strict UTF-8 checking: throws on invalid names or values
  } catch (const nlohmann::json::exception& e) {
    return make_error(ErrorCode::kInvalidArgument,
                      std::string("tensor names and metadata must be UTF-8: ") + e.what());
  }
  // Padding keeps the data buffer 8-byte aligned in the file, as the reference writer does.
  header_text.append((8 - header_text.size() % 8) % 8, ' ');

  Bytes out;
  out.reserve(8 + header_text.size() + offset);
  ByteWriter writer(&out);
  writer.u64(header_text.size());
  writer.bytes(header_text);
  for (const auto* entry : layout) writer.bytes(entry->second.data.data(), entry->second.data.size());
  return out;
}

namespace {

// A parsed header: the tensors without their bytes, where each one lies in the data buffer, and
// where that buffer starts in the file.
struct ParsedHeader {
  TensorFile file;
  std::vector<Placement> placements;
  uint64_t data_begin = 0;  // 8 + the header's length
};

// Parses and checks the header of a safetensors file of which data[0, size) holds at least the
// header. buffer_size: the data buffer's length when the whole file is at hand; nullopt when only a
// prefix is (the length is then the one the placements declare, checked for gaps and overlaps all
// the same).
StatusOr<ParsedHeader> parse_header(const uint8_t* data, size_t size, std::optional<uint64_t> buffer_size) {
  FACET_RETURN_ERROR_IF(size < 8, kTruncated,
                        "safetensors file has " + std::to_string(size) +
                            " bytes, fewer than its 8-byte header length");
  ByteReader reader(data, size);
  const uint64_t header_size = reader.u64();
  FACET_RETURN_ERROR_IF(header_size > kMaxSafetensorsHeaderBytes, kLimitExceeded,
                        "safetensors header of " + std::to_string(header_size) +
                            " bytes exceeds the limit of " +
                            std::to_string(kMaxSafetensorsHeaderBytes));
  FACET_RETURN_ERROR_IF(header_size > reader.remaining(), kTruncated,
                        "safetensors header of " + std::to_string(header_size) +
                            " bytes, but only " + std::to_string(reader.remaining()) +
                            " bytes follow");
  const uint8_t* header_begin = data + 8;
  const uint8_t* header_end = header_begin + header_size;

  DuplicateKeyDetector duplicates;
  Json header;
  try {
    header = Json::parse(header_begin, header_end,
                         [&duplicates](int depth, Json::parse_event_t event, Json& parsed) {
                           return duplicates.on_event(depth, event, parsed);
                         });
  } catch (const Json::exception& e) {
    // nlohmann's message carries the byte position, which is what makes a bad header fixable.
    return make_error(ErrorCode::kCorrupt,
                      std::string("safetensors header is not valid UTF-8 JSON: ") + e.what());
  }
  FACET_RETURN_ERROR_IF(duplicates.found(), kCorrupt,
                        "safetensors header repeats the key \"" + duplicates.duplicate() + "\"");
  FACET_RETURN_ERROR_IF(!header.is_object(), kCorrupt, "safetensors header is not a JSON object");

  ParsedHeader parsed;
  parsed.data_begin = 8 + header_size;
  parsed.placements.reserve(header.size());
  const uint64_t bound = buffer_size.value_or(kMaxWeightsFileBytes);
  for (const auto& [name, value] : header.items()) {
    if (name == kMetadataKey) {
      FACET_ASSIGN_OR_RETURN(parsed.file.metadata, parse_metadata(value));
      continue;
    }
    TensorData tensor;
    Placement placement;
    FACET_RETURN_IF_ERROR(parse_tensor_info(name, value, bound, &tensor, &placement));
    parsed.file.tensors.emplace(name, std::move(tensor));
    parsed.placements.push_back(std::move(placement));
  }
  uint64_t declared = 0;
  for (const Placement& placement : parsed.placements) declared = std::max(declared, placement.end);
  FACET_RETURN_IF_ERROR(check_layout(parsed.placements, buffer_size.value_or(declared)));
  return parsed;
}

}  // namespace

StatusOr<TensorFile> decode_safetensors(const uint8_t* data, size_t size) {
  // The buffer's length is what follows the header; parse_header checks the header fits first.
  const uint64_t header_size = size >= 8 ? ByteReader(data, size).u64() : 0;
  const std::optional<uint64_t> buffer_size =
      size >= 8 && header_size <= size - 8 ? std::optional<uint64_t>(size - 8 - header_size) : std::optional<uint64_t>(0);
  FACET_ASSIGN_OR_RETURN(ParsedHeader parsed, parse_header(data, size, buffer_size));
  const uint8_t* buffer = data + parsed.data_begin;
  for (const Placement& placement : parsed.placements)
    parsed.file.tensors[placement.name].data.assign(buffer + placement.begin, buffer + placement.end);
  return std::move(parsed.file);
}

StatusOr<uint64_t> safetensors_prefix_needed(const uint8_t* data, size_t size, const TensorSelector& wanted) {
  if (size < 8) return uint64_t{8};
  const uint64_t header_size = ByteReader(data, size).u64();
  FACET_RETURN_ERROR_IF(header_size > kMaxSafetensorsHeaderBytes, kLimitExceeded,
                        "safetensors header of " + std::to_string(header_size) +
                            " bytes exceeds the limit of " + std::to_string(kMaxSafetensorsHeaderBytes));
  if (size - 8 < header_size) return 8 + header_size;
  FACET_ASSIGN_OR_RETURN(ParsedHeader parsed, parse_header(data, size, std::nullopt));
  uint64_t needed = parsed.data_begin;
  for (const Placement& placement : parsed.placements)
    if (wanted(placement.name)) needed = std::max(needed, parsed.data_begin + placement.end);
  return needed;
}

StatusOr<TensorFile> decode_safetensors_selected(const uint8_t* data, size_t size, const TensorSelector& wanted) {
  FACET_ASSIGN_OR_RETURN(ParsedHeader parsed, parse_header(data, size, std::nullopt));
  const uint8_t* buffer = data + parsed.data_begin;
  const uint64_t available = size - parsed.data_begin;
  TensorFile selected;
  selected.metadata = std::move(parsed.file.metadata);
  for (const Placement& placement : parsed.placements) {
    if (!wanted(placement.name)) continue;
    FACET_RETURN_ERROR_IF(placement.end > available, kTruncated,
                          "safetensors data ends before tensor \"" + placement.name + "\"");
    TensorData tensor = std::move(parsed.file.tensors[placement.name]);
    tensor.data.assign(buffer + placement.begin, buffer + placement.end);
    selected.tensors.emplace(placement.name, std::move(tensor));
  }
  return selected;
}

}  // namespace facet
