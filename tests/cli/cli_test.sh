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
expect inspect-json 0 '"format_version": 3' -- "$facet" inspect "$sample" --json
expect inspect-version-1 0 'format version 1, 814 bytes' -- "$facet" inspect "$src/corpus/sample-v1.fct"
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
cp "$sample" "$work/version.fct"; printf '\x04' | dd of="$work/version.fct" bs=1 seek=8 conv=notrunc status=none
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

# ---- the learned codec, with a tiny untrained model made here (the shipped one is tested by
# README's main job; this keeps the suite fast) ----
expect train-tiny 0 'train step +3 ' -- "$facet" train --data "$src/corpus" --crop-size 64 --crops-per-image 2 \
  --steps 3 --log-every 1 --batch 2 --patch 64 --n 16 --m 32 --hyper-n 16 --groups 3 --chroma 8 --lambdas 0.01,0.03 \
  --model-id tiny -o "$work/tiny.safetensors.zst" --threads 2
model=(--model "$work/tiny.safetensors.zst")
img=$src/corpus/kodim23-crop.png
expect compress 0 'bpp' -- "$facet" compress "$img" -o "$work/a.fct" -q 40 -v "${model[@]}"
expect decompress 0 '384x320' -- "$facet" decompress "$work/a.fct" -o "$work/a.png" -v "${model[@]}"
expect decompressed-is-png 0 '' -- bash -c "head -c 8 '$work/a.png' | od -An -tx1 | grep -q '89 50 4e 47'"
expect inspect-compressed 0 'structure\.2 +spatial' -- "$facet" inspect "$work/a.fct"
expect compress-pipe 0 '' -- bash -c "\"$facet\" compress - -o - ${model[*]} < '$img' > '$work/p.fct'"
expect pipe-same-bytes 0 '' -- bash -c "\"$facet\" compress '$img' -o '$work/p2.fct' ${model[*]} && cmp '$work/p.fct' '$work/p2.fct'"
expect decompress-pipe 0 '' -- bash -c "\"$facet\" decompress - -o - ${model[*]} < '$work/a.fct' | cmp - '$work/a.png'"
expect keep-existing-output 2 "exists; use -f" -- "$facet" compress "$img" -o "$work/a.fct" "${model[@]}"
expect force-overwrite 0 '' -- "$facet" compress "$img" -o "$work/a.fct" -f -q 80 "${model[@]}"
expect refuse-terminal 2 'refusing to write binary data to a terminal' -- \
  script -qec "\"$facet\" compress '$img' -o - ${model[*]}" /dev/null
expect bad-quality 2 '' -- "$facet" compress "$img" -o "$work/q.fct" -q 150 "${model[@]}"
expect compress-effort 0 'refine: tile 1/1, iteration 10/10' -- "$facet" compress "$img" -o "$work/e2.fct" -e 2 -v "${model[@]}"
expect compress-effort-hyper 0 'refine: hyper-latents, iteration 60/60' -- "$facet" compress "$img" -o "$work/e2h.fct" -e 2 -v "${model[@]}"
expect effort-decodes 0 '384x320' -- "$facet" decompress "$work/e2.fct" -o "$work/e2.png" -v "${model[@]}"
expect bad-effort 2 'effort' -- "$facet" compress "$img" -o "$work/e9.fct" -e 9 "${model[@]}"
# facet links neither LibTorch nor OpenCV; what needs LibTorch runs in facet-torch (same files).
expect no-libtorch-linked 0 '^0$' -- bash -c "ldd '$facet' | grep -c -E 'torch|c10|opencv'; true"
expect effort-via-stdin 0 '' -- bash -c "\"$facet\" compress - -o '$work/e2s.fct' -e 2 ${model[*]} < '$img' && cmp '$work/e2.fct' '$work/e2s.fct'"
expect backend-libtorch-decodes 0 '' -- bash -c "\"$facet\" compress '$img' -o '$work/lt.fct' --backend libtorch ${model[*]} -q 80 && \"$facet\" compress '$img' -o '$work/dn.fct' ${model[*]} -q 80 && \"$facet\" decompress '$work/lt.fct' -o '$work/lt.png' ${model[*]}"
expect no-facet-torch 1 'needs LibTorch' -- env FACET_TORCH=/nonexistent/facet-torch "$facet" compress "$img" -o "$work/e3.fct" -e 3 "${model[@]}"
expect no-facet-torch-no-output 1 '' -- test -e "$work/e3.fct"
expect compress-fct-file 1 "not an image" -- "$facet" compress "$work/a.fct" -o "$work/y.fct" "${model[@]}"
printf "hello" > "$work/hello.txt"
expect compress-garbage 1 'error: unsupported' -- "$facet" compress "$work/hello.txt" -o "$work/x.fct" "${model[@]}"
expect no-half-written-output 1 '' -- test -e "$work/x.fct"
head -c 200 "$work/a.fct" > "$work/cut.fct"
expect decompress-truncated 1 'error: truncated' -- "$facet" decompress "$work/cut.fct" -o "$work/cut.png" "${model[@]}"
expect no-output-on-error 1 '' -- test -e "$work/cut.png"
expect missing-model 3 'cannot open' -- "$facet" compress "$img" -o "$work/m.fct" --model "$work/none.safetensors"
expect default-model-from-env 0 '' -- env FACET_MODEL="$work/tiny.safetensors.zst" "$facet" decompress "$work/a.fct" -o "$work/env.png"
"$facet" train --data "$src/corpus" --crop-size 64 --patch 64 --crops-per-image 1 --steps 0 --n 16 --m 24 --hyper-n 16 \
  --groups 3 --lambdas 0.01,0.03 --seed 9 -o "$work/other.safetensors" > /dev/null 2>&1
