// Image kind detection and decoding of every supported kind (PNG via libpng, the rest via OpenCV,
// opened on first use: formats/opencv_decoder.h).
#include "formats/image_io.h"

#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "formats/opencv_decoder.h"

namespace facet {
namespace {

bool starts_with(const uint8_t* data, size_t size, const void* prefix, size_t prefix_size) {
  return size >= prefix_size && std::memcmp(data, prefix, prefix_size) == 0;
}

bool is_pnm_whitespace(uint8_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// ---- Header peeks -------------------------------------------------------------------------
// OpenCV allocates the whole image before anyone can look at its size, and its own pixel limit
// (OPENCV_IO_MAX_IMAGE_PIXELS, 2^30 by default) is read once when libopencv_imgcodecs is loaded,
// so setting the variable from here would have no effect. These peeks read the dimensions from
// the header so that kMaxImagePixels is enforced before OpenCV allocates. A peek that cannot find
// the dimensions returns nullopt and leaves the verdict to OpenCV.

struct Dimensions {
  uint64_t width;
  uint64_t height;
};

uint32_t load_le(const uint8_t* p, int n) {
  uint32_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

uint32_t load_be(const uint8_t* p, int n) {
  uint32_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

std::optional<Dimensions> peek_bmp(const uint8_t* data, size_t size) {
  if (size < 26) return std::nullopt;
  const uint32_t info_size = load_le(data + 14, 4);
  if (info_size == 12) {  // OS/2 BITMAPCOREHEADER: 16-bit dimensions
    return Dimensions{load_le(data + 18, 2), load_le(data + 20, 2)};
  }
  // Height is negative for top-down bitmaps.
  const int32_t width = static_cast<int32_t>(load_le(data + 18, 4));
  const int32_t height = static_cast<int32_t>(load_le(data + 22, 4));
  auto magnitude = [](int32_t v) {
    return static_cast<uint64_t>(v < 0 ? -static_cast<int64_t>(v) : static_cast<int64_t>(v));
  };
  return Dimensions{magnitude(width), magnitude(height)};
}

std::optional<Dimensions> peek_pnm(const uint8_t* data, size_t size) {
  size_t pos = 2;
  uint64_t values[2];
  for (uint64_t& value : values) {
    // Whitespace and '#' comments up to the end of the line may separate header fields.
    while (pos < size && (is_pnm_whitespace(data[pos]) || data[pos] == '#')) {
      if (data[pos] == '#') {
        while (pos < size && data[pos] != '\n' && data[pos] != '\r') ++pos;
      } else {
        ++pos;
      }
    }
    if (pos >= size || data[pos] < '0' || data[pos] > '9') return std::nullopt;
    value = 0;
    while (pos < size && data[pos] >= '0' && data[pos] <= '9') {
      value = value * 10 + (data[pos] - '0');
      if (value > (uint64_t{1} << 40)) value = uint64_t{1} << 40;  // saturate, still too big
      ++pos;
    }
  }
  return Dimensions{values[0], values[1]};
}

std::optional<Dimensions> peek_jpeg(const uint8_t* data, size_t size) {
  size_t pos = 2;  // after SOI
  while (pos + 4 <= size) {
    if (data[pos] != 0xFF) return std::nullopt;
    const uint8_t marker = data[pos + 1];
    if (marker == 0xFF) {  // fill byte
      ++pos;
      continue;
    }
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {  // no payload
      pos += 2;
      continue;
    }
    const bool is_start_of_frame =
        marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (is_start_of_frame) {
      if (pos + 9 > size) return std::nullopt;
      return Dimensions{load_be(data + pos + 7, 2), load_be(data + pos + 5, 2)};
    }
    if (marker == 0xDA || marker == 0xD9) return std::nullopt;  // scan or end before a frame
    pos += 2 + load_be(data + pos + 2, 2);
  }
  return std::nullopt;
}

std::optional<Dimensions> peek_webp(const uint8_t* data, size_t size) {
  if (size < 30) return std::nullopt;
  const uint8_t* chunk = data + 12;
  const uint8_t* payload = chunk + 8;
  if (std::memcmp(chunk, "VP8X", 4) == 0) {
    return Dimensions{uint64_t{load_le(payload + 4, 3)} + 1, uint64_t{load_le(payload + 7, 3)} + 1};
  }
  if (std::memcmp(chunk, "VP8L", 4) == 0 && payload[0] == 0x2F) {
    const uint32_t bits = load_le(payload + 1, 4);
    return Dimensions{uint64_t{bits & 0x3FFF} + 1, uint64_t{(bits >> 14) & 0x3FFF} + 1};
  }
  if (std::memcmp(chunk, "VP8 ", 4) == 0 && payload[3] == 0x9D && payload[4] == 0x01 &&
      payload[5] == 0x2A) {
    return Dimensions{load_le(payload + 6, 2) & 0x3FFFu, load_le(payload + 8, 2) & 0x3FFFu};
  }
  return std::nullopt;
}

std::optional<Dimensions> peek_tiff(const uint8_t* data, size_t size) {
  if (size < 8) return std::nullopt;
  const bool little_endian = data[0] == 'I';
  auto load = [&](size_t offset, int n) {
    return little_endian ? load_le(data + offset, n) : load_be(data + offset, n);
  };
  const uint64_t ifd = load(4, 4);
  if (ifd + 2 > size) return std::nullopt;
  const uint32_t entry_count = load(ifd, 2);
  constexpr uint32_t kImageWidthTag = 256, kImageLengthTag = 257;
  constexpr uint32_t kShortType = 3, kLongType = 4;
  std::optional<uint64_t> width, height;
  for (uint32_t i = 0; i < entry_count; ++i) {
    const uint64_t entry = ifd + 2 + uint64_t{i} * 12;
    if (entry + 12 > size) break;
    const uint32_t tag = load(entry, 2);
    const uint32_t type = load(entry + 2, 2);
    if (tag != kImageWidthTag && tag != kImageLengthTag) continue;
    uint64_t value;
    if (type == kShortType) {
      value = load(entry + 8, 2);
    } else if (type == kLongType) {
      value = load(entry + 8, 4);
    } else {
      continue;
    }
    (tag == kImageWidthTag ? width : height) = value;
  }
  if (!width || !height) return std::nullopt;
  return Dimensions{*width, *height};
}

std::optional<Dimensions> peek_dimensions(ImageFileKind kind, const uint8_t* data, size_t size) {
  switch (kind) {
    case ImageFileKind::kBmp: return peek_bmp(data, size);
    case ImageFileKind::kPnm: return peek_pnm(data, size);
    case ImageFileKind::kJpeg: return peek_jpeg(data, size);
    case ImageFileKind::kWebp: return peek_webp(data, size);
    case ImageFileKind::kTiff: return peek_tiff(data, size);
    default: return std::nullopt;
  }
}

// ---- OpenCV, opened on first use --------------------------------------------------------------

struct OpencvModule {
  FacetOpencvDecodeFn decode = nullptr;
  FacetOpencvFreeFn free = nullptr;
  std::string error;  // why it could not be opened
};

// libfacet-opencv.so: $FACET_OPENCV_MODULE, else beside the executable, in ../lib/facet/ from it
// (installed), then in the build tree.
const OpencvModule& opencv_module() {
  static OpencvModule module;
  static std::once_flag once;
  std::call_once(once, [] {
    std::vector<std::string> candidates;
    if (const char* env = std::getenv("FACET_OPENCV_MODULE")) candidates.emplace_back(env);
    std::vector<char> self(4096);
    const ssize_t n = readlink("/proc/self/exe", self.data(), self.size() - 1);
    if (n > 0) {
      std::string dir(self.data(), size_t(n));
      dir = dir.substr(0, dir.rfind('/'));
      candidates.push_back(dir + "/" FACET_OPENCV_MODULE);
      candidates.push_back(dir + "/../lib/facet/" FACET_OPENCV_MODULE);
    }
#ifdef FACET_BUILD_DIR
    candidates.push_back(std::string(FACET_BUILD_DIR) + "/" FACET_OPENCV_MODULE);
#endif
    for (const std::string& path : candidates) {
      void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (!handle) {
        const char* why = dlerror();
        if (access(path.c_str(), F_OK) == 0) module.error += "\n  " + path + ": " + (why ? why : "cannot open");
        continue;
      }
      module.decode = reinterpret_cast<FacetOpencvDecodeFn>(dlsym(handle, FACET_OPENCV_DECODE_SYMBOL));
      module.free = reinterpret_cast<FacetOpencvFreeFn>(dlsym(handle, FACET_OPENCV_FREE_SYMBOL));
      if (module.decode && module.free) return;
      module.error += "\n  " + path + ": not Facet's OpenCV module";
    }
    if (module.error.empty()) module.error = " (" FACET_OPENCV_MODULE " not found; set FACET_OPENCV_MODULE)";
  });
  return module;
}

StatusOr<Image> decode_with_opencv(ImageFileKind kind, const uint8_t* data, size_t size) {
  const char* kind_name = image_kind_name(kind);
  if (std::optional<Dimensions> dimensions = peek_dimensions(kind, data, size)) {
    // Zero dimensions are left to OpenCV, which reports them as undecodable.
    if (dimensions->width != 0 && dimensions->height != 0) {
      Status limits = check_image_limits(dimensions->width, dimensions->height);
      if (!limits.ok()) return limits.with_context(kind_name);
    }
  }
  FACET_RETURN_ERROR_IF(size > static_cast<size_t>(INT_MAX), kLimitExceeded,
                        std::string(kind_name) + " file of " + std::to_string(size) +
                            " bytes is too large for OpenCV");
  const OpencvModule& module = opencv_module();
  FACET_RETURN_ERROR_IF(!module.decode, kUnsupported,
                        std::string(kind_name) + " needs Facet's OpenCV module:" + module.error);
  FacetOpencvImage decoded{};
  char error[512] = {0};
  const int result = module.decode(data, size, &decoded, error, sizeof error);
  struct Release {
    const OpencvModule& m;
    FacetOpencvImage* image;
    ~Release() { m.free(image); }
  } release{module, &decoded};
  switch (result) {
    case 0: break;
    case 2: return make_error(ErrorCode::kUnsupported, std::string(kind_name) + ": " + error);
    case 3: return make_error(ErrorCode::kLimitExceeded, std::string(kind_name) + ": " + error);
    default: return make_error(ErrorCode::kCorrupt, std::string(kind_name) + ": OpenCV cannot decode: " + error);
  }
  FACET_ASSIGN_OR_RETURN(Image image, make_image(decoded.width, decoded.height, static_cast<uint8_t>(decoded.channels),
                                                 static_cast<uint8_t>(decoded.bit_depth)));
  std::memcpy(image.samples.data(), decoded.samples, sizeof(uint16_t) * image.samples.size());
  return image;
}

}  // namespace

ImageFileKind detect_image_kind(const uint8_t* data, size_t size) {
  static const uint8_t kPngMagic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  static const uint8_t kFctMagic[8] = {0x89, 'F', 'C', 'T', '\r', '\n', 0x1A, '\n'};
  static const uint8_t kJpegMagic[3] = {0xFF, 0xD8, 0xFF};
  if (data == nullptr) return ImageFileKind::kUnknown;
  if (starts_with(data, size, kPngMagic, sizeof(kPngMagic))) return ImageFileKind::kPng;
  if (starts_with(data, size, kFctMagic, sizeof(kFctMagic))) return ImageFileKind::kFct;
  if (starts_with(data, size, kJpegMagic, sizeof(kJpegMagic))) return ImageFileKind::kJpeg;
  if (size >= 12 && std::memcmp(data, "RIFF", 4) == 0 && std::memcmp(data + 8, "WEBP", 4) == 0) {
    return ImageFileKind::kWebp;
  }
  if (starts_with(data, size, "BM", 2)) return ImageFileKind::kBmp;
  if (starts_with(data, size, "II*\0", 4) || starts_with(data, size, "MM\0*", 4)) {
    return ImageFileKind::kTiff;
  }
  // The format requires whitespace after the magic, which keeps text such as "P5X" out.
  if (size >= 3 && data[0] == 'P' && data[1] >= '1' && data[1] <= '6' &&
      is_pnm_whitespace(data[2])) {
    return ImageFileKind::kPnm;
  }
  return ImageFileKind::kUnknown;
}

const char* image_kind_name(ImageFileKind kind) {
  switch (kind) {
    case ImageFileKind::kUnknown: return "unknown";
    case ImageFileKind::kPng: return "PNG";
    case ImageFileKind::kJpeg: return "JPEG";
    case ImageFileKind::kWebp: return "WebP";
    case ImageFileKind::kBmp: return "BMP";
    case ImageFileKind::kTiff: return "TIFF";
    case ImageFileKind::kPnm: return "PNM";
    case ImageFileKind::kFct: return "Facet .fct";
  }
  return "unknown";
}

StatusOr<Image> decode_image(const uint8_t* data, size_t size) {
  const ImageFileKind kind = detect_image_kind(data, size);
  switch (kind) {
    case ImageFileKind::kPng:
      return decode_png(data, size);
    case ImageFileKind::kJpeg:
    case ImageFileKind::kWebp:
    case ImageFileKind::kBmp:
    case ImageFileKind::kTiff:
    case ImageFileKind::kPnm:
      return decode_with_opencv(kind, data, size);
    case ImageFileKind::kFct:
      return make_error(ErrorCode::kUnsupported, "not an image: a Facet .fct file");
    case ImageFileKind::kUnknown:
      break;
  }
  return make_error(ErrorCode::kUnsupported, "unknown image format");
}

}  // namespace facet
