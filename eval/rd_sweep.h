// Rate-distortion sweeps for `facet rd`: codecs measured on a set of images, published curves,
// Bjøntegaard deltas between them, and the table / JSON / CSV reports.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "eval/bd_rate.h"
#include "formats/image.h"

namespace facet {

// A stored-file operation measured in addition to the file itself, e.g. dropping the finest
// structure groups of a .fct file. The file's bpp is that of the transformed bytes. "full" (no
// transform) is the file as encoded.
struct RdVariant {
  std::string name;
  std::function<StatusOr<Bytes>(const Bytes& file)> transform;  // empty: the file as it is
};

// A codec that `facet rd` measures: the settings to sweep, encode at a setting, decode the bytes.
// Both functions are called concurrently from several threads.
struct RdCodec {
  std::string name;          // "jpeg", "webp", "jxl", "avif", "facet"
  std::string version;       // of what produced the files, printed and stored in the JSON
  std::string setting_name;  // "quality", "distance", "quantizer"
  std::vector<double> settings;
  std::function<StatusOr<Bytes>(const Image& rgb8, double setting)> encode;
  std::function<StatusOr<Image>(const Bytes& file)> decode;
  std::vector<RdVariant> variants = {{"full", {}}};
};

// An input image as the sweep sees it: 8-bit RGB.
struct RdImage {
  std::string name;
  Image rgb8;
};

// 8-bit RGB version of any image: gray is replicated, alpha dropped, 16-bit rounded to 8 bits.
Image to_rgb8(const Image& image);

struct RdMeasurement {
  double bytes = 0;
  double bpp = 0;  // 8 * bytes / (width * height)
  double psnr_rgb = 0, psnr_y = 0;
  double ms_ssim = 0;  // NaN when the image is too small for MS-SSIM
  double encode_s = 0, decode_s = 0;
};

// One curve: a codec (and variant) over its settings, or a published reference curve.
struct RdCurve {
  std::string name;  // "jpeg", "facet", "facet drop:structure:1", "ref:JPEG"
  std::string codec, variant, version, setting_name;
  bool reference = false;         // published: only `means` (bpp, psnr_rgb, ms_ssim) are known
  std::vector<double> settings;   // one per point
  std::vector<RdMeasurement> means;                    // [point]: means over the images
  std::vector<std::vector<RdMeasurement>> per_image;   // [point][image]

  std::vector<RdPoint> psnr_points() const;
};

struct RdSweepOptions {
  int jobs = 1;                                    // images measured concurrently
  std::function<void()> worker_init;               // runs first on every worker thread
  std::function<void(size_t done, size_t total)> progress;  // called under a lock
};

// Encodes every image at every setting of every codec, decodes each variant and measures it.
// The result (curves in codec, variant order) does not depend on `jobs`. The first error (in
// task order) is returned, with the codec, setting and image as context.
StatusOr<std::vector<RdCurve>> run_rd_sweep(const std::vector<RdImage>& images,
                                            const std::vector<RdCodec>& codecs,
                                            const RdSweepOptions& options);

// Published curves in the format of shared/anchors/kodak_published.json:
// {"codecs": {NAME: {"bpp": [...], "psnr": [...], "ms-ssim": [...]}}}; curves are named "ref:NAME".
StatusOr<std::vector<RdCurve>> load_reference_curves(const std::string& path);

// BD-rate / BD-PSNR of `curve` against `anchor`; `error` says why a value is missing.
struct BdEntry {
  std::string curve, anchor;
  bool has_rate = false, has_psnr = false;
  double bd_rate_percent = 0, bd_psnr_db = 0;
  std::string error;
};
BdEntry bd_entry(const RdCurve& anchor, const RdCurve& curve);

struct RdReport {
  std::vector<std::string> image_names;
  std::vector<RdCurve> curves;   // measured, then references
  std::string anchor;
  std::vector<BdEntry> vs_anchor;      // every curve but the anchor against the anchor
  std::vector<BdEntry> vs_references;  // every measured curve against every reference curve
};

// Fills the two BD lists of `report` from its curves. kInvalidArgument if the anchor is missing.
Status compute_bd(RdReport* report);

std::string rd_table_text(const RdReport& report);  // the terminal table
std::string rd_json_text(const RdReport& report);   // --json
std::string rd_csv_text(const RdReport& report);    // --csv: one row per point mean and per image

}  // namespace facet
