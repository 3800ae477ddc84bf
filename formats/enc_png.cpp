// PNG encoding through libpng into a memory buffer.
#include <png.h>

#include <csetjmp>
#include <cstring>
#include <new>
#include <type_traits>
#include <vector>

#include "formats/image.h"
#include "formats/image_io.h"

namespace facet {
namespace {

// zlib level 4 rather than libpng's 6: on a decoded Kodak image (kodim23, 768x512 RGB, adaptive
// filters) 0.051 s instead of 0.141 s for 2.0% more bytes (461 KB instead of 452 KB); level 1 is
// 0.029 s but 13.7% larger, level 3 slower than 4 and larger. Writing the PNG was the largest
// single-threaded stage of `facet decompress` after the synthesis.
constexpr int kPngCompressionLevel = 4;

// State shared with the libpng callbacks. Trivially destructible because libpng reports errors
// with longjmp, which skips destructors (see dec_png.cpp).
struct PngWriteJob {
  const Image* image;
  Bytes* output;
  uint8_t* row_buffer;
  bool out_of_memory;
  char error_message[256];
  png_structp png;
  png_infop info;
};
static_assert(std::is_trivially_destructible_v<PngWriteJob>,
              "PngWriteJob crosses longjmp and must not need destruction");

extern "C" void png_write_error_handler(png_structp png, png_const_charp message) {
  auto* job = static_cast<PngWriteJob*>(png_get_error_ptr(png));
  if (message == nullptr) message = "(no message)";
  std::strncpy(job->error_message, message, sizeof(job->error_message) - 1);
  job->error_message[sizeof(job->error_message) - 1] = '\0';
  // Must not return: libpng would then call its default handler, which prints to stderr.
  png_longjmp(png, 1);
}

extern "C" void png_write_warning_handler(png_structp, png_const_charp) {
  // Warnings on write concern our own settings and are not actionable by the caller.
}

bool append_bytes(Bytes* output, const uint8_t* data, size_t length) noexcept {
  try {
    output->insert(output->end(), data, data + length);
    return true;
  } catch (const std::bad_alloc&) {
    return false;
  }
}

extern "C" void png_write_to_memory(png_structp png, png_bytep data, size_t length) {
  auto* job = static_cast<PngWriteJob*>(png_get_io_ptr(png));
  // The exception is handled in append_bytes: unwinding must not meet libpng's C frames, and
  // png_error must not be called from inside a catch block.
  if (!append_bytes(job->output, data, length)) {
    job->out_of_memory = true;
    png_error(png, "out of memory while writing PNG");
  }
}

extern "C" void png_flush_memory(png_structp) {}

bool write_png(PngWriteJob* job) {
  if (setjmp(png_jmpbuf(job->png))) return false;

  const Image& image = *job->image;
  static const int kColorTypes[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                     PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
  png_set_write_fn(job->png, job, png_write_to_memory, png_flush_memory);
  png_set_compression_level(job->png, kPngCompressionLevel);
  png_set_IHDR(job->png, job->info, image.width, image.height, image.bit_depth,
               kColorTypes[image.channels], PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(job->png, job->info);

  const size_t samples_per_row = size_t{image.width} * image.channels;
  for (uint32_t y = 0; y < image.height; ++y) {
    const uint16_t* samples = image.samples.data() + size_t{y} * samples_per_row;
    uint8_t* row = job->row_buffer;
    if (image.bit_depth == 16) {
      for (size_t i = 0; i < samples_per_row; ++i) {
        row[2 * i] = static_cast<uint8_t>(samples[i] >> 8);
        row[2 * i + 1] = static_cast<uint8_t>(samples[i]);
      }
    } else {
      for (size_t i = 0; i < samples_per_row; ++i) row[i] = static_cast<uint8_t>(samples[i]);
    }
    png_write_row(job->png, row);
  }
  png_write_end(job->png, nullptr);
  return true;
}

// Owns the libpng structures for the lifetime of encode_png, outside any setjmp frame.
class PngWriteStructs {
 public:
  explicit PngWriteStructs(PngWriteJob* job) : job_(job) {
    job_->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, job_, png_write_error_handler,
                                        png_write_warning_handler);
    if (job_->png != nullptr) job_->info = png_create_info_struct(job_->png);
  }
  ~PngWriteStructs() {
    if (job_->png != nullptr) {
      png_destroy_write_struct(&job_->png, job_->info != nullptr ? &job_->info : nullptr);
    }
  }
  PngWriteStructs(const PngWriteStructs&) = delete;
  PngWriteStructs& operator=(const PngWriteStructs&) = delete;

  bool ok() const { return job_->png != nullptr && job_->info != nullptr; }

 private:
  PngWriteJob* job_;
};

Status validate_image(const Image& image) {
  FACET_RETURN_ERROR_IF(image.channels < 1 || image.channels > 4, kInvalidArgument,
                        "PNG encoder needs 1 to 4 channels, not " +
                            std::to_string(image.channels));
  FACET_RETURN_ERROR_IF(image.bit_depth != 8 && image.bit_depth != 16, kInvalidArgument,
                        "PNG encoder needs 8- or 16-bit samples, not " +
                            std::to_string(image.bit_depth));
  Status limits = check_image_limits(image.width, image.height);
  if (!limits.ok()) return make_error(ErrorCode::kInvalidArgument, limits.message());
  const uint64_t expected_samples = image.pixel_count() * image.channels;
  FACET_RETURN_ERROR_IF(image.samples.size() != expected_samples, kInvalidArgument,
                        "image has " + std::to_string(image.samples.size()) + " samples, " +
                            std::to_string(expected_samples) + " expected");
  if (image.bit_depth == 8) {
    // An 8-bit sample above 255 would be silently truncated in the file.
    for (uint16_t sample : image.samples) {
      FACET_RETURN_ERROR_IF(sample > 255, kInvalidArgument,
                            "8-bit image has a sample of " + std::to_string(sample));
    }
  }
  return ok_status();
}

}  // namespace

StatusOr<Bytes> encode_png(const Image& image) {
  FACET_RETURN_IF_ERROR(validate_image(image));

  Bytes output;
  std::vector<uint8_t> row_buffer;
  try {
    row_buffer.resize(size_t{image.width} * image.channels * (image.bit_depth / 8));
  } catch (const std::bad_alloc&) {
    return make_error(ErrorCode::kLimitExceeded, "cannot allocate a PNG row buffer");
  }

  PngWriteJob job;
  std::memset(&job, 0, sizeof(job));
  job.image = &image;
  job.output = &output;
  job.row_buffer = row_buffer.data();
  PngWriteStructs structs(&job);
  FACET_RETURN_ERROR_IF(!structs.ok(), kInternal, "cannot create libpng structures");

  if (!write_png(&job)) {
    if (job.out_of_memory) return make_error(ErrorCode::kLimitExceeded, job.error_message);
    return make_error(ErrorCode::kInternal, std::string("libpng: ") + job.error_message);
  }
  return output;
}

}  // namespace facet
