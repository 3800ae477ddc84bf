// Tests of facet rd's stored-file variants on the golden sample file.
#include <catch2/catch.hpp>

#include "eval/variants.h"
#include "formats/container.h"
#include "test_support.h"

using namespace facet;

TEST_CASE("drop:structure:K removes the finest structure groups and keeps the rest", "[eval]") {
  const Bytes sample = test::read_source_file("corpus/sample.fct");  // structure.0, structure.1
  const RdVariant variant = make_variant("drop:structure:1").value();
  const Bytes dropped = variant.transform(sample).value();
  CHECK(dropped.size() < sample.size());
  const FctFile original = read_fct(sample.data(), sample.size()).value();
  const FctFile file = read_fct(dropped.data(), dropped.size()).value();
  CHECK(file.header.find("structure.1") < 0);
  REQUIRE(file.header.find("structure.0") >= 0);
  CHECK(file.streams[file.header.find("structure.0")] == original.streams[original.header.find("structure.0")]);
  CHECK(file.header.find("appearance") >= 0);
  CHECK(file.header.find("alpha") >= 0);

  const Bytes none = drop_finest_structure_groups(sample, 2).value();
  const FctFile bare = read_fct(none.data(), none.size()).value();
  CHECK(bare.header.find("structure.0") < 0);
  CHECK(drop_finest_structure_groups(sample, 3).status().code() == ErrorCode::kInvalidArgument);
}

TEST_CASE("Variant names: full, drop:structure:K, and clear errors", "[eval]") {
  CHECK_FALSE(make_variant("full").value().transform);
  CHECK(make_variant("drop:structure:0").status().code() == ErrorCode::kInvalidArgument);
  CHECK(make_variant("drop:structure:x").status().code() == ErrorCode::kInvalidArgument);
  auto unknown = make_variant("drop:chroma");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().message().find("known: full, drop:structure:K") != std::string::npos);
}
