// Status / StatusOr and the error macros.
#include <catch2/catch.hpp>

#include <set>

#include "common/status.h"

namespace facet {
namespace {

StatusOr<int> parse_digit(char c) {
  FACET_RETURN_ERROR_IF(c < '0' || c > '9', kInvalidArgument, std::string("not a digit: ") + c);
  return c - '0';
}

StatusOr<int> sum_digits(const std::string& s) {
  int sum = 0;
  for (char c : s) {
    FACET_ASSIGN_OR_RETURN(int d, parse_digit(c));
    sum += d;
  }
  return sum;
}

Status check_even(int v) {
  FACET_RETURN_ERROR_IF(v % 2 != 0, kCorrupt, "odd");
  return ok_status();
}

Status sum_is_even(const std::string& s) {
  FACET_ASSIGN_OR_RETURN(int sum, sum_digits(s));
  FACET_RETURN_IF_ERROR(check_even(sum));
  return ok_status();
}

TEST_CASE("StatusOrCarriesValueOrError", "[status]") {
  CHECK(sum_digits("123").value() == 6);
  auto bad = sum_digits("1x3");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == ErrorCode::kInvalidArgument);
  CHECK(bad.status().message() == "not a digit: x");
  CHECK(bad.status().to_string() == "invalid-argument: not a digit: x");
}

TEST_CASE("MacrosPropagateTheFirstError", "[status]") {
  CHECK(sum_is_even("22").ok());
  CHECK(sum_is_even("21").code() == ErrorCode::kCorrupt);
  CHECK(sum_is_even("2y").code() == ErrorCode::kInvalidArgument);
}

TEST_CASE("WithContextKeepsTheCode", "[status]") {
  Status s = make_error(ErrorCode::kTruncated, "ends early");
  Status c = s.with_context("file.fct");
  CHECK(c.code() == ErrorCode::kTruncated);
  CHECK(c.message() == "file.fct: ends early");
  CHECK(ok_status().with_context("x").ok());
}

TEST_CASE("EveryCodeHasADistinctName", "[status]") {
  std::set<std::string> names;
  for (int c = 0; c <= int(ErrorCode::kInternal); ++c) names.insert(error_code_name(ErrorCode(c)));
  CHECK(names.size() == size_t(ErrorCode::kInternal) + 1);
}

}  // namespace
}  // namespace facet
