// Short-message arithmetic coder: the big integer, exact round trips, the length bound, the
// bitstream rule against a 64-bit reference, canonicality and the decoder's totality.
#include "entropy/short_coder.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <set>

#include "entropy/bignum.h"
#include "test_support.h"

namespace facet {
namespace {

__extension__ typedef unsigned __int128 U128;

CdfTableSet make_tables(const std::vector<QuantizedCdf>& tables) {
  auto set = CdfTableSet::create(tables);
  REQUIRE(set.ok());
  return std::move(set).value();
}

QuantizedCdf table_from_freqs(const std::vector<uint32_t>& freqs, int32_t offset) {
  QuantizedCdf table;
  table.offset = offset;
  table.cdf.push_back(0);
  for (uint32_t f : freqs) table.cdf.push_back(table.cdf.back() + f);
  REQUIRE(validate_cdf(table).ok());
  return table;
}

// Tables of 1..300 coded symbols, some smooth, some very skewed (frequencies down to 1).
CdfTableSet random_tables(test::Rng& rng, int count) {
  std::vector<QuantizedCdf> tables;
  for (int t = 0; t < count; ++t) {
    const size_t n = 1 + rng.below(t % 3 == 0 ? 300 : 12);
    std::vector<double> pmf(n);
    const double power = t % 4 == 1 ? 12.0 : 4.0;
    for (auto& p : pmf) p = std::pow(rng.uniform(), power) + (rng.uniform() < 0.1 ? 0.0 : 1e-7);
    auto q = quantize_pmf(pmf, rng.uniform() < 0.5 ? 1e-4 : 1e-9,
                          int32_t(rng.below(41)) - 20 - int32_t(n / 2));
    REQUIRE(q.ok());
    tables.push_back(*q);
  }
  return make_tables(tables);
}

struct Message {
  std::vector<uint32_t> index;
  std::vector<int32_t> values;
};

Message random_message(test::Rng& rng, const CdfTableSet& tables, size_t n) {
  Message m;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t t = uint32_t(rng.below(tables.table_count()));
    const uint32_t* cdf = tables.cdf(t);
    const uint32_t coded = tables.symbol_count(t) - 1;
    // Half the time a uniformly chosen symbol, otherwise one drawn from the table itself.
    uint32_t s = uint32_t(rng.below(coded));
    if (rng.uniform() < 0.5) {
      const uint32_t slot = uint32_t(rng.below(cdf[coded]));
      s = 0;
      while (cdf[s + 1] <= slot) ++s;
    }
    m.index.push_back(t);
    m.values.push_back(tables.offset(t) + int32_t(s));
  }
  return m;
}

// R = prod f_i exactly.
BigUint interval_range(const CdfTableSet& tables, const Message& m) {
  BigUint range(1);
  for (size_t i = 0; i < m.values.size(); ++i) {
    const uint32_t* cdf = tables.cdf(m.index[i]);
    const int64_t s = int64_t{m.values[i]} - tables.offset(m.index[i]);
    range.mul_small(cdf[s + 1] - cdf[s]);
  }
  return range;
}

// The proven bound k <= ceil(I / 8) in exact integers: R * 2^{8(k-1)} < 2^N, i.e.
// bit_length(R) <= N - 8(k - 1).
bool within_exact_bound(const CdfTableSet& tables, const Message& m, size_t k) {
  if (k == 0) return true;
  const size_t total_bits = 16 * m.values.size();
  return interval_range(tables, m).bit_length() + 8 * (k - 1) <= total_bits;
}

// The bitstream rule computed independently with 64-bit integers (n <= 3, N <= 48 bits).
Bytes reference_encoding(const CdfTableSet& tables, const Message& m) {
  const size_t n = m.values.size();
  REQUIRE(n <= 3);
  uint64_t low = 0, range = 1;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t* cdf = tables.cdf(m.index[i]);
    const int64_t s = int64_t{m.values[i]} - tables.offset(m.index[i]);
    low = (low << 16) + cdf[s] * range;
    range *= cdf[s + 1] - cdf[s];
  }
  const size_t total_bits = 16 * n;
  for (size_t k = 0; k <= 2 * n; ++k) {
    const uint64_t step = uint64_t{1} << (total_bits - 8 * k);
    const uint64_t first = (low + step - 1) / step * step;  // smallest multiple >= low
    if (first < low + range) {
      Bytes out(k);
      const uint64_t b = first / step;
      for (size_t j = 0; j < k; ++j) out[j] = uint8_t(b >> (8 * (k - 1 - j)));
      return out;
    }
  }
  FAIL("no multiple found");
  return {};
}