expect wrong-model 1 "error: unsupported: .*needs model 'tiny'" -- "$facet" decompress "$work/a.fct" -o "$work/w.png" --model "$work/other.safetensors"

# ---- factors: inspect's values, facet edit, decompress --set/--drop, facet traverse ----
exposure_of() { "$facet" inspect "$1" "${model[@]}" | awk '$1 == "exposure" && $2 == "global" { print $(NF - 1) }'; }
expect inspect-factor-table 0 'chroma +spatial +rans-gaussian' -- "$facet" inspect "$work/a.fct" "${model[@]}"
expect inspect-global-values 0 'exposure +global +short +i32 +1 .* [-+][0-9]+\.[0-9]{4} EV$' -- \
  "$facet" inspect "$work/a.fct" "${model[@]}"
expect inspect-json-values 0 '"unit": "log2"' -- "$facet" inspect "$work/a.fct" --json "${model[@]}"
expect inspect-values-need-model 0 "global factor values need the file's model 'tiny'" -- \
  "$facet" inspect "$work/a.fct" --model "$work/other.safetensors"
before=$(exposure_of "$work/a.fct")
cp "$work/a.fct" "$work/a-copy.fct"
expect edit 0 ' -> [0-9]+ bytes' -- "$facet" edit "$work/a.fct" -o "$work/e.fct" --set exposure=+0.5 --drop structure.0 \
  "${model[@]}"
expect edit-input-unchanged 0 '' -- cmp "$work/a.fct" "$work/a-copy.fct"
expect edit-smaller 0 '' -- test "$(stat -c %s "$work/e.fct")" -lt "$(stat -c %s "$work/a.fct")"
expect edit-decodes 0 '384x320' -- "$facet" decompress "$work/e.fct" -o "$work/e.png" -v "${model[@]}"
expect edit-dropped 0 '' -- bash -c "\"$facet\" inspect '$work/e.fct' | grep -q '^  structure\.1 ' && ! \"$facet\" inspect '$work/e.fct' | grep -q '^  structure\.0 '"
after=$(exposure_of "$work/e.fct")
expect edit-exposure-value 0 '' -- awk -v a="$after" -v b="$before" \
  'BEGIN { d = a - b - 0.5; exit !(a != "" && b != "" && d < 0.002 && d > -0.002) }'
expect edit-drop-needs-no-model 0 '' -- "$facet" edit "$work/a.fct" -o "$work/d.fct" --drop chroma \
  --model "$work/none.safetensors"
expect edit-drop-decodes 0 '384x320' -- "$facet" decompress "$work/d.fct" -o "$work/d.png" -v "${model[@]}"
expect edit-missing-factor 2 "cannot drop 'structure\.9'" -- "$facet" edit "$work/a.fct" -o "$work/m.fct" --drop structure.9
expect edit-unknown-setting 2 "cannot set 'hue'" -- "$facet" edit "$work/a.fct" -o "$work/m.fct" --set hue=1 "${model[@]}"
expect edit-drop-hyper 2 "'hyper' cannot be dropped" -- "$facet" edit "$work/a.fct" -o "$work/m.fct" --drop hyper
expect edit-bad-setting 2 "bad --set 'exposure=abc'" -- "$facet" edit "$work/a.fct" -o "$work/m.fct" --set exposure=abc \
  "${model[@]}"
