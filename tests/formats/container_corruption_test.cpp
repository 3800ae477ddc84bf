// Every truncation and every single-byte corruption of the sample file: an error or an identical
// decode, never a crash (run under ASan/UBSan in the sanitizer build).
#include <catch2/catch.hpp>

#include "formats/sample_fct.h"

namespace facet {
namespace {

TEST_CASE("EveryTruncationOfTheSampleIsAnError", "[container][corruption]") {
  const Bytes file = test::make_sample_fct();
  for (size_t cut = 0; cut < file.size(); ++cut) {
    Bytes prefix(file.begin(), file.begin() + cut);
    auto decoded = test::decode_sample_fct(prefix.data(), prefix.size());
    INFO("cut at " << cut);
    REQUIRE_FALSE(decoded.ok());
    REQUIRE(decoded.status().code() == ErrorCode::kTruncated);
  }
}

TEST_CASE("EverySingleByteCorruptionIsDetectedOrHarmless", "[container][corruption]") {
  const Bytes file = test::make_sample_fct();
  auto reference = test::decode_sample_fct(file.data(), file.size());
  REQUIRE(reference.ok());
  size_t errors = 0, identical = 0;
  for (size_t pos = 0; pos < file.size(); ++pos) {
    for (int flip : {0x01, 0x80, 0xFF}) {
      Bytes damaged = file;
      damaged[pos] ^= uint8_t(flip);
      auto decoded = test::decode_sample_fct(damaged.data(), damaged.size());
      INFO("byte " << pos << " xor " << flip);
      if (decoded.ok()) {
        REQUIRE(*decoded == *reference);
        ++identical;
      } else {
        ++errors;
      }
    }
  }
  // Checksums cover every byte, so no corruption may go unnoticed.
  CHECK(identical == 0);
  CHECK(errors == 3 * file.size());
}

}  // namespace
}  // namespace facet
