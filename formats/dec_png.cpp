// PNG decoding through libpng, from a memory buffer, with limits and typed errors.
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

constexpr size_t kPngSignatureSize = 8;
// Ancillary chunks (text, ICC profiles...) larger than this are refused; pixel data is not
// affected since IDAT is streamed.
constexpr png_alloc_size_t kMaxChunkBytes = 8u << 20;
// Caps the number of ancillary chunks libpng keeps, against files made of millions of tiny ones.
constexpr png_uint_32 kMaxCachedChunks = 1000;

// Everything that the libpng-calling functions touch. It is trivially destructible because
// libpng reports errors with longjmp, which skips destructors: no object with a destructor may
// live in a frame between setjmp and png_error.
struct PngReadJob {
  // Input cursor.
  const uint8_t* data;
  size_t size;
  size_t position;
  bool input_ended;  // the read callback ran out of bytes: the file is truncated

  char error_message[256];
  char warning_message[256];  // the last warning, kept for debugging; warnings are not fatal

  png_structp png;
  png_infop info;

  // Header after transforms.
  png_uint_32 width;
  png_uint_32 height;
  int channels;
  int bit_depth;
  int passes;
  size_t row_bytes;

  // Output buffers, owned by decode_png and allocated between the header and the pixels.
  uint8_t* row_buffer;    // one row (non-interlaced) or the whole image (interlaced)
  png_bytep* row_pointers;  // interlaced only: one pointer per row into row_buffer
  uint16_t* samples;
};
static_assert(std::is_trivially_destructible_v<PngReadJob>,
              "PngReadJob crosses longjmp and must not need destruction");

void copy_message(char* destination, size_t capacity, const char* message) {
  if (message == nullptr) message = "(no message)";
  std::strncpy(destination, message, capacity - 1);
  destination[capacity - 1] = '\0';
}

extern "C" void png_read_error_handler(png_structp png, png_const_charp message) {
  auto* job = static_cast<PngReadJob*>(png_get_error_ptr(png));
  copy_message(job->error_message, sizeof(job->error_message), message);
  // Must not return: libpng would then call its default handler, which prints to stderr.
  png_longjmp(png, 1);
}

extern "C" void png_read_warning_handler(png_structp png, png_const_charp message) {
  auto* job = static_cast<PngReadJob*>(png_get_error_ptr(png));
  copy_message(job->warning_message, sizeof(job->warning_message), message);
}

extern "C" void png_read_from_memory(png_structp png, png_bytep destination, size_t length) {
  auto* job = static_cast<PngReadJob*>(png_get_io_ptr(png));
  if (length > job->size - job->position) {
    job->input_ended = true;
    png_error(png, "unexpected end of PNG data");
  }
  std::memcpy(destination, job->data + job->position, length);
  job->position += length;
}

uint32_t load_big_endian_32(const uint8_t* bytes) {
  return (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) |
         uint32_t{bytes[3]};
}

// Reads the header and sets up the transforms that bring every colour type to 8- or 16-bit
// gray, gray+alpha, RGB or RGBA. Returns false on a libpng error (message in the job).
bool read_png_header(PngReadJob* job) {
  if (setjmp(png_jmpbuf(job->png))) return false;

  png_set_user_limits(job->png, kMaxImageDimension, kMaxImageDimension);
  png_set_chunk_malloc_max(job->png, kMaxChunkBytes);
  png_set_chunk_cache_max(job->png, kMaxCachedChunks);
  png_set_read_fn(job->png, job, png_read_from_memory);
  png_read_info(job->png, job->info);

  const int color_type = png_get_color_type(job->png, job->info);
  const int bit_depth = png_get_bit_depth(job->png, job->info);
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(job->png);
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(job->png);
  if (png_get_valid(job->png, job->info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(job->png);
  job->passes = png_set_interlace_handling(job->png);
  png_read_update_info(job->png, job->info);

  job->width = png_get_image_width(job->png, job->info);
  job->height = png_get_image_height(job->png, job->info);
  job->channels = png_get_channels(job->png, job->info);
  job->bit_depth = png_get_bit_depth(job->png, job->info);
  job->row_bytes = png_get_rowbytes(job->png, job->info);
  return true;
}

// Samples in PNG rows are big-endian when 16-bit.
void convert_row(const uint8_t* row, size_t sample_count, int bit_depth, uint16_t* samples) {
  if (bit_depth == 16) {
    for (size_t i = 0; i < sample_count; ++i) {
      samples[i] = static_cast<uint16_t>((row[2 * i] << 8) | row[2 * i + 1]);
    }
  } else {
    for (size_t i = 0; i < sample_count; ++i) samples[i] = row[i];
  }
}

// Reads the pixels into the job's buffers and checks the rest of the file up to IEND.
bool read_png_pixels(PngReadJob* job) {
  if (setjmp(png_jmpbuf(job->png))) return false;

  const size_t samples_per_row = size_t{job->width} * job->channels;
  if (job->passes == 1) {
    // Row by row through one buffer: no second full-size copy of the image.
    for (png_uint_32 y = 0; y < job->height; ++y) {
      png_read_row(job->png, job->row_buffer, nullptr);
      convert_row(job->row_buffer, samples_per_row, job->bit_depth,
                  job->samples + size_t{y} * samples_per_row);
    }
  } else {
    png_read_image(job->png, job->row_pointers);
    for (png_uint_32 y = 0; y < job->height; ++y) {
      convert_row(job->row_pointers[y], samples_per_row, job->bit_depth,
                  job->samples + size_t{y} * samples_per_row);
    }
  }
  // Reads up to IEND so that truncated files and bad CRCs after the pixels are reported; bytes
  // after IEND are never read.
  png_read_end(job->png, nullptr);
  return true;
}

// Owns the libpng structures for the lifetime of decode_png, outside any setjmp frame.
class PngReadStructs {
 public:
  explicit PngReadStructs(PngReadJob* job) : job_(job) {
    job_->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, job_, png_read_error_handler,
                                       png_read_warning_handler);
    if (job_->png != nullptr) job_->info = png_create_info_struct(job_->png);
  }
  ~PngReadStructs() {
    if (job_->png != nullptr) {
      png_destroy_read_struct(&job_->png, job_->info != nullptr ? &job_->info : nullptr, nullptr);
    }
  }
  PngReadStructs(const PngReadStructs&) = delete;
  PngReadStructs& operator=(const PngReadStructs&) = delete;

  bool ok() const { return job_->png != nullptr && job_->info != nullptr; }

 private:
  PngReadJob* job_;
};

Status libpng_failure(const PngReadJob& job) {
  if (job.input_ended) {
    return make_error(ErrorCode::kTruncated,
                      "PNG ends at byte " + std::to_string(job.size) + ": " + job.error_message);
  }
  return make_error(ErrorCode::kCorrupt, std::string("PNG: ") + job.error_message);
}

}  // namespace

