#!/usr/bin/env bash
# Decodes every image of a directory with --threads 1, 2 and 3 and checks that the PNGs are
# byte-identical, on the fp32 and the bf16 path; then the PSNR-RGB of the bf16 decode against the
# fp32 decode of the same file (mean and worst image). The measurement behind README's decoder
# guarantee (issue 21).
#
#   bash scripts/decode_determinism.sh DIR [QUALITY]     # e.g. ../shared/data/kodak 50
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:?usage: $0 DIR [QUALITY]}
Q=${2:-50}
FACET=${FACET:-build/facet}
PYTHON=${PYTHON:-/usr/bin/python3}  # Debian's, with python3-pil and python3-numpy
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
same=0 differ=0
for img in "$DIR"/*.png; do
  name=$(basename "$img" .png)
  "$FACET" compress "$img" -o "$WORK/$name.fct" -q "$Q" --threads 2 --precision fp32
  for p in fp32 bf16; do
    for t in 1 2 3; do "$FACET" decompress "$WORK/$name.fct" -o "$WORK/$name.$p.$t.png" --threads "$t" --precision "$p"; done
    if cmp -s "$WORK/$name.$p.1.png" "$WORK/$name.$p.2.png" && cmp -s "$WORK/$name.$p.1.png" "$WORK/$name.$p.3.png"; then
      same=$((same + 1))
    else
      differ=$((differ + 1)); echo "$name $p: the decodes differ between thread counts"
    fi
  done
done
echo "identical for threads 1, 2, 3: $same of $((same + differ)) (image, precision) pairs"
"$PYTHON" - "$WORK" <<'PY'
import glob, os, sys
import numpy as np
from PIL import Image
rows = []
for a in sorted(glob.glob(os.path.join(sys.argv[1], "*.fp32.1.png"))):
    x = np.asarray(Image.open(a).convert("RGB"), dtype=np.float64)
    y = np.asarray(Image.open(a.replace(".fp32.", ".bf16.")).convert("RGB"), dtype=np.float64)
    mse = np.mean((x - y) ** 2)
    rows.append((10 * np.log10(255 ** 2 / mse) if mse > 0 else float("inf"), os.path.basename(a).split(".")[0]))
finite = [r[0] for r in rows if np.isfinite(r[0])]
worst = min(rows)
print(f"bf16 against fp32 decodes of the same files: PSNR-RGB mean {np.mean(finite):.2f} dB over {len(finite)} "
      f"images ({len(rows) - len(finite)} identical), worst {worst[0]:.2f} dB ({worst[1]})")
PY
