// read_file limits and write_file_atomic's no-clobber and no-half-written-file guarantees.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "common/file_io.h"
#include "test_support.h"

namespace facet {
namespace {

namespace fs = std::filesystem;

TEST_CASE("WriteThenReadRoundtrip", "[file_io]") {
  const std::string dir = test::make_temp_dir();
  const std::string path = dir + "/out.bin";
  Bytes data = {1, 2, 3, 0, 255};
  REQUIRE(write_file_atomic(path, data).ok());
  CHECK(read_file(path).value() == data);
  // No temporary file is left behind.
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);
}

TEST_CASE("ExistingOutputIsKeptWithoutOverwrite", "[file_io]") {
  const std::string path = test::make_temp_dir() + "/out.bin";
  REQUIRE(write_file_atomic(path, Bytes{1}).ok());
  Status again = write_file_atomic(path, Bytes{2});
  CHECK(again.code() == ErrorCode::kInvalidArgument);
  CHECK(again.message().find("-f") != std::string::npos);
  CHECK(read_file(path).value() == Bytes{1});
  WriteOptions force;
  force.overwrite = true;
  REQUIRE(write_file_atomic(path, Bytes{2}, force).ok());
  CHECK(read_file(path).value() == Bytes{2});
}

TEST_CASE("ReadErrorsAreTyped", "[file_io]") {
  const std::string dir = test::make_temp_dir();
  CHECK(read_file(dir + "/missing").status().code() == ErrorCode::kIo);
  CHECK(read_file(dir).status().code() == ErrorCode::kIo);
  REQUIRE(write_file_atomic(dir + "/big", Bytes(100, 7)).ok());
  CHECK(read_file(dir + "/big", 99).status().code() == ErrorCode::kLimitExceeded);
  CHECK(read_file(dir + "/big", 100).ok());
}

TEST_CASE("WriteIntoMissingDirectoryFails", "[file_io]") {
  const std::string dir = test::make_temp_dir();
  CHECK(write_file_atomic(dir + "/no/such/dir/out", Bytes{1}).code() == ErrorCode::kIo);
  CHECK(write_file_atomic(dir, Bytes{1}).code() == ErrorCode::kInvalidArgument);  // a directory
}

}  // namespace
}  // namespace facet