expect edit-set-twice 2 'set twice' -- "$facet" edit "$work/a.fct" -o "$work/m.fct" --set exposure=1 --set exposure=2 \
  "${model[@]}"
expect edit-no-output-on-error 1 '' -- test -e "$work/m.fct"
expect edit-wrong-model 1 "error: unsupported: .*needs model 'tiny'" -- "$facet" edit "$work/a.fct" -o "$work/m.fct" \
  --set exposure=+1 --model "$work/other.safetensors"
expect decompress-set-drop 0 '384x320' -- "$facet" decompress "$work/a.fct" -o "$work/gray.png" --set tint=+0.1 \
  --drop chroma -v "${model[@]}"
expect decompress-set-unknown 2 "cannot set 'hue'" -- "$facet" decompress "$work/a.fct" -o "$work/h.png" --set hue=1 \
  "${model[@]}"
expect traverse 0 '3 rows x 2 steps' -- "$facet" traverse "$img" -o "$work/traverse.png" --steps 2 --width 32 \
  --factor exposure --factor chroma --factor structure.0 --threads 2 "${model[@]}"
expect traverse-is-png 0 '' -- bash -c "head -c 8 '$work/traverse.png' | od -An -tx1 | grep -q '89 50 4e 47 0d 0a 1a 0a'"
expect traverse-unknown-factor 2 "no factor 'hue'" -- "$facet" traverse "$work/a.fct" -o "$work/t2.png" --steps 2 \
  --width 32 --factor hue "${model[@]}"
mkdir -p "$work/one" && cp "$img" "$work/one/"
expect eval-factors-subset 0 'drop chroma \(quality 75\): luma PSNR' -- "$facet" eval factors "$work/one" \
  --measure chroma,disentanglement --thetas 6 --threads 2 "${model[@]}"
expect eval-factors-response 0 'response: stored scalars .* MIG [0-9.]+' -- "$facet" eval factors "$work/one" \
  --measure disentanglement --thetas 6 --threads 2 "${model[@]}"
expect eval-factors-bad-measure 2 'measure' -- "$facet" eval factors "$work/one" --measure hue "${model[@]}"
# A model against itself: BD-rate 0, and no +3% target, which is for a baseline without factors.
expect eval-factors-cost-self 0 'against tiny: [-+]0\.00%$' -- "$facet" eval factors "$work/one" --measure cost \
  --threads 2 "${model[@]}" --baseline-model "$work/tiny.safetensors.zst"

# ---- facet rd: two small images (and a file that is not an image), 2 qualities, OpenCV baselines ----
mkdir -p "$work/rd" "$work/rd-empty"
cp "$img" "$work/rd/1.png"; cp "$work/a.png" "$work/rd/2.png"; printf "notes" > "$work/rd/readme.txt"
rd=("$facet" rd "$work/rd" "${model[@]}" -q 30,70 --baselines jpeg,webp --no-progress)
expect rd 0 'webp +[-+][0-9]+\.[0-9]+ +[-+][0-9]+\.[0-9]+' -- "${rd[@]}" --variants full,drop:structure:1 \
  --json "$work/rd.json" --csv "$work/rd.csv" --plot "$work/rd.png"
