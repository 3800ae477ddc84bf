#!/usr/bin/env bash
# One training session on the accelerator machine (docs/architecture.md, "Training on the accelerator"):
# builds facet-train against the machine's CUDA LibTorch, packs the carried photos into crops,
# then trains side by side, each for the same wall-clock budget (--time-budget):
#   photo     the shipped photo model: 3 structure groups + a chroma group (the factor model)
#   nofactors the same architecture with 4 structure groups and no chroma: the factor issue's
#             baseline for the cost of the factors (same data, seed, schedule and budget)
#   sprites-bB-sN the sprites beta-TCVAE, one per BETA:SEED pair in SPRITE_RUNS (a sweep: MIG and
#             DCI depend on the seed as much as on beta; evaluate each here afterwards);
#             SPRITE_RUNS="" trains none (the photo pair then has the GPU to itself, about twice
#             as many steps)
# and leaves the weights (plain safetensors, split into parts under 15 MiB) and the logs in $OUT.
#
# Carried (an ignored folder, default .devcarry): photos/ (training photos, any depth), eval/
# (held-out photos), third_party/{CLI,nlohmann} (header-only) and zstd.h + zstd_errors.h (then
# facet-train reads .zst weights with the machine's libzstd.so.1, for INIT). The working tree and
# the carry travel together under 64 MiB. Everything is sized by environment variables, so that
# the whole script can be rehearsed on a CPU machine first:
#   DEVICE=cpu BUDGET=15 N=16 M=24 HYPER_N=16 CHROMA=0 BATCH=2 PATCH=64 SPRITE_BATCH=8 \
#     TORCH_PREFIX=/usr/lib/x86_64-linux-gnu/cmake OUT=/tmp/out scripts/device_train.sh
set -uo pipefail
cd "$(dirname "$0")/.."
START=$SECONDS
OUT=${OUT:?set OUT to the folder for results}
CARRY=${CARRY:-.devcarry}
DEVICE=${DEVICE:-cuda}
DEADLINE=${DEADLINE:-555}        # seconds from the start of this script to the end of every job
EXPORT_SECONDS=${EXPORT_SECONDS:-45}  # kept after training for exports and copies
N=${N:-128} M=${M:-192} HYPER_N=${HYPER_N:-128} CHROMA=${CHROMA:-48}
CHROMA_DROP_MODE=${CHROMA_DROP_MODE:-paired}  # replace: facet-photo-1's recipe
CHROMA_LUMA_WEIGHT=${CHROMA_LUMA_WEIGHT:-1}  # paired: weight of the grayscale decode's distortion (the campaign's)
RATE_POINT_WEIGHTS=${RATE_POINT_WEIGHTS:-lambda}  # the campaign's (scripts/cpu_campaign.sh says why): it continues the shipped model
PHOTO_ID=${PHOTO_ID:-facet-photo-7}  # the model id of the photo model (the baseline's gets -nofactors)
BATCH=${BATCH:-16} PATCH=${PATCH:-256} LR=${LR:-2e-4}
# The campaign's ten rate points; INIT weights with fewer (the seven of facet-photo-3) get the rest
# by extrapolating their gains (train/rate_points.h).
LAMBDAS=${LAMBDAS:-0.00026,0.0005,0.00095,0.0018,0.0035,0.0067,0.013,0.025,0.0483,0.0932}
INIT=${INIT:-}                   # photo model: start from these weights (e.g. models/facet-photo.safetensors.zst)
INIT_NOFACTORS=${INIT_NOFACTORS:-}  # the baseline: start from these (its own earlier run, for the same steps)
SPRITE_SEEDS=${SPRITE_SEEDS:-1 2} SPRITE_BATCH=${SPRITE_BATCH:-256} BETA=${BETA:-6}
SPRITE_RUNS=${SPRITE_RUNS-$(for s in $SPRITE_SEEDS; do printf '%s:%s ' "$BETA" "$s"; done)}
JOBS=${JOBS:-$(nproc)}
log() { echo "[$(date +%T) +$((SECONDS - START))s] $*"; }

WORK=${WORK:-/tmp/facet-device-work}
mkdir -p "$OUT" "$WORK"
if [ "$DEVICE" = cuda ]; then nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader; fi

# Packing runs while the trainer builds.
( python3 scripts/pack_crops.py --size 256 --per-megapixel 40 -o $WORK/crops.bin "$CARRY/photos" &&
  python3 scripts/pack_crops.py --size 256 --per-image 1 -o $WORK/eval.bin "$CARRY/eval" ) > $WORK/pack.log 2>&1 &