Bytes encode(const CdfTableSet& tables, const Message& m) {
  auto bytes = encode_short_message(tables, m.index, m.values);
  INFO(bytes.status().to_string());
  REQUIRE(bytes.ok());
  return *bytes;
}

StatusOr<std::vector<int32_t>> decode(const CdfTableSet& tables, const std::vector<uint32_t>& index,
                                      const Bytes& bytes) {
  return decode_short_message(tables, index, bytes.data(), bytes.size());
}

// A decode of arbitrary bytes: either an error, or values whose encoding is exactly these bytes.
// Returns whether it was accepted.
bool decode_is_canonical_or_fails(const CdfTableSet& tables, const std::vector<uint32_t>& index,
                                  const Bytes& bytes) {
  auto values = decode(tables, index, bytes);
  if (!values.ok()) {
    const ErrorCode code = values.status().code();
    CHECK(code == ErrorCode::kCorrupt);
    return false;
  }
  auto again = encode_short_message(tables, index, *values);
  REQUIRE(again.ok());
  REQUIRE(*again == bytes);
  return true;
}

// The 1 + 256 + 65536 byte strings of length 0, 1 and 2.
std::vector<Bytes> all_strings_up_to_two_bytes() {
  std::vector<Bytes> all = {Bytes{}};
  for (uint32_t v = 0; v < 256; ++v) all.push_back(Bytes{uint8_t(v)});
  for (uint32_t v = 0; v < 65536; ++v) all.push_back(Bytes{uint8_t(v >> 8), uint8_t(v)});
  return all;
}

// ---- BigUint ----

BigUint from_u128(U128 v) {
  uint8_t bytes[16];
  for (int i = 0; i < 16; ++i) bytes[i] = uint8_t(v >> (8 * (15 - i)));
  return BigUint::from_bytes_be(bytes, 16);
}

U128 to_u128(const BigUint& x) {
  REQUIRE(x.limbs().size() <= 4);
  U128 v = 0;
  for (size_t i = x.limbs().size(); i-- > 0;) v = (v << 32) | x.limbs()[i];
  return v;
}

BigUint random_big(test::Rng& rng, size_t max_bytes) {
  Bytes bytes(rng.below(max_bytes + 1));
  for (auto& b : bytes) b = uint8_t(rng.next());
  return BigUint::from_bytes_be(bytes.data(), bytes.size());
}

