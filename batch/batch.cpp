// Batch compression and decompression of a directory tree, sharded and resumable (batch.h).
#include "batch/batch.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "common/file_io.h"
#include "eval/metrics.h"
#include "formats/checksum.h"
#include "formats/container.h"
#include "formats/image_io.h"

namespace facet {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;  // keys in the order written: path first

std::string lower(std::string s) {
  for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool is_image_extension(const std::string& ext) {
  static const char* kImages[] = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".ppm", ".pgm", ".pnm"};
  const std::string e = lower(ext);
  return std::any_of(std::begin(kImages), std::end(kImages), [&](const char* x) { return e == x; });
}

std::string checksum_text(const Bytes& bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "xxh3-64:%016llx", (unsigned long long)hash64(bytes.data(), bytes.size()));
  return text;
}

std::string output_path_of(const std::string& relative, BatchDirection direction) {
  fs::path p(relative);
  p.replace_extension(direction == BatchDirection::kCompress ? ".fct" : ".png");
  return p.generic_string();
}

// What decides the bytes of an output besides its input: a rerun with other settings codes again.
std::string settings_of(const BatchOptions& o, const CodecModel& model) {
  char text[160];
  if (o.direction == BatchDirection::kCompress) {
    std::snprintf(text, sizeof text, "compress q=%.4f effort=%d tile=%d model=%016llx", o.compress.quality,
                  o.compress.effort, o.compress.tile_latents, (unsigned long long)model.hash);
  } else {
    std::snprintf(text, sizeof text, "decompress tile=%d appearance=%d model=%016llx", o.decompress.tile_latents,
                  int(o.decompress.impose_appearance), (unsigned long long)model.hash);
  }
  std::string s = text;
  for (const auto& [name, setting] : o.settings) s += " set:" + name + "=" + std::to_string(setting.value);
  for (const auto& name : o.drops) s += " drop:" + name;
  return s;
}

// What a manifest line says of a file that was coded: enough to tell whether it is still done.
// (Only these fields are kept, so that the manifest of a shard of a million files fits.)
struct DoneRecord {
  std::string settings, input_checksum, checksum;
};

// The last well-formed line of each path: a line cut short by a killed run is ignored, and a path
// whose last line is an error is not done.
std::map<std::string, DoneRecord> read_manifest(const std::string& path) {
  std::map<std::string, DoneRecord> done;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return done;
  std::string line;
  for (int c; (c = std::fgetc(f)) != EOF;) {
    if (c != '\n') {
      line.push_back(char(c));
      continue;
    }
    const json entry = json::parse(line, nullptr, /*allow_exceptions=*/false);
    line.clear();
    if (!entry.is_object() || !entry.contains("path") || !entry["path"].is_string()) continue;
    const std::string file = entry["path"].get<std::string>();
    if (entry.value("status", "") != "ok") {
      done.erase(file);
      continue;
    }
    done[file] = {entry.value("settings", ""), entry.value("input_checksum", ""), entry.value("checksum", "")};
  }
  std::fclose(f);
  return done;
}

bool still_valid(const DoneRecord& record, const std::string& settings, const std::string& input_checksum,
                 const std::string& output_file) {
  if (record.settings != settings || record.input_checksum != input_checksum) return false;
  auto bytes = read_file(output_file);
  return bytes.ok() && checksum_text(*bytes) == record.checksum;
}

struct Coded {
  Bytes output;
  json fields;  // bpp, psnr, width, height
};

StatusOr<Coded> code_one(const BatchOptions& o, CodecModel& model, const Bytes& input) {
  Coded coded;
  if (o.direction == BatchDirection::kCompress) {
    FACET_ASSIGN_OR_RETURN(Image image, decode_image(input.data(), input.size()));
    FACET_ASSIGN_OR_RETURN(coded.output, compress_image(image, model, o.compress));
    coded.fields["width"] = image.width;
    coded.fields["height"] = image.height;
    coded.fields["bpp"] = 8.0 * double(coded.output.size()) / double(image.pixel_count());
    if (o.measure_psnr) {
      FACET_ASSIGN_OR_RETURN(Image decoded,
                             decompress_image(coded.output.data(), coded.output.size(), model, o.decompress));
      auto psnr = psnr_rgb(image, decoded);
      if (psnr.ok()) coded.fields["psnr"] = *psnr;
      else coded.fields["psnr_error"] = psnr.status().message();  // e.g. a 16-bit original
    }
  } else {
    FACET_ASSIGN_OR_RETURN(FctFile file, read_fct(input.data(), input.size()));
    FACET_RETURN_IF_ERROR(edit_factors(file, model.global_factors(), o.settings, o.drops));
    FACET_ASSIGN_OR_RETURN(Image image, decompress_fct(file, model, o.decompress));
    FACET_ASSIGN_OR_RETURN(coded.output, encode_png(image));
    coded.fields["width"] = image.width;
    coded.fields["height"] = image.height;
    coded.fields["bpp"] = 8.0 * double(input.size()) / double(image.pixel_count());
  }
  return coded;
}

}  // namespace

StatusOr<Shard> parse_shard(const std::string& text) {
  Shard s;
  char tail = 0;
  FACET_RETURN_ERROR_IF(std::sscanf(text.c_str(), "%d/%d%c", &s.index, &s.count, &tail) != 2 || s.count < 1 ||
                            s.count > 100000 || s.index < 1 || s.index > s.count,
                        kInvalidArgument, "--shard must be K/N with 1 <= K <= N (e.g. 3/8), not '" + text + "'");
  return s;
}

