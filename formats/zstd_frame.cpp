// zstd compression of whole buffers, with decompression bounded by a caller-given output limit.
#include "formats/zstd_frame.h"

#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <memory>
#include <new>
#include <string>

namespace facet {
namespace {

// Frames whose window exceeds 2^27 bytes (128 MiB) are refused, so a hostile frame cannot make
// the decoder allocate more than that for its history buffer. Facet's own frames never need more.
constexpr int kMaxWindowLog = 27;

// The frame header's content size is written by the encoder and can lie; it is used only as a hint
// for the first allocation, and never for more than this, whatever the limit allows.
constexpr uint64_t kMaxUpfrontBytes = uint64_t{64} << 20;
constexpr uint64_t kMinGrowthBytes = uint64_t{64} << 10;

struct DCtxDeleter {
  void operator()(ZSTD_DCtx* dctx) const { ZSTD_freeDCtx(dctx); }
};

Status zstd_error(ErrorCode code, const char* what, size_t zstd_result) {
  return make_error(code, std::string(what) + ": " + ZSTD_getErrorName(zstd_result));
}

// Size to grow the output buffer to: double it, but never past `cap` bytes.
uint64_t grown_size(uint64_t current, uint64_t cap) {
  uint64_t doubled = current > UINT64_MAX / 2 ? UINT64_MAX : current * 2;
  return std::min(std::max(doubled, kMinGrowthBytes), cap);
}

}  // namespace

bool has_zstd_magic(const uint8_t* data, size_t size) {
  return size >= 4 && data[0] == 0x28 && data[1] == 0xB5 && data[2] == 0x2F && data[3] == 0xFD;
}

StatusOr<Bytes> zstd_compress(const uint8_t* data, size_t size, int level, bool content_checksum) {
  Bytes out(ZSTD_compressBound(size));
  std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> context(ZSTD_createCCtx(), ZSTD_freeCCtx);
  if (!context) return make_error(ErrorCode::kInternal, "cannot create a zstd context");
  ZSTD_CCtx_setParameter(context.get(), ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(context.get(), ZSTD_c_checksumFlag, content_checksum ? 1 : 0);
  size_t written = ZSTD_compress2(context.get(), out.data(), out.size(), data, size);
  if (ZSTD_isError(written)) return zstd_error(ErrorCode::kInternal, "zstd compression failed", written);
  out.resize(written);
  return out;
}

StatusOr<Bytes> zstd_decompress(const uint8_t* data, size_t size, uint64_t max_output_bytes,
                                uint64_t expected_size) {
  FACET_RETURN_ERROR_IF(size == 0, kTruncated, "zstd data is empty");

  // Decoding stops one byte past the tighter of the two bounds, which is enough to tell "too big"
  // from "fits" without ever holding more than that.
  const uint64_t hard_cap = std::min(max_output_bytes, expected_size);
  const uint64_t buffer_cap =
      std::min<uint64_t>(hard_cap == UINT64_MAX ? UINT64_MAX : hard_cap + 1, SIZE_MAX);

  std::unique_ptr<ZSTD_DCtx, DCtxDeleter> dctx(ZSTD_createDCtx());
  FACET_RETURN_ERROR_IF(dctx == nullptr, kInternal, "cannot create a zstd decoder");
  size_t param_result = ZSTD_DCtx_setParameter(dctx.get(), ZSTD_d_windowLogMax, kMaxWindowLog);
  if (ZSTD_isError(param_result)) {
    return zstd_error(ErrorCode::kInternal, "cannot bound the zstd window", param_result);
  }

  uint64_t first_size = kMinGrowthBytes;
  unsigned long long declared = ZSTD_getFrameContentSize(data, size);
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR) {
    // One byte more than declared lets a truthful single frame finish without a regrowth.
    first_size = declared == UINT64_MAX ? UINT64_MAX : declared + 1;
  }
  first_size = std::min({first_size, kMaxUpfrontBytes, buffer_cap});

  Bytes out;
  size_t produced = 0;
  ZSTD_inBuffer input{data, size, 0};
  try {
    out.resize(static_cast<size_t>(first_size));
    for (;;) {
      if (produced == out.size()) {
        // Only reachable when the caps exceed the address space; output cannot fit regardless.
        FACET_RETURN_ERROR_IF(produced >= buffer_cap, kLimitExceeded,
                              "zstd output does not fit in memory");
        out.resize(static_cast<size_t>(grown_size(out.size(), buffer_cap)));
      }
      ZSTD_outBuffer output{out.data(), out.size(), produced};
      // zstd itself errors out after repeated calls without progress, so this loop terminates.
      size_t result = ZSTD_decompressStream(dctx.get(), &output, &input);
      if (ZSTD_isError(result)) {
        ErrorCode code = ZSTD_getErrorCode(result) == ZSTD_error_frameParameter_windowTooLarge
                             ? ErrorCode::kLimitExceeded
                             : ErrorCode::kCorrupt;
        return zstd_error(code, "zstd decompression failed", result);
      }
      produced = output.pos;
      if (produced > hard_cap) break;
      bool input_done = input.pos == input.size;
      bool frame_done = result == 0;
      if (input_done && frame_done) break;
      // With input exhausted and room left in the output, the decoder has flushed everything it
      // can: the frame needs bytes that are not there.
      if (input_done && output.pos < output.size) {
        return make_error(ErrorCode::kTruncated, "zstd data ends in the middle of a frame");
      }
    }
  } catch (const std::bad_alloc&) {
    return make_error(ErrorCode::kLimitExceeded, "cannot allocate memory for zstd output");
  }

  if (produced > max_output_bytes) {
    return make_error(ErrorCode::kLimitExceeded, "zstd output exceeds the limit of " +
                                                     std::to_string(max_output_bytes) + " bytes");
  }
  if (expected_size != UINT64_MAX && produced != expected_size) {
    // Decoding stopped one byte past expected_size, so a longer output reads "at least".
    return make_error(ErrorCode::kCorrupt,
                      "zstd output has " +
                          std::string(produced > expected_size ? "at least " : "") +
                          std::to_string(produced) + " bytes, expected " +
                          std::to_string(expected_size));
  }
  out.resize(produced);
  return out;
}

struct ZstdPrefixDecoder::Context {
  std::unique_ptr<ZSTD_DCtx, DCtxDeleter> dctx{ZSTD_createDCtx()};
};

ZstdPrefixDecoder::ZstdPrefixDecoder(const uint8_t* data, size_t size)
    : context_(std::make_unique<Context>()), data_(data), size_(size) {}
ZstdPrefixDecoder::~ZstdPrefixDecoder() = default;

Status ZstdPrefixDecoder::extend_to(uint64_t n, uint64_t max_output_bytes) {
  ZSTD_DCtx* dctx = context_->dctx.get();
  FACET_RETURN_ERROR_IF(dctx == nullptr, kInternal, "cannot create a zstd decoder");
  if (consumed_ == 0 && out_.empty()) {
    FACET_RETURN_ERROR_IF(size_ == 0, kTruncated, "zstd data is empty");
    size_t param_result = ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax, kMaxWindowLog);
    if (ZSTD_isError(param_result)) return zstd_error(ErrorCode::kInternal, "cannot bound the zstd window", param_result);
  }
  const uint64_t target = std::min(n, max_output_bytes == UINT64_MAX ? UINT64_MAX : max_output_bytes + 1);
  FACET_RETURN_ERROR_IF(target > SIZE_MAX, kLimitExceeded, "zstd output does not fit in memory");
  if (out_.size() >= target || frame_done_) return ok_status();
  size_t produced = out_.size();
  try {
    out_.resize(size_t(target));
  } catch (const std::bad_alloc&) {
    return make_error(ErrorCode::kLimitExceeded, "cannot allocate memory for zstd output");
  }
  ZSTD_inBuffer input{data_, size_, consumed_};
  while (produced < target) {
    ZSTD_outBuffer output{out_.data(), out_.size(), produced};
    const size_t result = ZSTD_decompressStream(dctx, &output, &input);
    if (ZSTD_isError(result)) {
      out_.resize(produced);
      const ErrorCode code = ZSTD_getErrorCode(result) == ZSTD_error_frameParameter_windowTooLarge
                                 ? ErrorCode::kLimitExceeded
                                 : ErrorCode::kCorrupt;
      return zstd_error(code, "zstd decompression failed", result);
    }
    const bool progressed = output.pos > produced || input.pos > consumed_;
    produced = output.pos;
    consumed_ = input.pos;
    if (result == 0) frame_done_ = true;
    if (frame_done_ || (input.pos == input.size && !progressed)) break;
  }
  out_.resize(produced);
  FACET_RETURN_ERROR_IF(produced > max_output_bytes, kLimitExceeded,
                        "zstd output exceeds the limit of " + std::to_string(max_output_bytes) + " bytes");
  return ok_status();
}

}  // namespace facet
