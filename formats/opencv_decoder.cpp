// libfacet-opencv.so: OpenCV's image decoders behind formats/opencv_decoder.h's C interface.
#include "formats/opencv_decoder.h"

#include <cstdio>
#include <cstdlib>
#include <new>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

namespace {

void set_error(char* error, size_t size, const char* message) {
  if (error && size) std::snprintf(error, size, "%s", message);
}

template <typename Sample>
void copy_in_rgb_order(const cv::Mat& mat, FacetOpencvImage* image) {
  const uint32_t channels = image->channels;
  // OpenCV stores colour as BGR(A); Facet images are RGB(A).
  const bool swap_red_blue = channels >= 3;
  for (uint32_t y = 0; y < image->height; ++y) {
    const Sample* row = mat.ptr<Sample>(static_cast<int>(y));
    uint16_t* out = image->samples + size_t{y} * image->width * channels;
    for (uint32_t x = 0; x < image->width; ++x) {
      const Sample* pixel = row + size_t{x} * channels;
      uint16_t* out_pixel = out + size_t{x} * channels;
      for (uint32_t c = 0; c < channels; ++c) out_pixel[c] = pixel[c];
      if (swap_red_blue) {
        out_pixel[0] = pixel[2];
        out_pixel[2] = pixel[0];
      }
    }
  }
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int facet_opencv_decode(const uint8_t* data, size_t size,
                                                                          FacetOpencvImage* out, char* error,
                                                                          size_t error_size) {
  *out = FacetOpencvImage{};
  cv::Mat mat;
  try {
    const cv::Mat encoded(1, static_cast<int>(size), CV_8UC1, const_cast<uint8_t*>(data));
    mat = cv::imdecode(encoded, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    set_error(error, error_size, e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    set_error(error, error_size, "out of memory while decoding");
    return 3;
  }
  if (mat.empty() || mat.dims != 2) {
    set_error(error, error_size, "cannot decode");
    return 1;
  }
  const int channels = mat.channels();
  if (channels < 1 || channels > 4) {
    set_error(error, error_size, "more than 4 channels");
    return 2;
  }
  if (mat.depth() != CV_8U && mat.depth() != CV_16U) {
    set_error(error, error_size, "samples other than 8- or 16-bit unsigned integers");
    return 2;
  }
  out->width = static_cast<uint32_t>(mat.cols);
  out->height = static_cast<uint32_t>(mat.rows);
  out->channels = static_cast<uint32_t>(channels);
  out->bit_depth = mat.depth() == CV_8U ? 8 : 16;
  out->samples = static_cast<uint16_t*>(std::malloc(sizeof(uint16_t) * size_t{out->width} * out->height * channels));
  if (!out->samples) {
    set_error(error, error_size, "out of memory");
    return 3;
  }
  if (out->bit_depth == 8) {
    copy_in_rgb_order<uint8_t>(mat, out);
  } else {
    copy_in_rgb_order<uint16_t>(mat, out);
  }
  return 0;
}

extern "C" __attribute__((visibility("default"))) void facet_opencv_free(FacetOpencvImage* image) {
  if (!image) return;
  std::free(image->samples);
  image->samples = nullptr;
}
