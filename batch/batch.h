// Batch compression of a collection: `facet compress DIR -o OUTDIR` and `facet decompress DIR -o
// OUTDIR`. Every file under DIR (recursively) is coded to the same relative path under OUTDIR with
// the other extension. A collection splits into N shards with no coordinator (--shard K/N: a file
// belongs to the shard its relative path hashes to, so a Slurm job array or a Kubernetes Indexed
// Job of N tasks covers it exactly once). Each shard appends one JSON line per file to its
// manifest; a rerun skips the files its manifest records as done whose output is still there and
// unchanged and whose input and settings are the same. A bad file is a manifest error, never the
// end of the run; outputs are written atomically, so an interrupted run leaves no partial file.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "codec/codec.h"
#include "common/status.h"

namespace facet {

struct Shard {
  int index = 1;  // K, 1-based
  int count = 1;  // N
};

// "K/N" with 1 <= K <= N <= 100000.
StatusOr<Shard> parse_shard(const std::string& text);

// The shard (1-based) a relative path (with '/' separators) belongs to among `count`.
int shard_of(const std::string& relative_path, int count);

enum class BatchDirection { kCompress, kDecompress };

struct BatchOptions {
  BatchDirection direction = BatchDirection::kCompress;
  std::string input_dir, output_dir;
  Shard shard;
  // JSON-lines manifest; empty: OUTDIR/facet-manifest.jsonl, or facet-manifest-K-of-N.jsonl for a shard.
  std::string manifest;
  bool measure_psnr = false;  // compress: decode each file again and record its PSNR-RGB
  CompressOptions compress;
  DecompressOptions decompress;
  std::map<std::string, FactorSetting> settings;  // decompress: edits before decoding
  std::set<std::string> drops;
  // Called before each file of the shard (done so far, the shard's total, relative path).
  std::function<void(size_t done, size_t total, const std::string& path)> progress;
};

struct BatchSummary {
  std::string manifest;
  size_t files = 0;    // in this shard
  size_t coded = 0;    // written by this run
  size_t skipped = 0;  // done and verified by an earlier run
  size_t failed = 0;   // recorded as errors
  uint64_t input_bytes = 0, output_bytes = 0;  // of the files coded by this run
};

// The input files of a direction under `dir`, as sorted relative paths: images (.png .jpg .jpeg
// .webp .bmp .tif .tiff .ppm .pgm .pnm, any case) to compress, .fct files to decompress. Hidden
// files and directories (a leading '.') are skipped; symbolic links are followed.
StatusOr<std::vector<std::string>> list_batch_inputs(const std::string& dir, BatchDirection direction);

// Runs the shard. Fails only when the run itself cannot go on (the input directory cannot be read,
// the output directory or the manifest cannot be written); a file that fails is counted in
// `failed` and recorded in the manifest with its error.
StatusOr<BatchSummary> run_batch(const BatchOptions& options, CodecModel& model);

}  // namespace facet
