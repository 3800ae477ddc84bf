/* libfacet: the Facet learned image codec as a C library.
 *
 * Facet files (.fct, formats/FORMAT.md) are made of named factors: global appearance scalars
 * (exposure, contrast, saturation, temperature, tint) and spatial latent groups (structure.0 ..,
 * chroma), each in its own stream, so a stored file can be edited (a factor set) or thinned (a
 * factor dropped) without coding it again.
 *
 * Conventions
 * - Every function that can fail returns a facet_status; FACET_OK is 0. On failure,
 *   facet_last_error() gives a message for the calling thread, valid until its next call into the
 *   library. Nothing is written to an output argument on failure.
 * - Buffers the library allocates (compressed files, decoded pixels) are freed with facet_free().
 * - Pixels are 8-bit, interleaved, row-major: 1 channel (gray), 2 (gray + alpha), 3 (RGB) or 4
 *   (RGBA); a row is `stride` bytes (at least width * channels; 0 means exactly that).
 * - Threads: a facet_model is read-only once loaded; facet_compress, facet_decompress,
 *   facet_decompress_into, facet_inspect and facet_edit may run at once on one model from any
 *   number of threads. facet_model_free must not run while another call uses the model. Each call
 *   uses `threads` worker threads of its own; the output does not depend on that number.
 * - This library codes with the transforms on oneDNN and needs no LibTorch. Encoder efforts above
 *   1 refine the latents by gradient descent, which needs LibTorch: they are FACET_ERROR_UNSUPPORTED
 *   here (the facet-torch program, which runs the same API with LibTorch beside it, has them and
 *   reports their progress through facet_compress_options.progress; their files decode here like
 *   any other).
 */
#ifndef FACET_FACET_H_
#define FACET_FACET_H_

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define FACET_EXPORT
#else
#define FACET_EXPORT __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- version ------------------------------------------------------------------------------ */

#define FACET_VERSION_MAJOR 0
#define FACET_VERSION_MINOR 1
#define FACET_VERSION_PATCH 0
/* MAJOR * 10000 + MINOR * 100 + PATCH */
#define FACET_VERSION_NUMBER (FACET_VERSION_MAJOR * 10000 + FACET_VERSION_MINOR * 100 + FACET_VERSION_PATCH)

/* The library's version, which may be newer than the header's: FACET_VERSION_NUMBER's form and
 * "MAJOR.MINOR.PATCH". */
FACET_EXPORT unsigned facet_version_number(void);
FACET_EXPORT const char* facet_version_string(void);

/* ---- errors ------------------------------------------------------------------------------- */

typedef enum facet_status {
  FACET_OK = 0,
  FACET_ERROR_INVALID_ARGUMENT = 1, /* a bad value from the caller */
  FACET_ERROR_TRUNCATED = 2,        /* the input ended before a structure was complete */
  FACET_ERROR_BAD_MAGIC = 3,        /* not a Facet file (or weights file) */
  FACET_ERROR_UNSUPPORTED_VERSION = 4,
  FACET_ERROR_CHECKSUM = 5,         /* stored and computed checksums differ */
  FACET_ERROR_LIMIT = 6,            /* over a limit of the format or the library, or out of memory */
  FACET_ERROR_CORRUPT = 7,          /* internally inconsistent input */
  FACET_ERROR_UNSUPPORTED = 8,      /* valid input this library cannot handle (another model, effort > 1) */
  FACET_ERROR_IO = 9,               /* a file could not be read */
  FACET_ERROR_INTERNAL = 10         /* a bug in Facet: please report it */
} facet_status;

/* The message of the calling thread's last failure ("" if none); valid until its next call. */
FACET_EXPORT const char* facet_last_error(void);
/* "ok", "invalid-argument", "truncated", ... */
FACET_EXPORT const char* facet_status_name(facet_status status);

/* Frees a buffer the library allocated (NULL is fine). */
FACET_EXPORT void facet_free(void* buffer);

/* ---- models ------------------------------------------------------------------------------- */

typedef struct facet_model facet_model;

/* A weights file (safetensors, optionally zstd-wrapped) from a path or from bytes (copied). A file
 * names the model it needs (its hash): decode it with the model that wrote it. */
FACET_EXPORT facet_status facet_model_load(const char* path, facet_model** model);
FACET_EXPORT facet_status facet_model_load_bytes(const void* data, size_t size, facet_model** model);
/* The shipped photo model: $FACET_MODEL, else share/facet/models/facet-photo.safetensors.zst of
 * the prefix the library is installed in (or of its build tree). */
FACET_EXPORT facet_status facet_model_load_default(facet_model** model);
FACET_EXPORT void facet_model_free(facet_model* model);
/* The model's identifier ("facet-photo-6"); valid while the model lives. */
FACET_EXPORT const char* facet_model_id(const facet_model* model);

/* ---- compress ----------------------------------------------------------------------------- */

