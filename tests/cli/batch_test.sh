#!/usr/bin/env bash
# Batch compression of a directory (facet compress DIR / facet decompress DIR, batch/batch.h): the
# shards of a collection together write every file exactly once, byte for byte as an unsharded
# run; a rerun codes only what is missing; a bad file is a manifest error and a non-zero exit with
# no partial output. These are the commands README's Slurm and Kubernetes examples run.
# Usage: batch_test.sh FACET_BINARY SOURCE_DIR   (needs /usr/bin/python3 with PIL for the images)
set -u
facet=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
check() {  # check NAME COMMAND...: passes when the command succeeds
  local name=$1
  shift
  if "$@"; then echo "ok   $name"; passed=$((passed + 1)); else echo "FAIL $name"; failed=$((failed + 1)); fi
}
model=(--model "$src/models/facet-photo.safetensors.zst" --threads 1 -q 40)

# A small collection: 12 crops of the corpus photo in two levels, a JPEG, a damaged file, a hidden
# folder (skipped) and a file that is not an image (ignored).
mkdir -p "$work/in/a/b" "$work/in/.cache"
/usr/bin/python3 - "$src/corpus/kodim23-crop.png" "$work/in" <<'PY'
import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert("RGB")
for i in range(12):
    sub = ["", "a/", "a/b/"][i % 3]
    im.crop((i * 17, i * 9, i * 17 + 80, i * 9 + 48)).save(f"{sys.argv[2]}/{sub}img{i:02d}.png")
im.crop((0, 0, 64, 64)).save(f"{sys.argv[2]}/a/photo.jpg", quality=90)
PY
printf 'not a png' > "$work/in/a/damaged.png"
cp "$work/in/img00.png" "$work/in/.cache/skip.png"
echo notes > "$work/in/notes.txt"
inputs_before=$(cd "$work/in" && find . -type f -exec sha256sum {} + | sort)

"$facet" compress "$work/in" -o "$work/all" "${model[@]}" --psnr > "$work/all.log" 2>&1
check unsharded-exit-1-for-the-damaged-file test $? -eq 1
check summary grep -q "14 files: 13 coded, 0 skipped (done before), 1 failed" "$work/all.log"
check damaged-in-manifest grep -q '"path":"a/damaged.png".*"status":"error"' "$work/all/facet-manifest.jsonl"
check psnr-in-manifest grep -q '"path":"a/photo.jpg".*"psnr":[0-9]' "$work/all/facet-manifest.jsonl"
check no-partial-output test ! -e "$work/all/a/damaged.fct" -a -z "$(find "$work/all" -name '*.tmp*')"
check hidden-skipped test ! -e "$work/all/.cache"
check outputs-13 test "$(find "$work/all" -name '*.fct' | wc -l)" -eq 13
check same-as-one-file bash -c "\"$facet\" compress \"$work/in/a/b/img02.png\" -o \"$work/one.fct\" ${model[*]} &&
  cmp \"$work/one.fct\" \"$work/all/a/b/img02.fct\""

