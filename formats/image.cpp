// Image allocation and the dimension limits that every image reader checks before allocating.
#include "formats/image.h"

#include <new>

namespace facet {

Status check_image_limits(uint64_t width, uint64_t height) {
  FACET_RETURN_ERROR_IF(width == 0 || height == 0, kInvalidArgument,
                        "image has a zero dimension (" + std::to_string(width) + "x" +
                            std::to_string(height) + ")");
  FACET_RETURN_ERROR_IF(width > kMaxImageDimension || height > kMaxImageDimension,
                        kLimitExceeded,
                        "image dimensions " + std::to_string(width) + "x" +
                            std::to_string(height) + " exceed the limit of " +
                            std::to_string(kMaxImageDimension));
  // Both factors are at most 65535 here, so the product cannot overflow.
  FACET_RETURN_ERROR_IF(width * height > kMaxImagePixels, kLimitExceeded,
                        "image has " + std::to_string(width * height) +
                            " pixels, more than the limit of " +
                            std::to_string(kMaxImagePixels));
  return ok_status();
}

StatusOr<Image> make_image(uint32_t width, uint32_t height, uint8_t channels, uint8_t bit_depth) {
  FACET_RETURN_ERROR_IF(channels < 1 || channels > 4, kInvalidArgument,
                        "image must have 1 to 4 channels, not " + std::to_string(channels));
  FACET_RETURN_ERROR_IF(bit_depth != 8 && bit_depth != 16, kInvalidArgument,
                        "image bit depth must be 8 or 16, not " + std::to_string(bit_depth));
  FACET_RETURN_IF_ERROR(check_image_limits(width, height));
  Image image;
  image.width = width;
  image.height = height;
  image.channels = channels;
  image.bit_depth = bit_depth;
  // Within the limits the request is at most 2 GiB; a machine that cannot give it is not a bug
  // in the input, so report it instead of letting bad_alloc escape.
  try {
    image.samples.assign(image.pixel_count() * channels, 0);
  } catch (const std::bad_alloc&) {
    return make_error(ErrorCode::kLimitExceeded,
                      "cannot allocate a " + std::to_string(width) + "x" +
                          std::to_string(height) + " image");
  }
  return image;
}

}  // namespace facet