expect rd-json-codecs 0 '' -- bash -c "grep -q '\"facet\": {' '$work/rd.json' && grep -q '\"jpeg\": {' '$work/rd.json' && grep -q '\"webp\": {' '$work/rd.json' && grep -q '\"facet drop:structure:1\": {' '$work/rd.json'"
expect rd-plot-is-png 0 '' -- bash -c "head -c 8 '$work/rd.png' | od -An -tx1 | grep -q '89 50 4e 47 0d 0a 1a 0a'"
expect rd-csv 0 '^row,curve,codec,variant,setting_name,setting,image,bytes,bpp' -- head -1 "$work/rd.csv"
expect rd-skips-non-images 0 '' -- bash -c "! grep -q readme '$work/rd.csv' && grep -q ',2.png,' '$work/rd.csv'"
# The same numbers whatever the number of jobs (the timing columns aside).
"${rd[@]}" --jobs 2 --csv "$work/rd2.csv" > /dev/null 2>&1
expect rd-jobs-same-results 0 '' -- bash -c "cmp <(grep -v 'drop:structure' '$work/rd.csv' | cut -d, -f1-12) <(cut -d, -f1-12 '$work/rd2.csv')"
expect rd-keep-existing-output 2 'exists; use -f' -- "${rd[@]}" --json "$work/rd.json"
expect rd-unknown-baseline 2 "unknown baseline 'gif'" -- "${rd[@]}" --baselines jpeg,gif
expect rd-unknown-variant 2 "unknown variant 'drop:chroma:x'" -- "${rd[@]}" --variants full,drop:chroma:x
expect rd-no-images 2 'no images' -- "$facet" rd "$work/rd-empty" "${model[@]}" --baselines jpeg
printf '{"about": 1}' > "$work/no-codecs.json"
expect rd-bad-reference 1 'no "codecs" object' -- "${rd[@]}" --reference "$work/no-codecs.json"
expect rd-reference-not-json 1 'not valid JSON' -- "${rd[@]}" --reference "$work/rd.csv"

# The trainer alone (what the accelerator builds): crops packed by facet train, then facet-train.
trainer="$(dirname "$facet")/facet-train"
expect pack-crops 0 'wrote' -- "$facet" train --data "$src/corpus" --crop-size 64 --crops-per-image 3 --steps 0 \
  --save-crops "$work/crops.bin"
expect facet-train 0 'train step +2 ' -- "$trainer" --data "$work/crops.bin" --eval "$work/crops.bin" --steps 2 \
  --log-every 1 --batch 2 --patch 64 --n 16 --m 24 --hyper-n 16 --groups 3 --lambdas 0.01,0.03 \
  --checkpoint "$work/ck.safetensors" -o "$work/trained.safetensors" --threads 2
expect facet-train-resume-exports 0 '' -- "$trainer" --data "$work/crops.bin" --steps 1 --patch 64 --n 16 --m 24 \
  --hyper-n 16 --groups 3 --lambdas 0.01,0.03 --checkpoint "$work/ck.safetensors" --resume \
  -o "$work/exported.safetensors"
expect facet-train-model-decodes 0 '' -- bash -c "\"$facet\" compress '$img' -o '$work/t.fct' --model '$work/exported.safetensors' && \"$facet\" decompress '$work/t.fct' -o '$work/t.png' --model '$work/exported.safetensors'"
expect facet-train-bad-crops 1 'bad-magic' -- "$trainer" --data "$img" --steps 1
# SIGTERM: the run ends its step, writes its checkpoint (weight averages included) and exits 143;
# the checkpoint then exports its average. The signal is sent once the run logs its steps.
expect facet-train-term-writes-checkpoint 143 'stopped by signal 15 after step [0-9]+; checkpoint' -- bash -c "
  \"$trainer\" --data '$work/crops.bin' --steps 1000000 --log-every 1 --batch 2 --patch 64 --n 16 --m 24 \
    --hyper-n 16 --groups 3 --lambdas 0.01,0.03 --checkpoint '$work/term.safetensors' --checkpoint-every 1000000 \
    --ema 0.9,0.99 --threads 1 > '$work/term.log' 2>&1 & pid=\$!
  for _ in \$(seq 600); do grep -q 'train step' '$work/term.log' && break; sleep 0.1; done
  kill -TERM \$pid; wait \$pid; rc=\$?; cat '$work/term.log'; exit \$rc"
expect facet-train-export-ema 0 '' -- "$trainer" --data "$work/crops.bin" --steps 1 --patch 64 --n 16 --m 24 \
  --hyper-n 16 --groups 3 --lambdas 0.01,0.03 --checkpoint "$work/term.safetensors" --resume --export-ema 0.99 \
  -o "$work/ema.safetensors"
expect facet-train-export-missing-ema 2 'ema\[0.5\]: no such average' -- "$trainer" --data "$work/crops.bin" --steps 1 \
  --patch 64 --n 16 --m 24 --hyper-n 16 --groups 3 --lambdas 0.01,0.03 --checkpoint "$work/term.safetensors" \
  --resume --export-ema 0.5 -o "$work/ema.safetensors"
