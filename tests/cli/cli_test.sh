#!/usr/bin/env bash
# Golden CLI tests: exit codes, stdout and stderr of the facet command.
# Usage: cli_test.sh FACET_BINARY SOURCE_DIR
set -u
facet=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

# expect NAME EXIT_CODE PATTERN(stdout+stderr, extended regex) -- COMMAND...
expect() {
  local name=$1 want=$2 pattern=$3
  shift 4
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  if [[ $rc -ne $want ]]; then
    echo "FAIL $name: exit $rc, expected $want"; echo "$out" | head -5; failed=$((failed + 1)); return
  fi
  if [[ -n $pattern ]] && ! grep -Eq -- "$pattern" <<<"$out"; then
    echo "FAIL $name: output does not match /$pattern/"; echo "$out" | head -5; failed=$((failed + 1)); return
  fi
  echo "ok   $name"
  passed=$((passed + 1))
}

sample=$src/corpus/sample.fct

expect version 0 '^facet [0-9]+\.[0-9]+\.[0-9]+$' -- "$facet" --version
expect help 0 'Examples:' -- "$facet" --help
expect help-exit-codes 0 '2  usage error' -- "$facet" --help
expect no-command 2 'A subcommand is required|subcommand' -- "$facet"
expect unknown-command 2 '' -- "$facet" frobnicate
expect unknown-option 2 '' -- "$facet" inspect "$sample" --no-such-flag
expect inspect 0 'structure\.0 +spatial +rans-gaussian' -- "$facet" inspect "$sample"
expect inspect-json 0 '"format_version": 1' -- "$facet" inspect "$sample" --json
expect inspect-stdin 0 'alpha +aux +zstd' -- bash -c "\"$facet\" inspect - < \"$sample\""
expect inspect-missing 3 '^facet: error: io: cannot open' -- "$facet" inspect "$work/missing.fct"
expect inspect-directory 3 'is a directory' -- "$facet" inspect "$work"

# Golden failures: each damaged file gives its own error code and exit status 1.
head -c 100 "$sample" > "$work/truncated.fct"
expect inspect-truncated 1 'error: truncated:' -- "$facet" inspect "$work/truncated.fct"
printf 'not a facet file' > "$work/text.fct"
expect inspect-bad-magic 1 'error: bad-magic:' -- "$facet" inspect "$work/text.fct"
{ cat "$sample"; printf 'x'; } > "$work/trailing.fct"
expect inspect-trailing 1 'error: trailing-bytes:' -- "$facet" inspect "$work/trailing.fct"
cp "$sample" "$work/version.fct"; printf '\x02' | dd of="$work/version.fct" bs=1 seek=8 conv=notrunc status=none
expect inspect-version 1 'error: unsupported-version:' -- "$facet" inspect "$work/version.fct"
cp "$sample" "$work/header.fct"; printf '\x29' | dd of="$work/header.fct" bs=1 seek=24 conv=notrunc status=none
expect inspect-header-checksum 1 'error: checksum-mismatch: .*header' -- "$facet" inspect "$work/header.fct"
size=$(stat -c %s "$sample")
cp "$sample" "$work/stream.fct"; printf '\x00' | dd of="$work/stream.fct" bs=1 seek=$((size - 1)) conv=notrunc status=none
expect inspect-stream-checksum 1 "error: checksum-mismatch: .*'alpha'" -- "$facet" inspect "$work/stream.fct"

# The input is never modified.
before=$(sha256sum < "$sample")
"$facet" inspect "$sample" > /dev/null
expect input-unchanged 0 '' -- test "$before" = "$(sha256sum < "$sample")"

expect bench-entropy 0 'decode +[0-9.]+ M symbols/s' -- "$facet" bench entropy --symbols 20000 --repeats 1
expect bench-bad-args 2 'invalid-argument' -- "$facet" bench entropy --symbols 0

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