TEST_CASE("BigUintMatches128BitArithmetic", "[short_coder][bignum]") {
  test::Rng rng(1);
  auto random_u64 = [&]() -> uint64_t {
    const int bits = int(rng.below(65));
    return bits == 0 ? 0 : rng.next() >> (64 - bits);
  };
  for (int trial = 0; trial < 20000; ++trial) {
    const uint64_t a = random_u64(), b = random_u64();
    const uint32_t m = uint32_t(random_u64());
    const BigUint x(a), y(b);
    CHECK(x.limbs().size() == (a == 0 ? 0u : a >> 32 == 0 ? 1u : 2u));  // normalized
    CHECK(x.bit_length() == size_t(a == 0 ? 0 : 64 - __builtin_clzll(a)));
    CHECK(BigUint::compare(x, y) == (a < b ? -1 : a > b ? 1 : 0));
    CHECK(BigUint::highest_differing_bit(x, y) == (a == b ? -1 : 63 - __builtin_clzll(a ^ b)));

    BigUint sum = x;
    sum.add(y);
    CHECK(to_u128(sum) == U128(a) + b);
    BigUint sum_small = x;
    sum_small.add_small(m);
    CHECK(to_u128(sum_small) == U128(a) + m);
    BigUint product = x;
    product.mul_small(m);
    CHECK(to_u128(product) == U128(a) * m);
    BigUint difference = a >= b ? x : y;
    difference.sub(a >= b ? y : x);
    CHECK(to_u128(difference) == (a >= b ? U128(a - b) : U128(b - a)));
    if (a >= m) {
      BigUint small_difference = x;
      small_difference.sub_small(m);
      CHECK(to_u128(small_difference) == U128(a - m));
    }

    const size_t shift = rng.below(64);
    BigUint left = x;
    left.shift_left(shift);
    CHECK(to_u128(left) == U128(a) << shift);
    BigUint right = x;
    right.shift_right(shift);
    CHECK(to_u128(right) == U128(a >> shift));
    const U128 wide = (U128(a) << 64) | b;
    CHECK(from_u128(wide).bits_at(shift) == uint64_t(wide >> shift));
    CHECK(from_u128(wide).bits_at(64 + shift) == uint64_t(wide >> (64 + shift)));
    CHECK(from_u128(wide).bits_at(200) == 0);
    CHECK(to_u128(from_u128(wide)) == wide);

    const Bytes bytes = x.to_bytes_be(8);
    uint64_t back = 0;
    for (uint8_t byte : bytes) back = back << 8 | byte;
    CHECK(back == a);
    CHECK(BigUint::from_bytes_be(bytes.data(), bytes.size()) == x);
  }
}

TEST_CASE("BigUintLargeNumberIdentities", "[short_coder][bignum]") {
  test::Rng rng(2);
  for (int trial = 0; trial < 2000; ++trial) {
    const BigUint x = random_big(rng, 300), y = random_big(rng, 300);
    // (x + y) - y == x, and the comparisons agree with the subtraction.
    BigUint sum = x;
    sum.add(y);
    CHECK(BigUint::compare(sum, x) >= 0);
    sum.sub(y);
    CHECK(sum == x);
    // Shifts: (x << k) >> k == x; x << k == x * 2^k for k < 32; x >> k drops the low bits.
    const size_t k = rng.below(400);
    BigUint shifted = x;
    shifted.shift_left(k);
    CHECK(shifted.bit_length() == (x.is_zero() ? 0 : x.bit_length() + k));
    shifted.shift_right(k);
    CHECK(shifted == x);
    BigUint doubled = x;
    doubled.mul_small(uint32_t{1} << (k % 32));
    BigUint shifted_small = x;
    shifted_small.shift_left(k % 32);
    CHECK(doubled == shifted_small);
    // x * (m1 + m2) == x * m1 + x * m2.
    const uint32_t m1 = uint32_t(rng.next()) >> 1, m2 = uint32_t(rng.next()) >> 1;
    BigUint whole = x, part1 = x, part2 = x;
    whole.mul_small(m1 + m2);
    part1.mul_small(m1);
    part2.mul_small(m2);
    part1.add(part2);
    CHECK(whole == part1);
    // Bytes round trip and the highest differing bit of x and x + 2^j.
    const size_t length = (x.bit_length() + 7) / 8;
    const Bytes bytes = x.to_bytes_be(length);
    CHECK(BigUint::from_bytes_be(bytes.data(), bytes.size()) == x);
    BigUint bumped(1);
    const size_t j = rng.below(300);
    bumped.shift_left(j);
    BigUint moved = x;
    moved.add(bumped);
    CHECK(BigUint::highest_differing_bit(x, moved) >= int64_t(j));
    CHECK(BigUint::highest_differing_bit(x, x) == -1);
    CHECK(moved.bits_at(0) == x.bits_at(0) + (j < 64 ? uint64_t{1} << j : 0));
  }
  // Carries and borrows across many limbs.
  BigUint ones = BigUint::from_bytes_be(Bytes(64, 0xff).data(), 64);  // 2^512 - 1
  BigUint next = ones;
  next.add_small(1);
  BigUint power(1);
  power.shift_left(512);
  CHECK(next == power);
  next.sub_small(1);
  CHECK(next == ones);
  CHECK(power.limbs().size() == 17);
  CHECK(ones.limbs().size() == 16);
  BigUint zero = ones;
  zero.sub(ones);
  CHECK(zero.is_zero());
  CHECK(zero.bit_length() == 0);
  zero.shift_left(100);
  CHECK(zero.is_zero());
  zero.mul_small(7);
  CHECK(zero.is_zero());
  ones.mul_small(0);
  CHECK(ones.is_zero());
  CHECK(BigUint::from_bytes_be(nullptr, 0).is_zero());
  CHECK(BigUint(0).to_bytes_be(3) == Bytes{0, 0, 0});
  CHECK(BigUint(0x1234).to_bytes_be(0).empty());
}

