#!/usr/bin/env bash
# Sets everything up on Debian 12, builds facet and runs the main job: compress and decompress a
# corpus image with the shipped model, then edit and thin the stored file (README's first command).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)" --target facet
out=$(mktemp -d)
./build/facet compress corpus/kodim23-crop.png -o "$out/kodim23-crop.fct" -q 75 -v
./build/facet decompress "$out/kodim23-crop.fct" -o "$out/kodim23-crop.png" -v
./build/facet inspect "$out/kodim23-crop.fct"
# The factors of the stored file: brighter and without colour, no pixels decoded or re-encoded.
./build/facet edit "$out/kodim23-crop.fct" -o "$out/edited.fct" --set exposure=+0.5 --drop chroma
./build/facet decompress "$out/edited.fct" -o "$out/edited.png"
echo "decoded image: $out/kodim23-crop.png; edited (exposure +0.5 EV, chroma dropped): $out/edited.png"
