// The facet rd measurement loop (a thread pool over codec x setting x image), reference curves,
// Bjøntegaard tables and the JSON / CSV / terminal reports.
#include "eval/rd_sweep.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "common/file_io.h"
#include "eval/metrics.h"

namespace facet {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string format_setting(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

std::string curve_name(const RdCodec& codec, const RdVariant& variant) {
  return variant.name == "full" ? codec.name : codec.name + " " + variant.name;
}

// NaN (an unmeasured value) becomes JSON null.
nlohmann::json number_or_null(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

nlohmann::json measurement_json(const RdMeasurement& m, bool reference) {
  nlohmann::json j = {{"bpp", m.bpp}, {"psnr_rgb", number_or_null(m.psnr_rgb)},
                      {"ms_ssim", number_or_null(m.ms_ssim)}};
  if (!reference) {
    j["bytes"] = m.bytes;
    j["psnr_y"] = number_or_null(m.psnr_y);
    j["encode_s"] = m.encode_s;
    j["decode_s"] = m.decode_s;
  }
  return j;
}

// RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

}  // namespace

Image to_rgb8(const Image& image) {
  Image out;
  out.width = image.width;
  out.height = image.height;
  out.channels = 3;
  out.bit_depth = 8;
  out.samples.resize(image.pixel_count() * 3);
  const bool gray = image.color_channels() == 1;
  for (uint64_t p = 0; p < image.pixel_count(); ++p)
    for (int c = 0; c < 3; ++c) {
      const uint16_t v = image.samples[p * image.channels + (gray ? 0 : c)];
      out.samples[p * 3 + c] = image.bit_depth == 16 ? uint16_t((uint32_t(v) + 128) / 257) : v;
    }
  return out;
}

std::vector<RdPoint> RdCurve::psnr_points() const {
  std::vector<RdPoint> points;
  for (const RdMeasurement& m : means) points.push_back({m.bpp, m.psnr_rgb});
  return points;
}

StatusOr<std::vector<RdCurve>> run_rd_sweep(const std::vector<RdImage>& images,
                                            const std::vector<RdCodec>& codecs,
                                            const RdSweepOptions& options) {
  FACET_RETURN_ERROR_IF(images.empty(), kInvalidArgument, "no images to measure");
  struct Task {
    size_t codec, setting, image;
  };
  std::vector<Task> tasks;
  for (size_t c = 0; c < codecs.size(); ++c)
    for (size_t s = 0; s < codecs[c].settings.size(); ++s)
      for (size_t i = 0; i < images.size(); ++i) tasks.push_back({c, s, i});
  // results[task][variant]: each task writes only its own slot, so no lock is needed.
  std::vector<std::vector<RdMeasurement>> results(tasks.size());
  std::vector<Status> errors(tasks.size());
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex progress_lock;
  size_t done = 0;

  auto run_task = [&](const Task& task) -> Status {
    const RdCodec& codec = codecs[task.codec];
    const Image& original = images[task.image].rgb8;
    const double setting = codec.settings[task.setting];
    auto start = std::chrono::steady_clock::now();
    FACET_ASSIGN_OR_RETURN(Bytes file, codec.encode(original, setting));
    const double encode_s = seconds_since(start);
    const double pixels = double(original.pixel_count());
    std::vector<RdMeasurement> out;
    for (const RdVariant& variant : codec.variants) {
      Bytes transformed;
      if (variant.transform) {
        FACET_ASSIGN_OR_RETURN(transformed, variant.transform(file));
      }
      const Bytes& stored = variant.transform ? transformed : file;
      start = std::chrono::steady_clock::now();
      FACET_ASSIGN_OR_RETURN(Image decoded, codec.decode(stored));
      RdMeasurement m;
      m.decode_s = seconds_since(start);
      m.encode_s = encode_s;
      const Image rgb = to_rgb8(decoded);
      FACET_RETURN_ERROR_IF(rgb.width != original.width || rgb.height != original.height, kCorrupt,
                            "the decoded image has another size");
      m.bytes = double(stored.size());
      m.bpp = 8.0 * double(stored.size()) / pixels;
      FACET_ASSIGN_OR_RETURN(m.psnr_rgb, psnr_rgb(original, rgb));
      FACET_ASSIGN_OR_RETURN(m.psnr_y, psnr_y(original, rgb));
      auto msssim = ms_ssim(original, rgb);
      m.ms_ssim = msssim.ok() ? *msssim : std::numeric_limits<double>::quiet_NaN();
      out.push_back(m);
    }
    results[&task - tasks.data()] = std::move(out);
    return ok_status();
  };

  auto worker = [&] {
    if (options.worker_init) options.worker_init();
    while (!failed.load()) {
      const size_t index = next.fetch_add(1);
      if (index >= tasks.size()) break;
      const Task& task = tasks[index];
      Status status = run_task(task);
      if (!status.ok()) {
        const RdCodec& codec = codecs[task.codec];
        errors[index] = status.with_context(codec.name + " " + codec.setting_name + " " +
                                            format_setting(codec.settings[task.setting]) + " on " +
                                            images[task.image].name);
        failed = true;
      }
      std::lock_guard<std::mutex> lock(progress_lock);
      ++done;
      if (options.progress) options.progress(done, tasks.size());
    }
  };
  const int jobs = std::max(1, std::min<int>(options.jobs, int(tasks.size())));
  std::vector<std::thread> threads;
  for (int j = 0; j < jobs; ++j) threads.emplace_back(worker);
  for (std::thread& t : threads) t.join();
  for (const Status& e : errors)
    if (!e.ok()) return e;

  std::vector<RdCurve> curves;
  size_t task_index = 0;
  for (const RdCodec& codec : codecs) {
    const size_t first_curve = curves.size();
    for (const RdVariant& variant : codec.variants) {
      RdCurve curve;
      curve.name = curve_name(codec, variant);
      curve.codec = codec.name;
      curve.variant = variant.name;
      curve.version = codec.version;
      curve.setting_name = codec.setting_name;
      curve.settings = codec.settings;
      curve.per_image.assign(codec.settings.size(), std::vector<RdMeasurement>(images.size()));
      curves.push_back(std::move(curve));
    }
    for (size_t s = 0; s < codec.settings.size(); ++s)
      for (size_t i = 0; i < images.size(); ++i, ++task_index)
        for (size_t v = 0; v < codec.variants.size(); ++v)
          curves[first_curve + v].per_image[s][i] = results[task_index][v];
    for (size_t v = 0; v < codec.variants.size(); ++v) {
      RdCurve& curve = curves[first_curve + v];
      for (const auto& row : curve.per_image) {
        RdMeasurement mean;
        const double n = double(row.size());
        for (const RdMeasurement& m : row) {
          mean.bytes += m.bytes / n;
          mean.bpp += m.bpp / n;
          mean.psnr_rgb += m.psnr_rgb / n;
          mean.psnr_y += m.psnr_y / n;
          mean.ms_ssim += m.ms_ssim / n;  // NaN if any image had none
          mean.encode_s += m.encode_s / n;
          mean.decode_s += m.decode_s / n;
        }
        curve.means.push_back(mean);
      }
    }
  }
  return curves;
}

StatusOr<std::vector<RdCurve>> load_reference_curves(const std::string& path) {
  FACET_ASSIGN_OR_RETURN(Bytes bytes, read_file(path));
  nlohmann::json j = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
  FACET_RETURN_ERROR_IF(j.is_discarded(), kCorrupt, path + ": not valid JSON");
  FACET_RETURN_ERROR_IF(!j.is_object() || !j.contains("codecs") || !j["codecs"].is_object(), kCorrupt,
                        path + ": no \"codecs\" object");
  std::vector<RdCurve> curves;
  for (const auto& item : j["codecs"].items()) {
    // Plain references, not a structured binding: C++17 lambdas cannot capture those (clang refuses).
    const std::string name = item.key();
    const nlohmann::json& entry = item.value();
    auto numbers = [&](const char* key, std::vector<double>* out) -> Status {
      if (!entry.contains(key)) return ok_status();
      FACET_RETURN_ERROR_IF(!entry[key].is_array(), kCorrupt, path + ": " + name + "." + key + " is not a list");
      for (const auto& v : entry[key]) {
        FACET_RETURN_ERROR_IF(!v.is_number(), kCorrupt, path + ": " + name + "." + key + " holds a non-number");
        out->push_back(v.get<double>());
      }
      return ok_status();
    };
    std::vector<double> bpp, psnr, msssim;
    FACET_RETURN_IF_ERROR(numbers("bpp", &bpp));
    FACET_RETURN_IF_ERROR(numbers("psnr", &psnr));
    FACET_RETURN_IF_ERROR(numbers("ms-ssim", &msssim));
    FACET_RETURN_ERROR_IF(bpp.empty() || bpp.size() != psnr.size() || (!msssim.empty() && msssim.size() != bpp.size()),
                          kCorrupt, path + ": " + name + " has lists of different lengths");
    RdCurve curve;
    curve.name = "ref:" + name;
    curve.codec = name;
    curve.variant = "published";
    curve.reference = true;
    for (size_t i = 0; i < bpp.size(); ++i) {
      RdMeasurement m;
      m.bpp = bpp[i];
      m.psnr_rgb = psnr[i];
      m.psnr_y = m.ms_ssim = std::numeric_limits<double>::quiet_NaN();
      if (!msssim.empty()) m.ms_ssim = msssim[i];
      curve.settings.push_back(double(i));
      curve.means.push_back(m);
    }
    curves.push_back(std::move(curve));
  }
  return curves;
}

BdEntry bd_entry(const RdCurve& anchor, const RdCurve& curve) {
  BdEntry entry;
  entry.curve = curve.name;
  entry.anchor = anchor.name;
  auto rate = bd_rate_percent(anchor.psnr_points(), curve.psnr_points());
  auto psnr = bd_psnr_db(anchor.psnr_points(), curve.psnr_points());
  if (rate.ok()) {
    entry.has_rate = true;
    entry.bd_rate_percent = *rate;
  } else {
    entry.error = rate.status().message();
  }
  if (psnr.ok()) {
    entry.has_psnr = true;
    entry.bd_psnr_db = *psnr;
  } else if (entry.error.empty()) {
    entry.error = psnr.status().message();
  }
  return entry;
}

Status compute_bd(RdReport* report) {
  const RdCurve* anchor = nullptr;
  for (const RdCurve& c : report->curves)
    if (c.name == report->anchor) anchor = &c;
  FACET_RETURN_ERROR_IF(anchor == nullptr, kInvalidArgument,
                        "the anchor '" + report->anchor + "' is not among the measured or reference curves");
  report->vs_anchor.clear();
  report->vs_references.clear();
  for (const RdCurve& c : report->curves)
    if (&c != anchor) report->vs_anchor.push_back(bd_entry(*anchor, c));
  for (const RdCurve& reference : report->curves) {
    if (!reference.reference) continue;
    for (const RdCurve& c : report->curves)
      if (!c.reference) report->vs_references.push_back(bd_entry(reference, c));
  }
  return ok_status();
}

std::string rd_table_text(const RdReport& report) {
  std::ostringstream out;
  char line[256];
  for (const RdCurve& c : report.curves) {
    if (c.reference) continue;
    std::snprintf(line, sizeof line, "%s (%s)\n", c.name.c_str(), c.version.c_str());
    out << line;
    std::snprintf(line, sizeof line, "  %10s %8s %9s %9s %8s %9s %9s\n", c.setting_name.c_str(), "bpp",
                  "PSNR-RGB", "PSNR-Y", "MS-SSIM", "encode s", "decode s");
    out << line;
    for (size_t p = 0; p < c.means.size(); ++p) {
      const RdMeasurement& m = c.means[p];
      char msssim[16] = "-";
      if (std::isfinite(m.ms_ssim)) std::snprintf(msssim, sizeof msssim, "%.5f", m.ms_ssim);
      std::snprintf(line, sizeof line, "  %10g %8.4f %9.3f %9.3f %8s %9.3f %9.3f\n", c.settings[p], m.bpp,
                    m.psnr_rgb, m.psnr_y, msssim, m.encode_s, m.decode_s);
      out << line;
    }
  }
  auto value = [](bool has, double v, const char* format) {
    char text[32];
    if (!has) return std::string("n/a");
    std::snprintf(text, sizeof text, format, v);
    return std::string(text);
  };
  out << "\nBjøntegaard deltas against " << report.anchor
      << " (PSNR-RGB; BD-rate < 0 and BD-PSNR > 0 are better)\n";
  std::snprintf(line, sizeof line, "  %-28s %11s %11s\n", "curve", "BD-rate %", "BD-PSNR dB");
  out << line;
  for (const BdEntry& e : report.vs_anchor) {
    std::snprintf(line, sizeof line, "  %-28s %11s %11s%s%s\n", e.curve.c_str(),
                  value(e.has_rate, e.bd_rate_percent, "%+.2f").c_str(),
                  value(e.has_psnr, e.bd_psnr_db, "%+.3f").c_str(), e.error.empty() ? "" : "  ",
                  e.error.c_str());
    out << line;
  }
  if (!report.vs_references.empty()) {
    // A matrix: one row per published curve, one column per measured curve.
    std::vector<std::string> columns;
    for (const BdEntry& e : report.vs_references)
      if (std::find(columns.begin(), columns.end(), e.curve) == columns.end()) columns.push_back(e.curve);
    out << "\nBD-rate % of the measured curves (columns) against the published curves (rows)\n";
    out << "  " << std::string(26, ' ');
    for (const std::string& c : columns) {
      std::snprintf(line, sizeof line, " %*s", int(std::max<size_t>(9, c.size())), c.c_str());
      out << line;
    }
    out << "\n";
    std::vector<std::string> notes;
    for (size_t row = 0; row < report.vs_references.size(); row += columns.size()) {
      std::snprintf(line, sizeof line, "  %-26s", report.vs_references[row].anchor.c_str());
      out << line;
      for (size_t k = 0; k < columns.size() && row + k < report.vs_references.size(); ++k) {
        const BdEntry& e = report.vs_references[row + k];
        std::snprintf(line, sizeof line, " %*s", int(std::max<size_t>(9, columns[k].size())),
                      value(e.has_rate, e.bd_rate_percent, "%+.2f").c_str());
        out << line;
        const std::string note = e.curve + ": " + e.error;
        if (!e.error.empty() && std::find(notes.begin(), notes.end(), note) == notes.end()) notes.push_back(note);
      }
      out << "\n";
    }
    for (const std::string& note : notes) out << "  n/a " << note << "\n";
  }
  return out.str();
}

std::string rd_json_text(const RdReport& report) {
  auto bd_json = [](const BdEntry& e) {
    nlohmann::json j = {{"curve", e.curve}, {"anchor", e.anchor},
                        {"bd_rate_percent", e.has_rate ? nlohmann::json(e.bd_rate_percent) : nlohmann::json(nullptr)},
                        {"bd_psnr_db", e.has_psnr ? nlohmann::json(e.bd_psnr_db) : nlohmann::json(nullptr)}};
    if (!e.error.empty()) j["error"] = e.error;
    return j;
  };
  nlohmann::json j;
  j["images"] = report.image_names;
  j["anchor"] = report.anchor;
  j["metrics"] = {{"bpp", "8 * file bytes / (width * height), mean over images"},
                  {"psnr_rgb", "mean over images of 10 log10(255^2 / MSE over R, G, B)"},
                  {"psnr_y", "mean over images of the PSNR of Y = 0.299 R + 0.587 G + 0.114 B (full range)"},
                  {"ms_ssim", "mean over images of MS-SSIM (5 scales, 11x11 Gaussian sigma 1.5), per RGB channel averaged"}};
  nlohmann::json codecs = nlohmann::json::object();
  for (const RdCurve& c : report.curves) {
    nlohmann::json curve = {{"codec", c.codec}, {"variant", c.variant}, {"reference", c.reference}};
    if (!c.reference) {
      curve["version"] = c.version;
      curve["setting"] = c.setting_name;
    }
    nlohmann::json points = nlohmann::json::array();
    for (size_t p = 0; p < c.means.size(); ++p) {
      nlohmann::json point = measurement_json(c.means[p], c.reference);
      if (!c.reference) {
        point["setting"] = c.settings[p];
        nlohmann::json rows = nlohmann::json::array();
        for (size_t i = 0; i < c.per_image[p].size(); ++i) {
          nlohmann::json row = measurement_json(c.per_image[p][i], false);
          row["image"] = report.image_names[i];
          rows.push_back(row);
        }
        point["images"] = rows;
      }
      points.push_back(point);
    }
    curve["points"] = points;
    codecs[c.name] = curve;
  }
  j["codecs"] = codecs;
  nlohmann::json vs_anchor = nlohmann::json::array(), vs_references = nlohmann::json::array();
  for (const BdEntry& e : report.vs_anchor) vs_anchor.push_back(bd_json(e));
  for (const BdEntry& e : report.vs_references) vs_references.push_back(bd_json(e));
  j["bd_vs_anchor"] = vs_anchor;
  j["bd_vs_references"] = vs_references;
  return j.dump(1) + "\n";
}

std::string rd_csv_text(const RdReport& report) {
  std::ostringstream out;
  out << "row,curve,codec,variant,setting_name,setting,image,bytes,bpp,psnr_rgb,psnr_y,ms_ssim,encode_s,decode_s\n";
  auto number = [](double v) {
    if (!std::isfinite(v)) return std::string();
    char text[32];
    std::snprintf(text, sizeof text, "%.10g", v);
    return std::string(text);
  };
  auto row = [&](const char* kind, const RdCurve& c, size_t p, const std::string& image, const RdMeasurement& m) {
    out << kind << ',' << csv_field(c.name) << ',' << csv_field(c.codec) << ',' << csv_field(c.variant) << ','
        << c.setting_name << ',' << number(c.settings[p]) << ',' << csv_field(image) << ',' << (c.reference ? "" : number(m.bytes)) << ','
        << number(m.bpp) << ',' << number(m.psnr_rgb) << ',' << number(m.psnr_y) << ',' << number(m.ms_ssim)
        << ',' << (c.reference ? "" : number(m.encode_s)) << ',' << (c.reference ? "" : number(m.decode_s))
        << '\n';
  };
  for (const RdCurve& c : report.curves)
    for (size_t p = 0; p < c.means.size(); ++p) {
      row("mean", c, p, "", c.means[p]);
      if (!c.reference)
        for (size_t i = 0; i < c.per_image[p].size(); ++i) row("image", c, p, report.image_names[i], c.per_image[p][i]);
    }
  return out.str();
}

}  // namespace facet