PACK=$!

[ -d /usr/local/cuda/bin ] && export PATH="$PATH:/usr/local/cuda/bin"
TORCH_PREFIX=${TORCH_PREFIX:-$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')}
log "configuring against $TORCH_PREFIX"
# C++20: LibTorch 2.12 and later refuse older standards; the project builds with either.
if ! cmake -S . -B build-train -DCMAKE_BUILD_TYPE=Release -DFACET_TRAINER_ONLY=ON -DFACET_BUILD_TESTS=OFF \
    -DCMAKE_CXX_STANDARD="${CXX_STANDARD:-20}" \
    -DFACET_EXTRA_INCLUDE="$PWD/$CARRY/third_party" -DCMAKE_PREFIX_PATH="$TORCH_PREFIX" > "$OUT/cmake.log" 2>&1; then
  tail -40 "$OUT/cmake.log"; exit 1
fi
if ! cmake --build build-train -j "$JOBS" > "$OUT/build.log" 2>&1; then
  grep -m 20 -B 2 -A 8 "error" "$OUT/build.log"; exit 1
fi
log "built"
wait $PACK || { cat $WORK/pack.log; exit 1; }
cat $WORK/pack.log

BUDGET=${BUDGET:-$((DEADLINE - (SECONDS - START) - EXPORT_SECONDS))}
[ "$BUDGET" -gt 10 ] || { log "no time left to train ($BUDGET s)"; exit 1; }
log "training for $BUDGET s"
TRAIN=build-train/facet-train
photo() {  # name, then model options
  local name=$1; shift
  $TRAIN --data $WORK/crops.bin --eval $WORK/eval.bin --device "$DEVICE" --batch "$BATCH" --patch "$PATCH" \
    --n "$N" --m "$M" --hyper-n "$HYPER_N" --lambdas "$LAMBDAS" --lr "$LR" --warmup 500 --seed 1 \
    --steps 100000000 --time-budget "$BUDGET" --log-every 500 --eval-every 4000 \
    --checkpoint "$WORK/ck-$name.safetensors" --checkpoint-every 5000 "$@" -o "$WORK/$name.safetensors" \
    > "$OUT/$name.log" 2>&1
  echo "$name exit $?" >> "$OUT/$name.log"
}
photo photo --rate-point-weights "$RATE_POINT_WEIGHTS" --groups 3 --chroma "$CHROMA" --chroma-drop 0.25 --chroma-drop-mode "$CHROMA_DROP_MODE" --chroma-luma-weight "$CHROMA_LUMA_WEIGHT" --model-id "$PHOTO_ID" ${INIT:+--init "$INIT"} &
photo nofactors --groups 4 --chroma 0 --chroma-drop 0 --model-id "$PHOTO_ID-nofactors" ${INIT_NOFACTORS:+--init "$INIT_NOFACTORS"} &
for run in $SPRITE_RUNS; do
  b=${run%%:*} s=${run##*:}; name=sprites-b$b-s$s
  ( $TRAIN --model sprites --device "$DEVICE" --batch "$SPRITE_BATCH" --beta "$b" --seed "$s" --lr 1e-3 \
      --warmup 500 --steps 100000000 --time-budget "$BUDGET" --log-every 2000 \
      --checkpoint "$WORK/ck-$name.safetensors" --checkpoint-every 20000 \
      --model-id facet-sprites -o "$WORK/$name.safetensors" > "$OUT/$name.log" 2>&1
    echo "$name exit $?" >> "$OUT/$name.log" ) &
done
if [ "$DEVICE" = cuda ]; then
  ( sleep 60; nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader ) > $WORK/smi.log 2>&1 &
fi
wait
log "trained"
cat $WORK/smi.log 2>/dev/null
for f in "$OUT"/*.log; do echo "== $f"; grep -E "time budget|exit|eval " "$f" | tail -6; tail -2 "$f"; done
for w in photo nofactors; do
  [ -f "$WORK/$w.safetensors" ] && split -b 15M -d "$WORK/$w.safetensors" "$OUT/$w.safetensors.part"
done
for run in $SPRITE_RUNS; do cp "$WORK/sprites-b${run%%:*}-s${run##*:}.safetensors" "$OUT/" 2>/dev/null; done
tar czf "$OUT/logs.tgz" -C "$OUT" $(cd "$OUT" && ls *.log) && rm -f "$OUT"/*.log
ls -la "$OUT"
log "done"
