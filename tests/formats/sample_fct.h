// A sample .fct file with one stream of every coder, standing in for a model's output in the
// container tests, the corruption sweeps, the fuzz seed corpus and corpus/sample.fct.
#pragma once

#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "entropy/quantized_cdf.h"
#include "formats/container.h"

namespace facet::test {

// The tables a sample file's rANS streams are coded with (a "model" for the sample).
struct SampleModel {
  CdfTableSet factorized;  // one table per hyper channel, plus one for the appearance scalars
  CdfTableSet gaussian;    // the default Gaussian scale tables
};
const SampleModel& sample_model();

// Everything a decode of the sample recovers; equal decodes compare equal.
struct SampleDecode {
  FctHeader header;
  std::vector<std::vector<int32_t>> symbols;  // per rANS stream, in factor order
  Bytes alpha;                                // raw alpha elements
  bool operator==(const SampleDecode& other) const {
    return symbols == other.symbols && alpha == other.alpha && header.width == other.header.width &&
           header.height == other.header.height && header.channels == other.header.channels;
  }
};

// A 40x24 RGBA sample: appearance (global), hyper, structure.0/1 (spatial), alpha (aux, zstd).
Bytes make_sample_fct();

// Container parse plus the decode of every stream (hyper first: it gives the structure indexes).
StatusOr<SampleDecode> decode_sample_fct(const uint8_t* data, size_t size);

}  // namespace facet::test
