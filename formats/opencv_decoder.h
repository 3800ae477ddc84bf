// The C interface of libfacet-opencv.so, the module that decodes JPEG, WebP, BMP, TIFF and PNM
// with OpenCV. Facet opens it (dlopen) the first time it meets one of those files, so that no
// program pays for loading OpenCV (141 libraries, about 0.1 s) before main or for PNG alone.
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct FacetOpencvImage {
  uint32_t width, height;
  uint32_t channels;   // 1..4, RGB(A) order
  uint32_t bit_depth;  // 8 or 16
  uint16_t* samples;   // width * height * channels, row-major; free with facet_opencv_free
} FacetOpencvImage;

// Decodes `data`; 0 on success, else 1 (not decodable), 2 (unsupported layout) or 3 (out of
// memory) with a message in `error` (NUL-terminated, at most error_size bytes).
typedef int (*FacetOpencvDecodeFn)(const uint8_t* data, size_t size, FacetOpencvImage* out, char* error,
                                   size_t error_size);
typedef void (*FacetOpencvFreeFn)(FacetOpencvImage* image);

#define FACET_OPENCV_MODULE "libfacet-opencv.so"
#define FACET_OPENCV_DECODE_SYMBOL "facet_opencv_decode"
#define FACET_OPENCV_FREE_SYMBOL "facet_opencv_free"

#ifdef __cplusplus
}
#endif