StatusOr<Image> decode_png(const uint8_t* data, size_t size) {
  static const uint8_t kSignature[kPngSignatureSize] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A,
                                                        '\n'};
  const size_t signature_bytes = size < kPngSignatureSize ? size : kPngSignatureSize;
  FACET_RETURN_ERROR_IF(data == nullptr && size != 0, kInvalidArgument, "null PNG buffer");
  FACET_RETURN_ERROR_IF(size != 0 && std::memcmp(data, kSignature, signature_bytes) != 0,
                        kBadMagic, "not a PNG file (bad signature)");
  FACET_RETURN_ERROR_IF(size < kPngSignatureSize, kTruncated,
                        "PNG ends at byte " + std::to_string(size) + " inside the signature");

  // Refuse absurd dimensions from the raw IHDR fields, before libpng sees them, so that the
  // error is typed kLimitExceeded rather than a generic libpng error.
  constexpr size_t kIhdrDimensionsEnd = kPngSignatureSize + 8 + 8;
  if (size >= kIhdrDimensionsEnd && std::memcmp(data + 12, "IHDR", 4) == 0) {
    const uint32_t width = load_big_endian_32(data + 16);
    const uint32_t height = load_big_endian_32(data + 20);
    FACET_RETURN_ERROR_IF(width > kMaxImageDimension || height > kMaxImageDimension,
                          kLimitExceeded,
                          "PNG dimensions " + std::to_string(width) + "x" +
                              std::to_string(height) + " exceed the limit of " +
                              std::to_string(kMaxImageDimension));
  }

  PngReadJob job;
  std::memset(&job, 0, sizeof(job));
  job.data = data;
  job.size = size;
  PngReadStructs structs(&job);
  FACET_RETURN_ERROR_IF(!structs.ok(), kInternal, "cannot create libpng structures");

  if (!read_png_header(&job)) return libpng_failure(job);
  FACET_RETURN_IF_ERROR(check_image_limits(job.width, job.height));
  FACET_RETURN_ERROR_IF((job.channels < 1 || job.channels > 4) ||
                            (job.bit_depth != 8 && job.bit_depth != 16),
                        kInternal,
                        "libpng transforms gave " + std::to_string(job.channels) +
                            " channels of " + std::to_string(job.bit_depth) + " bits");
  const size_t expected_row_bytes =
      size_t{job.width} * static_cast<size_t>(job.channels) * (job.bit_depth / 8);
  FACET_RETURN_ERROR_IF(job.row_bytes != expected_row_bytes, kInternal,
                        "libpng row size " + std::to_string(job.row_bytes) + " is not " +
                            std::to_string(expected_row_bytes));

  FACET_ASSIGN_OR_RETURN(Image image, make_image(job.width, job.height,
                                                 static_cast<uint8_t>(job.channels),
                                                 static_cast<uint8_t>(job.bit_depth)));
  std::vector<uint8_t> row_buffer;
  std::vector<png_bytep> row_pointers;
  try {
    if (job.passes == 1) {
      row_buffer.resize(job.row_bytes);
    } else {
      row_buffer.resize(job.row_bytes * job.height);
      row_pointers.resize(job.height);
      for (png_uint_32 y = 0; y < job.height; ++y) {
        row_pointers[y] = row_buffer.data() + size_t{y} * job.row_bytes;
      }
    }
  } catch (const std::bad_alloc&) {
    return make_error(ErrorCode::kLimitExceeded, "cannot allocate PNG row buffers");
  }
  job.row_buffer = row_buffer.data();
  job.row_pointers = row_pointers.empty() ? nullptr : row_pointers.data();
  job.samples = image.samples.data();

  if (!read_png_pixels(&job)) return libpng_failure(job);
  return image;
}

}  // namespace facet
