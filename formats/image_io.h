// Image decoding (PNG through libpng; JPEG/WebP/BMP/TIFF/PPM through OpenCV) and PNG encoding.
#pragma once

#include <string>

#include "common/bytes.h"
#include "common/status.h"
#include "formats/image.h"

namespace facet {

enum class ImageFileKind { kUnknown, kPng, kJpeg, kWebp, kBmp, kTiff, kPnm, kFct };

// Detects the file kind from its first bytes (never from the file name).
ImageFileKind detect_image_kind(const uint8_t* data, size_t size);
const char* image_kind_name(ImageFileKind kind);

// PNG through libpng: 1/2/4/8/16-bit gray, gray+alpha, RGB, RGBA and palette (tRNS becomes
// alpha). Sub-8-bit depths are expanded to 8 bits; 16-bit stays 16-bit. Limits of image.h apply.
StatusOr<Image> decode_png(const uint8_t* data, size_t size);

// Any supported kind, detected from the bytes. Non-PNG kinds go through OpenCV and come out as
// 8- or 16-bit gray/RGB/RGBA in RGB order.
StatusOr<Image> decode_image(const uint8_t* data, size_t size);

// Encodes 8- or 16-bit gray, gray+alpha, RGB or RGBA as PNG through libpng.
StatusOr<Bytes> encode_png(const Image& image);

}  // namespace facet
