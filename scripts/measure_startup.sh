#!/usr/bin/env bash
# What a user waits for: the shared libraries a program loads, and the whole-process wall time
# (best of 3) and peak RSS of one-file commands on one image, for facet and facet-torch.
#
#   bash scripts/measure_startup.sh [IMAGE] [QUALITY] [THREADS]
#
# Pause the training campaign around it (scripts/cpu_campaign.sh pause / resume).
set -euo pipefail
cd "$(dirname "$0")/.."
image=${1:-corpus/kodim23-crop.png}; q=${2:-50}; threads=${3:-2}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
libs() {  # count and total size of a program's shared libraries
  ldd "$1" | awk '/=>/ {print $3}' | grep -v '^$' | sort -u >"$tmp/libs"
  printf '%s: %d shared libraries, %s MB\n' "$(basename "$1")" "$(wc -l <"$tmp/libs")" \
    "$(xargs -r stat -L -c %s <"$tmp/libs" | awk '{s += $1} END {printf "%.0f", s / 1e6}')"
}
best() {  # best of 3: wall seconds and peak RSS (MB) of the command
  local label=$1; shift
  local b=999 rss=0
  for _ in 1 2 3; do
    /usr/bin/time -f '%e %M' -o "$tmp/t" "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
    read -r s kb <"$tmp/t"
    b=$(awk -v a="$b" -v c="$s" 'BEGIN {print (c < a) ? c : a}'); rss=$kb
  done
  printf '  %-28s %6.2f s  %5.0f MB peak RSS\n' "$label" "$b" "$(awk -v k="$rss" 'BEGIN {print k / 1024}')"
}
for p in build/facet build/facet-torch; do libs "$p"; done
echo "$image, q $q, $threads threads:"
build/facet compress "$image" -o "$tmp/a.fct" -q "$q" -f
for p in build/facet build/facet-torch; do
  n=$(basename "$p")
  best "$n --version" "$p" --version
  best "$n inspect" "$p" inspect "$tmp/a.fct"
  best "$n edit --drop chroma" "$p" edit "$tmp/a.fct" -o "$tmp/b.fct" --drop chroma -f
  best "$n compress -e 1" "$p" compress "$image" -o "$tmp/c.fct" -q "$q" -e 1 --threads "$threads" -f
  best "$n decompress" "$p" decompress "$tmp/a.fct" -o "$tmp/a.png" --threads "$threads" -f
done
echo "stages (facet -v):"
build/facet compress "$image" -o "$tmp/c.fct" -q "$q" --threads "$threads" -f -v 2>&1 | sed 's/^/  /'
build/facet decompress "$tmp/a.fct" -o "$tmp/a.png" --threads "$threads" -f -v 2>&1 | sed 's/^/  /'
