#!/usr/bin/env bash
# Sets everything up on Debian 12, builds facet and runs the main job on a corpus file
# (README's first command).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)" --target facet
./build/facet inspect corpus/sample.fct