// ---- The coder ----

TEST_CASE("EmptyMessageIsEmpty", "[short_coder]") {
  auto tables = make_tables({*quantize_pmf({0.5, 0.5}, 0.01, 0)});
  auto bytes = encode_short_message(tables, {}, {});
  REQUIRE(bytes.ok());
  CHECK(bytes->empty());
  auto values = decode_short_message(tables, {}, nullptr, 0);
  REQUIRE(values.ok());
  CHECK(values->empty());
  CHECK(ideal_bits(tables, {}, {}) == 0.0);
  CHECK(decode(tables, {}, Bytes{1}).status().code() == ErrorCode::kCorrupt);
}

TEST_CASE("FirstSymbolsGiveEmptyOutput", "[short_coder]") {
  // L = 0 exactly when every symbol is its table's first (c = 0): the empty string points at 0.
  test::Rng rng(3);
  auto tables = random_tables(rng, 6);
  for (size_t n : {1, 2, 7, 100}) {
    Message m;
    for (size_t i = 0; i < n; ++i) {
      m.index.push_back(uint32_t(i % 6));
      m.values.push_back(tables.offset(m.index.back()));
    }
    CHECK(encode(tables, m).empty());
    auto values = decode(tables, m.index, Bytes{});
    REQUIRE(values.ok());
    CHECK(*values == m.values);
    // A message with any symbol past its table's first needs at least one byte.
    if (tables.symbol_count(m.index.back()) >= 3) {
      m.values.back() += 1;
      CHECK(!encode(tables, m).empty());
    }
  }
}

TEST_CASE("SingleSymbolExhaustive", "[short_coder]") {
  // n = 1: every value of every table matches the reference rule, and the accepted strings of
  // up to 2 bytes are exactly the encodings of the table's values, one each.
  test::Rng rng(4);
  auto tables = random_tables(rng, 5);
  for (uint32_t t = 0; t < tables.table_count(); ++t) {
    const uint32_t coded = tables.symbol_count(t) - 1;
    std::map<Bytes, int32_t> encodings;
    for (uint32_t s = 0; s < coded; ++s) {
      const Message m{{t}, {tables.offset(t) + int32_t(s)}};
      const Bytes bytes = encode(tables, m);
      CHECK(bytes == reference_encoding(tables, m));
      CHECK(within_exact_bound(tables, m, bytes.size()));
      encodings[bytes] = m.values[0];
    }
    REQUIRE(encodings.size() == coded);
    size_t accepted = 0;
    for (const Bytes& bytes : all_strings_up_to_two_bytes()) {
      auto values = decode(tables, {t}, bytes);
      auto it = encodings.find(bytes);
      if (it == encodings.end()) {
        REQUIRE_FALSE(values.ok());
        CHECK(values.status().code() == ErrorCode::kCorrupt);
      } else {
        REQUIRE(values.ok());
        CHECK(*values == std::vector<int32_t>{it->second});
        ++accepted;
      }
    }
    CHECK(accepted == coded);
  }
}

TEST_CASE("MatchesReferenceRuleUpToThreeSymbols", "[short_coder]") {
  test::Rng rng(5);
  for (int trial = 0; trial < 300; ++trial) {
    auto tables = random_tables(rng, 1 + int(rng.below(6)));
    for (int k = 0; k < 20; ++k) {
      const Message m = random_message(rng, tables, 1 + rng.below(3));
      const Bytes bytes = encode(tables, m);
      REQUIRE(bytes == reference_encoding(tables, m));
      auto values = decode(tables, m.index, bytes);
      REQUIRE(values.ok());
      REQUIRE(*values == m.values);
    }
  }
}