int shard_of(const std::string& relative_path, int count) {
  const uint64_t h = hash64(reinterpret_cast<const uint8_t*>(relative_path.data()), relative_path.size());
  return int(h % uint64_t(count)) + 1;
}

StatusOr<std::vector<std::string>> list_batch_inputs(const std::string& dir, BatchDirection direction) {
  std::vector<std::string> files;
  std::error_code ec;
  FACET_RETURN_ERROR_IF(!fs::is_directory(dir, ec), kIo, "'" + dir + "' is not a readable directory");
  fs::recursive_directory_iterator it(dir, fs::directory_options::follow_directory_symlink, ec), end;
  FACET_RETURN_ERROR_IF(ec, kIo, "cannot read directory '" + dir + "': " + ec.message());
  for (; it != end; it.increment(ec)) {
    FACET_RETURN_ERROR_IF(ec, kIo, "cannot read directory '" + dir + "': " + ec.message());
    const std::string name = it->path().filename().string();
    if (!name.empty() && name[0] == '.') {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    const std::string ext = it->path().extension().string();
    const bool wanted =
        direction == BatchDirection::kCompress ? is_image_extension(ext) : lower(ext) == ".fct";
    if (wanted) files.push_back(fs::relative(it->path(), dir, ec).generic_string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

StatusOr<BatchSummary> run_batch(const BatchOptions& o, CodecModel& model) {
  FACET_ASSIGN_OR_RETURN(std::vector<std::string> all, list_batch_inputs(o.input_dir, o.direction));
  BatchSummary summary;
  std::error_code ec;
  fs::create_directories(o.output_dir, ec);
  FACET_RETURN_ERROR_IF(!fs::is_directory(o.output_dir, ec), kIo,
                        "cannot create the output directory '" + o.output_dir + "'");
  summary.manifest = !o.manifest.empty() ? o.manifest
                     : o.shard.count == 1
                         ? (fs::path(o.output_dir) / "facet-manifest.jsonl").string()
                         : (fs::path(o.output_dir) / ("facet-manifest-" + std::to_string(o.shard.index) + "-of-" +
                                                      std::to_string(o.shard.count) + ".jsonl"))
                               .string();
  const std::map<std::string, DoneRecord> done = read_manifest(summary.manifest);
  std::FILE* manifest = std::fopen(summary.manifest.c_str(), "ab");
  FACET_RETURN_ERROR_IF(!manifest, kIo, "cannot write the manifest '" + summary.manifest + "'");
  const std::string settings = settings_of(o, model);

  // Two inputs that map to one output (photo.png and photo.jpg): the first in name order keeps it.
  std::map<std::string, std::string> owner;
  std::vector<std::string> mine;
  for (const auto& path : all) {
    owner.emplace(output_path_of(path, o.direction), path);
    if (shard_of(path, o.shard.count) == o.shard.index) mine.push_back(path);
  }
  summary.files = mine.size();
  Status write_status = ok_status();
  for (size_t i = 0; i < mine.size(); ++i) {
    const std::string& path = mine[i];
    if (o.progress) o.progress(i, mine.size(), path);
    const std::string relative_output = output_path_of(path, o.direction);
    const std::string output_file = (fs::path(o.output_dir) / relative_output).string();
    json entry = {{"path", path}, {"output", relative_output}};
    Status status = ok_status();
    auto input = read_file((fs::path(o.input_dir) / path).string());
    if (!input.ok()) {
      status = input.status();
    } else {
      const std::string input_checksum = checksum_text(*input);
      entry["input_bytes"] = input->size();
      entry["input_checksum"] = input_checksum;
      auto previous = done.find(path);
      if (previous != done.end() && still_valid(previous->second, settings, input_checksum, output_file)) {
        ++summary.skipped;
        continue;
      }
      if (owner.at(relative_output) != path) {
        status = make_error(ErrorCode::kInvalidArgument,
                            "its output '" + relative_output + "' is also that of '" + owner.at(relative_output) + "'");
      } else {
        auto coded = code_one(o, model, *input);
        if (!coded.ok()) {
          status = coded.status();
        } else {
          fs::create_directories(fs::path(output_file).parent_path(), ec);
          WriteOptions overwrite;
          overwrite.overwrite = true;
          status = write_file_atomic(output_file, coded->output, overwrite);
          if (status.ok()) {
            entry.update(coded->fields);
            entry["bytes"] = coded->output.size();
            entry["checksum"] = checksum_text(coded->output);
            summary.input_bytes += input->size();
            summary.output_bytes += coded->output.size();
          }
        }
      }
    }
    entry["settings"] = settings;
    if (status.ok()) {
      entry["status"] = "ok";
      ++summary.coded;
    } else {
      entry["status"] = "error";
      entry["error"] = std::string(error_code_name(status.code())) + ": " + status.message();
      ++summary.failed;
    }
    const std::string line = entry.dump() + "\n";
    if (std::fwrite(line.data(), 1, line.size(), manifest) != line.size() || std::fflush(manifest) != 0) {
      write_status = make_error(ErrorCode::kIo, "cannot write the manifest '" + summary.manifest + "'");
      break;
    }
  }
  if (o.progress) o.progress(mine.size(), mine.size(), "");
  if (std::fclose(manifest) != 0 && write_status.ok())
    write_status = make_error(ErrorCode::kIo, "cannot write the manifest '" + summary.manifest + "'");
  if (!write_status.ok()) return write_status;
  return summary;
}

}  // namespace facet