typedef enum facet_precision {
  FACET_PRECISION_AUTO = 0, /* bf16 on CPUs with avx512_bf16 or AMX, else fp32 */
  FACET_PRECISION_FP32 = 1, /* the reference path */
  FACET_PRECISION_BF16 = 2  /* FACET_ERROR_UNSUPPORTED on CPUs without bf16 instructions */
} facet_precision;

/* Seconds spent in each stage of one call (the stages a call does not run stay 0). */
typedef struct facet_timings {
  double analysis;   /* the analysis transform and hyper-analysis (encoder) */
  double refine;     /* the latent refinement of efforts >= 2 (encoder) */
  double hyper;      /* the hyper-synthesis: the means and scales of the latents */
  double entropy;    /* rANS coding of every stream */
  double synthesis;  /* the synthesis transform (decoder) */
  double appearance; /* measuring (encoder) or imposing (decoder) the global appearance factors */
} facet_timings;

/* The progress of an effort >= 2 encode. First the hyper-latents' stage (the whole image), with
 * tile -1 and tiles 1, at its start (iteration 0) and its end: bpp, the estimated rate of the
 * latents and hyper-latents at that iteration; psnr NaN; objective = bpp; best_objective, the
 * lowest rate so far (the stage keeps those hyper-latents). Then for each tile, at the start of its
 * refinement (iteration 0: the analysis' latents), every 10 iterations and at the last. Calls come
 * from the threads that refine, one at a time (never two at once). For the tile's rounded latents
 * at this iteration: bpp, the latents' estimated rate; psnr, the decode's, dB; objective, what the
 * refinement minimizes (bpp + lambda * 255^2 * MSE); best_objective, the lowest so far (the tile
 * keeps the latents that gave it). */
typedef struct facet_progress {
  int tile, tiles;           /* 0-based tile index, tile count; -1 and 1: the hyper-latents' stage */
  int iteration, iterations; /* 0 .. iterations */
  double bpp, psnr;
  double objective, best_objective;
} facet_progress;
typedef void (*facet_progress_fn)(void* user, const facet_progress* progress);

typedef struct facet_compress_options {
  double quality;            /* 0..100, continuous (default 75) */
  int effort;                /* 1 (the default; higher efforts: FACET_ERROR_UNSUPPORTED, see above) */
  int threads;               /* worker threads, >= 1 (default 1) */
  facet_precision precision; /* default FACET_PRECISION_AUTO */
  int tile;                  /* tiles of at most tile x 16 pixels a side (default 32; 0: one tile) */
  facet_progress_fn progress; /* NULL (the default) or called as above, with progress_user */
  void* progress_user;
  facet_timings* timings;    /* NULL (the default) or filled on success */
} facet_compress_options;

/* The defaults above. */
FACET_EXPORT void facet_compress_options_init(facet_compress_options* options);

/* Compresses width x height pixels of `channels` (1 to 4) 8-bit samples into a new .fct file in
 * *out (*out_size bytes; facet_free it). options may be NULL (the defaults). The same pixels and
 * options give the same bytes as `facet compress` of a PNG holding them. */
FACET_EXPORT facet_status facet_compress(const facet_model* model, const uint8_t* pixels, uint32_t width,
                                         uint32_t height, uint32_t channels, size_t stride,
                                         const facet_compress_options* options, uint8_t** out, size_t* out_size);

/* Pixels of 8 or 16 bits a sample: width x height pixels of `channels` (1 to 4) interleaved
 * samples, uint8_t (bits 8) or uint16_t in the machine's byte order (bits 16), rows `stride` bytes
 * apart (0: width * channels * bytes per sample). */
typedef struct facet_image {
  void* pixels;
  uint32_t width, height, channels, bits;
  size_t stride;
} facet_image;

/* facet_compress of 8- or 16-bit pixels: the colour of a 16-bit image is coded at 8 bits (as
 * every image's), its alpha at 16 (FORMAT.md, the alpha stream). */
FACET_EXPORT facet_status facet_compress_image(const facet_model* model, const facet_image* image,
                                               const facet_compress_options* options, uint8_t** out,
                                               size_t* out_size);

/* ---- decompress --------------------------------------------------------------------------- */

/* A global factor set before decoding: value in the factor's unit; relative != 0 adds value to the
 * stored value instead (as `--set NAME=+VALUE`). */
typedef struct facet_factor_setting {
  const char* name;
  double value;
  int relative;
} facet_factor_setting;

typedef struct facet_decompress_options {
  int threads;                           /* worker threads, >= 1 (default 1) */
  facet_precision precision;             /* default FACET_PRECISION_AUTO */
  const char* const* drop;               /* factor names decoded as their prior mean */
  size_t drop_count;
  const facet_factor_setting* settings;  /* global factors set before decoding */
  size_t setting_count;
  int tile;                              /* as facet_compress_options.tile (default 32) */
  int as_synthesized;                    /* nonzero: the synthesis' own appearance, not the stored factors' */
  facet_timings* timings;                /* NULL (the default) or filled on success */
} facet_decompress_options;