TEST_CASE("RandomMessagesRoundTripWithinBound", "[short_coder]") {
  // Proven bound: k <= ceil(I / 8) bytes (I = ideal bits); tested exactly with integers and,
  // with a margin, as the looser ceil((I + 2) / 8).
  test::Rng rng(6);
  double total_ideal = 0.0, total_bytes = 0.0;
  for (int trial = 0; trial < 200; ++trial) {
    auto tables = random_tables(rng, 1 + int(rng.below(20)));
    for (int k = 0; k < 20; ++k) {
      const size_t n = k % 10 == 9 ? rng.below(200) : rng.below(13);
      const Message m = random_message(rng, tables, n);
      const Bytes bytes = encode(tables, m);
      const double ideal = ideal_bits(tables, m.index, m.values);
      REQUIRE(std::isfinite(ideal));
      INFO("n=" << n << " ideal=" << ideal << " bytes=" << bytes.size());
      REQUIRE(within_exact_bound(tables, m, bytes.size()));
      REQUIRE(double(bytes.size()) <= std::ceil((ideal + 2.0) / 8.0));
      REQUIRE(8.0 * double(bytes.size()) < ideal + 8.0 + 1e-9);
      REQUIRE(bytes.size() <= 2 * n);
      if (!bytes.empty()) REQUIRE(bytes.back() != 0);
      auto values = decode(tables, m.index, bytes);
      INFO(values.status().to_string());
      REQUIRE(values.ok());
      REQUIRE(*values == m.values);
      total_ideal += ideal;
      total_bytes += double(bytes.size());
    }
  }
  // On average the overhead is about half a byte per message.
  CHECK(total_bytes * 8.0 < total_ideal + 8.0 * 200 * 20);
}

TEST_CASE("SkewedTables", "[short_coder]") {
  // Frequencies 65533 / 1 / 1 / 1 (escape): the likely symbol costs ~0.00007 bits, the rare ones
  // 16 bits each.
  auto tables =
      make_tables({table_from_freqs({65533, 1, 1, 1}, 0), table_from_freqs({1, 65534, 1}, -5),
                   *quantize_pmf({0.999, 0.001}, 1e-9, 0)});
  test::Rng rng(7);
  for (int trial = 0; trial < 2000; ++trial) {
    Message m;
    const size_t n = rng.below(12);
    for (size_t i = 0; i < n; ++i) {
      const uint32_t t = uint32_t(rng.below(3));
      const uint32_t coded = tables.symbol_count(t) - 1;
      const bool rare = rng.uniform() < 0.2;
      const uint32_t likely = t == 1 ? 1 : 0;
      m.index.push_back(t);
      m.values.push_back(tables.offset(t) + int32_t(rare ? rng.below(coded) : likely));
    }
    const Bytes bytes = encode(tables, m);
    REQUIRE(within_exact_bound(tables, m, bytes.size()));
    auto values = decode(tables, m.index, bytes);
    REQUIRE(values.ok());
    REQUIRE(*values == m.values);
  }
  // Ten likely symbols of table 0 are the empty string; ten of table 1 fit in one byte
  // (I = 10 * 16 - 10 * log2(65534) ~ 0.0004 bits: [L, L + R) is nearly all of [2^-16, 1 - 2^-16),
  // so 0x01 points into it).
  const Message likely0{std::vector<uint32_t>(10, 0), std::vector<int32_t>(10, 0)};
  CHECK(encode(tables, likely0).empty());
  const Message likely1{std::vector<uint32_t>(10, 1), std::vector<int32_t>(10, -4)};
  CHECK(encode(tables, likely1) == Bytes{0x01});
  // Ten 1-in-65536 symbols cost exactly 160 bits = 20 bytes.
  const Message rare{std::vector<uint32_t>(10, 0), std::vector<int32_t>(10, 2)};
  CHECK(ideal_bits(tables, rare.index, rare.values) == 160.0);
  CHECK(encode(tables, rare).size() == 20);
}