# Two shards into one folder, as two tasks of a job array would: every file once, the same bytes.
"$facet" compress "$work/in" -o "$work/sharded" --shard 1/2 "${model[@]}" > "$work/s1.log" 2>&1; s1=$?
"$facet" compress "$work/in" -o "$work/sharded" --shard 2/2 "${model[@]}" > "$work/s2.log" 2>&1; s2=$?
check shards-exit-codes test $((s1 + s2)) -eq 1  # one of them has the damaged file
check shards-cover-once bash -c "cat \"$work\"/sharded/facet-manifest-*-of-2.jsonl | grep -o '\"path\":\"[^\"]*\"' |
  sort | uniq -d | wc -l | grep -qx 0 && test \$(cat \"$work\"/sharded/facet-manifest-*-of-2.jsonl | wc -l) -eq 14"
check shards-both-work test "$(grep -c . "$work/sharded/facet-manifest-1-of-2.jsonl")" -gt 0 -a \
  "$(grep -c . "$work/sharded/facet-manifest-2-of-2.jsonl")" -gt 0
check shards-equal-unsharded diff -r -x 'facet-manifest*' "$work/all" "$work/sharded"

# An interrupted shard: its last two files never finished (one output lost, one never recorded),
# and its manifest ends in half a line. The rerun codes just those two.
m=$work/sharded/facet-manifest-1-of-2.jsonl
grep '"status":"ok"' "$m" | tail -n 2 | grep -o '"output":"[^"]*"' | cut -d'"' -f4 > "$work/redo"
grep -v -F -f <(grep '"status":"ok"' "$m" | tail -n 2) "$m" > "$work/m.cut"
{ cat "$work/m.cut"; printf '{"path":"img00.png","sta'; } > "$m"
rm "$work/sharded/$(head -n 1 "$work/redo")"
ok_before=$(grep -c '"status":"ok"' "$work/m.cut")
"$facet" compress "$work/in" -o "$work/sharded" --shard 1/2 "${model[@]}" > "$work/rerun.log" 2>&1
check rerun-codes-only-the-missing grep -q "coded, $ok_before skipped" "$work/rerun.log"
check rerun-codes-two grep -q ": 2 coded," "$work/rerun.log"
check rerun-same-bytes diff -r -x 'facet-manifest*' "$work/all" "$work/sharded"
# A changed output is coded again; other settings code everything again.
printf 'x' >> "$work/sharded/$(tail -n 1 "$work/redo")"
"$facet" compress "$work/in" -o "$work/sharded" --shard 1/2 "${model[@]}" > "$work/changed.log" 2>&1
check changed-output-recoded grep -q ": 1 coded," "$work/changed.log"
check changed-output-restored cmp "$work/all/$(tail -n 1 "$work/redo")" "$work/sharded/$(tail -n 1 "$work/redo")"
"$facet" compress "$work/in" -o "$work/sharded" --shard 1/2 --model "$src/models/facet-photo.safetensors.zst" \
  --threads 1 -q 60 > "$work/q60.log" 2>&1
check new-quality-recodes grep -q " 0 skipped" "$work/q60.log"

# Decompressing the folder: every .fct to a PNG at the same relative path, as one file would.
"$facet" decompress "$work/all" -o "$work/png" --model "$src/models/facet-photo.safetensors.zst" --threads 1 \
  > "$work/d.log" 2>&1
check decompress-exit-0 test $? -eq 0
check decompress-all test "$(find "$work/png" -name '*.png' | wc -l)" -eq 13
check decompress-same-as-one-file bash -c "\"$facet\" decompress \"$work/all/a/b/img02.fct\" -o \"$work/one.png\" \
  --model \"$src/models/facet-photo.safetensors.zst\" --threads 1 && cmp \"$work/one.png\" \"$work/png/a/b/img02.png\""
cp "$work/all/img00.fct" "$work/all/cut.fct" && truncate -s 100 "$work/all/cut.fct"
"$facet" decompress "$work/all" -o "$work/png" --model "$src/models/facet-photo.safetensors.zst" --threads 1 \
  > "$work/d2.log" 2>&1
check decompress-damaged-exit-1 test $? -eq 1
check decompress-resumes grep -q "14 files: 0 coded, 13 skipped (done before), 1 failed" "$work/d2.log"
check decompress-damaged-error grep -q '"path":"cut.fct".*"error":"truncated' "$work/png/facet-manifest.jsonl"

# Usage errors and untouched inputs.
"$facet" compress "$work/in" -o "$work/x" --shard 3/2 "${model[@]}" > /dev/null 2>&1
check bad-shard-exit-2 test $? -eq 2
"$facet" compress "$work/in" -o "$work/x" --shard 0/2 "${model[@]}" > /dev/null 2>&1
check zero-shard-exit-2 test $? -eq 2
check inputs-unchanged test "$inputs_before" = "$(cd "$work/in" && find . -type f -exec sha256sum {} + | sort)"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
