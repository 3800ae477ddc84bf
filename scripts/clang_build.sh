#!/usr/bin/env bash
# The README's fuzzing build (CMakePresets.json "fuzz": clang, libFuzzer, ASan + UBSan) of the fuzz
# targets and of every library, so that code Debian's clang 14 rejects (it once did:
# networks/photo_model.cpp, a structured binding captured by a lambda) fails CI instead of the
# next person who fuzzes. The test executables are left to the GCC build (scripts/test.sh).
#   bash scripts/clang_build.sh            # configures build-fuzz/ and builds
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# clang and its sanitizer and libFuzzer runtimes (Debian's clang 14).
missing=()
for p in clang libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
jobs=$(nproc)
cmake --preset fuzz >/dev/null
targets=(fuzz_container fuzz_rans_decode fuzz_png_read fuzz_photo_streams facet facet-torch facet-train facet_library
         facet_static)
start=$(date +%s)
cmake --build --preset fuzz -j"$jobs" --target "${targets[@]}"
echo "clang build of ${targets[*]}: $(( $(date +%s) - start )) s"