FACET_EXPORT void facet_decompress_options_init(facet_decompress_options* options);

/* The size of the image a file decodes to: its width, height and channels (those of the image it
 * was made from, 1 to 4). */
FACET_EXPORT facet_status facet_image_size(const uint8_t* data, size_t size, uint32_t* width, uint32_t* height,
                                           uint32_t* channels);

/* Decodes a .fct file into new 8-bit pixels (*pixels, facet_free it), rows of width * channels
 * bytes, channels as facet_image_size says. A 16-bit source (alpha) is rounded to 8 bits. options
 * may be NULL. */
FACET_EXPORT facet_status facet_decompress(const facet_model* model, const uint8_t* data, size_t size,
                                           const facet_decompress_options* options, uint8_t** pixels,
                                           uint32_t* width, uint32_t* height, uint32_t* channels);

/* Decodes into new pixels of the file's own depth: image->bits is 16 when the file keeps a 16-bit
 * alpha, else 8; image->pixels is the library's (facet_free it), rows tightly packed. */
FACET_EXPORT facet_status facet_decompress_image(const facet_model* model, const uint8_t* data, size_t size,
                                                 const facet_decompress_options* options, facet_image* image);

/* The same into the caller's buffer: `capacity` bytes, rows `stride` bytes apart (0: width *
 * channels), channels as facet_image_size says. FACET_ERROR_INVALID_ARGUMENT if it is too small. */
FACET_EXPORT facet_status facet_decompress_into(const facet_model* model, const uint8_t* data, size_t size,
                                                const facet_decompress_options* options, uint8_t* pixels,
                                                size_t capacity, size_t stride);

/* ---- inspect and edit --------------------------------------------------------------------- */

typedef struct facet_file_info facet_file_info;

typedef struct facet_factor {
  const char* name;   /* "exposure", "structure.0", "chroma", "hyper", "alpha" */
  const char* kind;   /* "global", "spatial", "hyper", "aux" */
  const char* coder;  /* "short", "rans-gaussian", "rans-factorized", "zstd", ... */
  uint64_t bytes;     /* its stream's size */
  int has_value;      /* global factors, when the file's model was given: value is set */
  double value;       /* in the factor's unit */
  const char* unit;   /* the value's unit ("EV", "log2"), "" without a value */
  const char* element_type; /* "i32", "u8", ... (FORMAT.md §4) */
  uint32_t rank;            /* 0 (a scalar) to 4 */
  uint32_t shape[4];        /* the first `rank` are set */
  double quant_step;
  uint64_t offset;          /* of its stream, from the end of the header */
  uint32_t checksum;        /* its stream's stored checksum */
  const char* reads;        /* the factors decoding it reads, comma-separated ("" if none) */
} facet_factor;

/* Parses a file's header and factor table; with the file's model (model may be NULL) also the
 * global factors' values. Strings live as long as *info; free it with facet_file_info_free. */
FACET_EXPORT facet_status facet_inspect(const facet_model* model, const uint8_t* data, size_t size,
                                        facet_file_info** info);
FACET_EXPORT void facet_file_info_free(facet_file_info* info);
FACET_EXPORT uint32_t facet_file_info_width(const facet_file_info* info);
FACET_EXPORT uint32_t facet_file_info_height(const facet_file_info* info);
FACET_EXPORT uint32_t facet_file_info_channels(const facet_file_info* info);   /* of the source image */
FACET_EXPORT double facet_file_info_quality(const facet_file_info* info);
FACET_EXPORT uint32_t facet_file_info_format_version(const facet_file_info* info);
FACET_EXPORT const char* facet_file_info_model_id(const facet_file_info* info);
FACET_EXPORT uint64_t facet_file_info_model_hash(const facet_file_info* info);
FACET_EXPORT uint32_t facet_file_info_source_bit_depth(const facet_file_info* info); /* 8 or 16 */
FACET_EXPORT uint64_t facet_file_info_header_bytes(const facet_file_info* info);
/* Whether the global factors' values are there (the file's model was given). */
FACET_EXPORT int facet_file_info_has_values(const facet_file_info* info);
FACET_EXPORT size_t facet_file_info_factor_count(const facet_file_info* info);
/* Factor `index` (0 .. count - 1), or FACET_ERROR_INVALID_ARGUMENT past the end. */
FACET_EXPORT facet_status facet_file_info_factor(const facet_file_info* info, size_t index, facet_factor* factor);

/* A new .fct with global factors set (needs the file's model) and factors dropped (model may be
 * NULL when nothing is set); untouched streams are copied byte for byte. */
FACET_EXPORT facet_status facet_edit(const facet_model* model, const uint8_t* data, size_t size,
                                     const facet_factor_setting* settings, size_t setting_count,
                                     const char* const* drop, size_t drop_count, uint8_t** out, size_t* out_size);

#ifdef __cplusplus
}
#endif

#endif /* FACET_FACET_H_ */