expect facet-train-bad-ema 2 'bad average decay' -- "$trainer" --data "$work/crops.bin" --steps 1 --ema 0.9,1.2
for mode in paired replace; do
  expect facet-train-chroma-$mode 0 'train step +1 ' -- "$trainer" --data "$work/crops.bin" --steps 1 --log-every 1 \
    --batch 2 --patch 64 --n 16 --m 24 --hyper-n 16 --groups 2 --chroma 8 --chroma-drop 1 --chroma-drop-mode $mode \
    --lambdas 0.01 --threads 2
done
expect facet-train-bad-chroma-mode 2 'chroma-drop-mode' -- "$trainer" --data "$work/crops.bin" --steps 1 \
  --chroma-drop-mode sideways
expect facet-train-chroma-luma-weight 0 'train step +1 ' -- "$trainer" --data "$work/crops.bin" --steps 1 \
  --log-every 1 --batch 2 --patch 64 --n 16 --m 24 --hyper-n 16 --groups 2 --chroma 8 --chroma-drop 1 \
  --chroma-luma-weight 2 --lambdas 0.01 --threads 2
expect facet-train-bad-chroma-luma-weight 2 'chroma-luma-weight' -- "$trainer" --data "$work/crops.bin" --steps 1 \
  --chroma-luma-weight -1

# ---- sprites: a rendered sprite, a 2-step sprites model (it may store no latent yet), a sprite file ----
expect train-unknown-model 2 '' -- "$facet" train --model video --steps 1
expect sprites-render 0 'heart' -- "$facet" sprites render --shape heart --scale 3 --pos-x 10 --pos-y 20 \
  -o "$work/sprite.png"
expect train-sprites 0 'train step +2 ' -- "$facet" train --model sprites --steps 2 --batch 8 --log-every 1 \
  -o "$work/sprites.safetensors"
smodel=(--model "$work/sprites.safetensors")
expect sprite-compress 0 '' -- "$facet" compress "$work/sprite.png" -o "$work/sprite.fct" "${smodel[@]}"
expect sprite-decompress 0 '64x64' -- "$facet" decompress "$work/sprite.fct" -o "$work/sprite-out.png" -v "${smodel[@]}"
expect sprite-decompressed-is-png 0 '' -- bash -c "head -c 8 '$work/sprite-out.png' | od -An -tx1 | grep -q '89 50 4e 47'"
expect sprite-inspect 0 'model +facet-sprites' -- "$facet" inspect "$work/sprite.fct" "${smodel[@]}"
expect sprite-rd-refused 2 'photo models' -- "$facet" rd "$work" "${smodel[@]}" --baselines jpeg
expect sprite-bench-refused 2 'photo models' -- "$facet" bench model "$work" "${smodel[@]}"
expect sprite-eval-factors-refused 2 'photo model' -- "$facet" eval factors "$work" "${smodel[@]}"
expect sprite-baseline-refused 2 'baseline-model must be a photo model' -- "$facet" eval factors "$work/one" \
  --measure cost "${model[@]}" --baseline-model "$work/sprites.safetensors"
expect sprite-no-effort 2 'no encoder effort' -- "$facet" compress "$work/sprite.png" -o "$work/sprite-e.fct" -e 2 "${smodel[@]}"
expect sprite-not-64x64 2 'codes 64x64 images' -- "$facet" compress "$img" -o "$work/big-sprite.fct" "${smodel[@]}"
expect sprite-model-photo-file 1 "error: unsupported: .*needs model 'tiny'" -- "$facet" decompress "$work/a.fct" \
  -o "$work/x.png" "${smodel[@]}"
stored=$("$facet" inspect "$work/sprite.fct" "${smodel[@]}" | awk '$2 == "global" { print $1; exit }')
if [[ -n $stored ]]; then
  expect sprite-edit 0 '' -- "$facet" edit "$work/sprite.fct" -o "$work/sprite-e.fct" --set "$stored=+0.1" "${smodel[@]}"
  expect sprite-edit-decodes 0 '64x64' -- "$facet" decompress "$work/sprite-e.fct" -o "$work/sprite-e.png" -v "${smodel[@]}"
else
  expect sprite-edit-nothing-stored 2 "cannot set 'posX'.*it has none" -- "$facet" edit "$work/sprite.fct" \
    -o "$work/sprite-e.fct" --set posX=0.5 "${smodel[@]}"
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
