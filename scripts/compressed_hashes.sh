#!/usr/bin/env bash
# Hashes of what the encoder writes and the decoder returns, for a refactor that must not change a
# byte: run it before and after and diff the two outputs.
#
#   bash scripts/compressed_hashes.sh [FACET] [IMAGE...] > before.txt
#
# Each image is compressed with the shipped photo model at qualities 10/50/90, effort 1 and 2,
# fp32 and bf16, one thread; each file is edited, thinned and decoded. The sprites model codes one
# rendered scene. Default images: corpus/*.png.
set -euo pipefail
cd "$(dirname "$0")/.."
FACET=${1:-build/facet}; shift || true
images=("$@"); [ ${#images[@]} -gt 0 ] || images=(corpus/*.png)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
h() { sha256sum "$1" | cut -c1-16; }
for img in "${images[@]}"; do
  for p in fp32 bf16; do
    for e in 1 2; do
      for q in 10 50 90; do
        f=$tmp/a.fct
        "$FACET" compress "$img" -o "$f" -q $q -e $e --precision $p --threads 1 -f
        "$FACET" decompress "$f" -o "$tmp/a.png" --precision $p --threads 1 -f
        line="$(basename "$img") $p e$e q$q fct $(h "$f") png $(h "$tmp/a.png")"
        if [ $e = 1 ] && [ $q = 50 ]; then
          "$FACET" edit "$f" -o "$tmp/b.fct" --set exposure=0.5 -f
          "$FACET" edit "$f" -o "$tmp/c.fct" --drop chroma -f
          "$FACET" decompress "$tmp/c.fct" -o "$tmp/c.png" --precision $p --threads 1 -f
          line="$line edit $(h "$tmp/b.fct") thin $(h "$tmp/c.fct") thin.png $(h "$tmp/c.png")"
        fi
        echo "$line"
      done
    done
  done
done
# The sprites model: one rendered scene, compressed, edited and decoded.
SPRITES=models/facet-sprites.safetensors.zst
"$FACET" sprites render --shape heart --scale 3 --orientation 7 --pos-x 10 --pos-y 20 -o "$tmp/s.png"
"$FACET" compress "$tmp/s.png" -o "$tmp/s.fct" --model $SPRITES --threads 1 -f
"$FACET" edit "$tmp/s.fct" -o "$tmp/t.fct" --set posX=0.8 --model $SPRITES -f
"$FACET" decompress "$tmp/t.fct" -o "$tmp/t.png" --model $SPRITES --threads 1 -f
echo "sprite fct $(h "$tmp/s.fct") edit $(h "$tmp/t.fct") png $(h "$tmp/t.png")"