TEST_CASE("LargestTableAndLongestMessage", "[short_coder]") {
  // 8192 symbols (the limit), every frequency 8: each symbol is exactly 13 bits.
  auto tables = make_tables({table_from_freqs(std::vector<uint32_t>(kMaxCdfSymbols, 8), -4000),
                             table_from_freqs({65526, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 0)});
  test::Rng rng(8);
  Message m;
  for (size_t i = 0; i < kMaxShortMessageSymbols; ++i) {
    m.index.push_back(uint32_t(i % 2));
    m.values.push_back(i % 2 == 0 ? -4000 + int32_t(rng.below(8191)) : int32_t(rng.below(10)));
  }
  const Bytes bytes = encode(tables, m);
  CHECK(within_exact_bound(tables, m, bytes.size()));
  auto values = decode(tables, m.index, bytes);
  REQUIRE(values.ok());
  CHECK(*values == m.values);

  // The longest possible output: 4096 symbols of frequency 1 need all 2n = 8192 bytes.
  Message worst{std::vector<uint32_t>(kMaxShortMessageSymbols, 1),
                std::vector<int32_t>(kMaxShortMessageSymbols, 9)};
  const Bytes longest = encode(tables, worst);
  CHECK(longest.size() == 2 * kMaxShortMessageSymbols);
  auto decoded = decode(tables, worst.index, longest);
  REQUIRE(decoded.ok());
  CHECK(*decoded == worst.values);

  // One symbol more is over the limit, for both sides.
  worst.index.push_back(1);
  worst.values.push_back(9);
  CHECK(encode_short_message(tables, worst.index, worst.values).status().code() ==
        ErrorCode::kLimitExceeded);
  CHECK(decode(tables, worst.index, longest).status().code() == ErrorCode::kLimitExceeded);
}

TEST_CASE("TruncatedExtendedAndDamagedInputsDecodeOrFailCleanly", "[short_coder]") {
  test::Rng rng(9);
  size_t accepted_variants = 0;
  for (int trial = 0; trial < 300; ++trial) {
    auto tables = random_tables(rng, 1 + int(rng.below(8)));
    const Message m = random_message(rng, tables, rng.below(trial % 10 == 0 ? 300 : 12));
    const Bytes bytes = encode(tables, m);
    // Every truncation, with and without a random last byte appended.
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
      Bytes prefix(bytes.begin(), bytes.begin() + cut);
      accepted_variants += decode_is_canonical_or_fails(tables, m.index, prefix);
      prefix.push_back(uint8_t(rng.next()));
      accepted_variants += decode_is_canonical_or_fails(tables, m.index, prefix);
    }
    // Extensions: a zero byte (never canonical) and random bytes.
    Bytes longer = bytes;
    longer.push_back(0);
    auto with_zero = decode(tables, m.index, longer);
    CHECK(with_zero.status().code() == ErrorCode::kCorrupt);
    for (int extra = 1; extra <= 3; ++extra) {
      longer = bytes;
      for (int e = 0; e < extra; ++e) longer.push_back(uint8_t(rng.next()));
      accepted_variants += decode_is_canonical_or_fails(tables, m.index, longer);
    }
    // Single-byte damage: any accepted result is a different message (encodings are unique).
    for (size_t pos = 0; pos < bytes.size(); ++pos) {
      Bytes damaged = bytes;
      damaged[pos] ^= uint8_t(1 + rng.below(255));
      if (decode_is_canonical_or_fails(tables, m.index, damaged)) {
        ++accepted_variants;
        CHECK(*decode(tables, m.index, damaged) != m.values);
      }
    }
  }
  CHECK(accepted_variants > 0);  // the accepting path was exercised too
}

TEST_CASE("RandomBytesDecodeOrFailCleanly", "[short_coder]") {
  test::Rng rng(10);
  size_t accepted = 0, total = 0;
  for (int trial = 0; trial < 300; ++trial) {
    auto tables = random_tables(rng, 1 + int(rng.below(8)));
    const Message m = random_message(rng, tables, rng.below(9));
    for (int k = 0; k < 100; ++k) {
      Bytes bytes(rng.below(2 * m.values.size() + 4));
      for (auto& b : bytes) b = uint8_t(rng.next());
      accepted += decode_is_canonical_or_fails(tables, m.index, bytes);
      ++total;
    }
  }
  CHECK(accepted > 0);
  CHECK(accepted < total);
}

