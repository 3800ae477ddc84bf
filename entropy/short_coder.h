// Exact arithmetic coder for very short messages (a handful of symbols), within a byte of ideal.
//
// rANS flushes a 64-bit state, which costs more than a whole sprite message (~5-10 symbols,
// ~30 bits). This coder computes the message's interval exactly with big integers and writes the
// shortest byte string that points into it.
//
// Bitstream (the decoder is given n, each symbol's table, the tables and the exact byte length):
//
//   Symbols. Symbol i is coded with table t_i = table_index[i]. Its index s_i = values[i] -
//   offset(t_i) must satisfy 0 <= s_i < symbol_count(t_i) - 1: the table's last symbol (the
//   escape of the rANS coder) is never coded, and values outside the table are an error. Let
//   c_i = cdf_{t_i}[s_i] and f_i = cdf_{t_i}[s_i + 1] - c_i (both out of 2^16, f_i >= 1).
//
//   Interval. With N = 16 n, the message is the integer interval [L, L + R) of [0, 2^N):
//     L_0 = 0, R_0 = 1;  L_{i+1} = 2^16 L_i + c_i R_i;  R_{i+1} = f_i R_i;  L = L_n, R = R_n,
//   i.e. L = sum_i c_i (prod_{j<i} f_j) 2^{16 (n-1-i)} and R = prod_i f_i; L + R <= 2^N.
//   The intervals of all n-symbol messages (same tables) are disjoint and tile [0, 2^N).
//
//   Bytes. k bytes B_0 .. B_{k-1} stand for the value V = sum_j B_j 2^{N - 8 (j+1)} (the bytes
//   are the big-endian fraction 0.B_0 B_1 ..., with every byte past the k-th taken as zero).
//   The encoder writes the smallest k >= 0 for which [L, L + R) contains a multiple of
//   2^{N - 8k}, and for that k the smallest such multiple (so V = that multiple). Equivalently,
//   for L >= 1: let t be the highest bit in which L - 1 and L + R - 1 differ, s = 8 floor(t/8);
//   then k = (N - s) / 8 and B = floor((L - 1) / 2^s) + 1 written as k big-endian bytes.
//   Consequences:
//   - k = 0 (empty output) exactly when L = 0, i.e. every symbol is the first of its table
//     (values[i] == offset(t_i)); this includes n = 0.
//   - For k >= 1 the last byte is non-zero (otherwise a shorter string would point into the
//     interval), and 0 <= k <= 2n.
//   - Length bound: k <= ceil(I / 8), where I = N - log2 R = sum_i -log2(f_i / 2^16) is the
//     ideal code length in bits; so 8k < I + 8. Proof: m = 8 ceil(I/8) is a multiple of 8 with
//     I <= m <= N (I <= N since R >= 1, and N is a multiple of 8), so 2^{N-m} is an integer
//     <= 2^{N-I} = R, and R consecutive integers always contain a multiple of it.
//   - The output is not self-delimiting: the container must store its exact length.
//
//   Decoding. V determines the message: symbol i is the s with c(s) <= q_i < c(s + 1), where
//   q_i = floor((V - L_i 2^{16(n-i)}) / (R_i 2^{16(n-1-i)})), all in exact integers. A byte
//   string is accepted only if k <= 2n, no decoded symbol is an escape, and it equals the
//   encoder's output for the decoded message; everything else is kCorrupt. So the accepted
//   strings and the messages are in one-to-one correspondence (canonical: every message has
//   exactly one encoding, and encode(decode(B)) == B for every accepted B).
//
// Integer-only and deterministic. Cost is O(n^2) limb operations (the interval has ~16 n bits).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "entropy/quantized_cdf.h"

namespace facet {

// Largest number of symbols in one short message (the interval then has 65536 bits).
constexpr size_t kMaxShortMessageSymbols = 4096;

// Codes values[i] with table table_index[i] of `tables` (see the bitstream above).
// Errors: kLimitExceeded for more than kMaxShortMessageSymbols symbols; kInvalidArgument for
// sizes that differ, a table index outside `tables`, or a value outside its table (the caller
// clamps: the escape symbol is not available here).
StatusOr<Bytes> encode_short_message(const CdfTableSet& tables,
                                     const std::vector<uint32_t>& table_index,
                                     const std::vector<int32_t>& values);

// Decodes table_index.size() values from exactly data[0..size). Total: any bytes either decode
// to the unique message whose encoding they are, or fail with kCorrupt; it reads nothing
// outside the buffer and runs in O(n^2) time. kLimitExceeded / kInvalidArgument as above for
// the table indexes (and for a null `data` with a non-zero size).
StatusOr<std::vector<int32_t>> decode_short_message(const CdfTableSet& tables,
                                                    const std::vector<uint32_t>& table_index,
                                                    const uint8_t* data, size_t size);

// sum_i -log2(f_i / 65536): the ideal code length in bits of the message, for reports (floating
// point; not used by the coder). +infinity when the message cannot be coded (sizes differ, a
// bad table index or a value outside its table).
double ideal_bits(const CdfTableSet& tables, const std::vector<uint32_t>& table_index,
                  const std::vector<int32_t>& values);

}  // namespace facet
