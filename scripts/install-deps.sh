#!/usr/bin/env bash
# Installs Facet's build and test dependencies from Debian 12's packages (only what is missing);
# cjxl/avifenc (libjxl-tools, libavif-bin) are the JPEG XL and AVIF baselines of `facet rd`;
# libgloo-dev: the headers of c10d's Gloo backend (Debian's libtorch_cpu has it compiled in), for
# data-parallel facet-train; python3 with PIL and numpy: scripts/pack_crops.py and the batch test's images.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libpng-dev libzstd-dev libxxhash-dev
  libopencv-dev
  libcli11-dev nlohmann-json3-dev catch2 liblinear-dev
  libtorch-dev libopenblas0-pthread libdnnl-dev
  python3-pybind11 python3-pytest
  libgloo-dev
  python3 python3-pil python3-numpy
  libjxl-tools libavif-bin
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
echo "installing: ${missing[*]}"
sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