TEST_CASE("ShortStringsAreUniqueEncodings", "[short_coder]") {
  // n = 2 and 3: among all strings of up to 2 bytes, no two accepted ones give the same message.
  test::Rng rng(11);
  for (size_t n : {2, 3}) {
    auto tables = random_tables(rng, 3);
    const Message shape = random_message(rng, tables, n);
    std::set<std::vector<int32_t>> seen;
    for (const Bytes& bytes : all_strings_up_to_two_bytes()) {
      if (decode_is_canonical_or_fails(tables, shape.index, bytes)) {
        REQUIRE(seen.insert(*decode(tables, shape.index, bytes)).second);
      }
    }
    CHECK(!seen.empty());
  }
}

TEST_CASE("DecoderRejectsNonCanonicalStrings", "[short_coder]") {
  // Table: value 0 is [0, 32768), value 1 is [32768, 49152), the escape is [49152, 65536).
  auto tables = make_tables({table_from_freqs({32768, 16384, 16384}, 0)});
  const std::vector<uint32_t> one = {0};
  CHECK(encode(tables, {one, {0}}).empty());
  CHECK(encode(tables, {one, {1}}) == Bytes{0x80});
  // 0x01 and 0x7f also point into value 0's interval, 0x81 and 0xbf into value 1's.
  for (const Bytes& bytes :
       {Bytes{0x01}, Bytes{0x7f}, Bytes{0x81}, Bytes{0xbf}, Bytes{0x80, 0x01}, Bytes{0x00, 0x01}}) {
    CHECK(decode(tables, one, bytes).status().code() == ErrorCode::kCorrupt);
  }
  // A trailing zero byte, or more than 2n bytes.
  CHECK(decode(tables, one, Bytes{0x80, 0x00}).status().code() == ErrorCode::kCorrupt);
  CHECK(decode(tables, one, Bytes{0x80, 0x01, 0x01}).status().code() == ErrorCode::kCorrupt);
  // The escape's interval: 0xc0 would be the encoder's choice, but the escape is never coded.
  CHECK(decode(tables, one, Bytes{0xc0}).status().code() == ErrorCode::kCorrupt);
  CHECK(decode(tables, one, Bytes{0xff, 0xff}).status().code() == ErrorCode::kCorrupt);
}

TEST_CASE("BadArgumentsAreRejected", "[short_coder]") {
  auto tables = make_tables({*quantize_pmf({0.25, 0.5, 0.25}, 1e-3, -1)});  // values -1, 0, 1
  auto code_of = [&](std::vector<uint32_t> index, std::vector<int32_t> values) {
    return encode_short_message(tables, index, values).status().code();
  };
  CHECK(code_of({0}, {-1}) == ErrorCode::kOk);
  CHECK(code_of({0}, {1}) == ErrorCode::kOk);
  for (int32_t bad : {-2, 2 /* the escape's slot */, 3, INT32_MIN, INT32_MAX}) {
    CHECK(code_of({0}, {bad}) == ErrorCode::kInvalidArgument);
    CHECK(std::isinf(ideal_bits(tables, {0}, {bad})));
  }
  CHECK(code_of({1}, {0}) == ErrorCode::kInvalidArgument);     // no table 1
  CHECK(code_of({0, 0}, {0}) == ErrorCode::kInvalidArgument);  // sizes differ
  CHECK(std::isinf(ideal_bits(tables, {1}, {0})));
  CHECK(std::isinf(ideal_bits(tables, {0, 0}, {0})));
  CHECK(ideal_bits(tables, {0, 0}, {0, 0}) == Approx(2.0).margin(0.01));

  const Bytes some = {0x40};
  CHECK(decode(tables, {1}, some).status().code() == ErrorCode::kInvalidArgument);
  CHECK(decode_short_message(tables, {0}, nullptr, 1).status().code() ==
        ErrorCode::kInvalidArgument);
  CHECK(decode(tables, std::vector<uint32_t>(kMaxShortMessageSymbols + 1, 0), Bytes{})
            .status()
            .code() == ErrorCode::kLimitExceeded);
}

}  // namespace
}  // namespace facet
