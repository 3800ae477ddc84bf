#!/usr/bin/env bash
# The photo model's CPU training campaign: starts it, or resumes it, in the background on this
# machine. One run spans sessions: its checkpoint (weights + Adam state) stays in $WORK while the
# machine is kept; on a new machine the run restarts from the campaign's F16 weights in the
# repository (models/campaign/, Adam state re-warmed). Evaluations go to the held-out BSDS500 test
# crops, never Kodak. docs/training.md says why the recipe is what it is; models/README.md records
# each session's steps and held-out curve.
#
#   bash scripts/cpu_campaign.sh start     # in the background: log $WORK/train.log, pid $WORK/pid
#   bash scripts/cpu_campaign.sh status    # this session's steps and steps/s, the last evaluation
#   bash scripts/cpu_campaign.sh pause     # SIGSTOP around a timing measurement (no restart cost)
#   bash scripts/cpu_campaign.sh resume    # SIGCONT
#   bash scripts/cpu_campaign.sh stop      # ends the run (its last checkpoint stays)
#   bash scripts/cpu_campaign.sh export    # F16 weights of the last checkpoint -> models/campaign/
#   bash scripts/cpu_campaign.sh export-ema D [FILE]
#                                          # F16 weights of its average of decay D -> FILE
#                                          # (default $WORK/ema-D.safetensors.zst; not in git)
#
# The run takes only idle cycles: nice 19 and SCHED_IDLE (where the kernel allows), so that builds,
# tests and measurements take the CPU first. OpenMP's waiting threads sleep (OMP_WAIT_POLICY=PASSIVE):
# with libgomp's default spinning, a 2-thread trainer beside a 2-job build made 0 steps in the 64 s of
# the build (one thread preempted, the other spinning at the barrier); passive, 15 (models/README.md).
#
# THREADS (default 2: the run is at idle priority, so it need not leave a core free),
# DATA (default ../shared/data/train), STEPS (the run's total; the learning rate is held until 80%
# of it), WORK (default /var/tmp/facet-campaign), RATE_POINT_WEIGHTS (default lambda, the plain
# loss; relative is the trainer's default), CHROMA_LUMA_WEIGHT (default 1: the weight of the
# grayscale decode in the drop-chroma steps; at 0.25 its luma fell to 34.6 dB on Kodak after 22000
# steps, under the factor issue's 35 dB, and 5000 steps at 0.5 lifted it only to 34.9 dB;
# models/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${WORK:-/var/tmp/facet-campaign}
DATA=${DATA:-../shared/data/train}
THREADS=${THREADS:-2}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
STEPS=${STEPS:-1000000}
ID=${ID:-facet-photo-campaign-1}
FACET=${FACET:-build/facet}
PYTHON=${PYTHON:-/usr/bin/python3}  # Debian's, with python3-pil and python3-numpy
SAVED=models/campaign/$ID.safetensors.zst
# Ten rate points since campaign step 30500 (local 24500): the three lowest (0.00026 .. 0.00095)
# were added to the seven it started with, so that the model reaches down to ~0.15 bpp; a
# checkpoint or F16 weights with the seven get the three by extrapolation of their gains
# (train/rate_points.h).
LAMBDAS=0.00026,0.0005,0.00095,0.0018,0.0035,0.0067,0.013,0.025,0.0483,0.0932
CHROMA_LUMA_WEIGHT=${CHROMA_LUMA_WEIGHT:-1}
# How the rate points weigh in the shared transforms (--rate-point-weights). The campaign keeps the
# plain loss ("lambda"): from scratch "relative" is better (BD-rate -13.4% / -7.6% at N=64, 10000
# steps; docs/training.md), but this model was trained 45000 steps with the top rate points setting
# its transforms, and 4000 steps of "relative" (campaign steps 45500-49500) moved quality from the
# top, where Facet is behind JPEG, to the bottom: decayed, +0.1 dB at the lowest rate point, -0.3 dB
# at the highest, -1.2% BD-rate on the held-out photos (models/README.md).
RATE_POINT_WEIGHTS=${RATE_POINT_WEIGHTS:-lambda}
# Group context (FORMAT.md §5.6.2): hidden channels of the networks that predict structure.1,
# structure.2 and chroma from the groups before them. 0: the campaign stays without it — a branch of
# 1200 steps with 96 channels, then 1500 steps of the context alone, gave -0.5% BD-rate on the
# held-out crops against the same steps without (docs/training.md).
CONTEXT_CHANNELS=${CONTEXT_CHANNELS:-0}
MODEL=(--n 128 --m 192 --hyper-n 128 --groups 3 --chroma 48 --context-channels $CONTEXT_CHANNELS --lambdas $LAMBDAS)
# Exponential moving averages of the weights (--ema): kept in the checkpoint, evaluated beside the
# weights at every evaluation (the "eval  step N  ema D" lines). The campaign holds its learning
# rate, so its weights jitter around the optimum; an average of the last ~1/(1-D) steps may get
# what a decay branch gets without spending steps on it (docs/training.md).
EMA=${EMA:-0.999,0.9998}
# INIT: weights to start a new run from (no checkpoint in $WORK): the campaign's exported F16
# weights by default; another model's (a branch) to move the campaign onto it.
INIT=${INIT:-}
mkdir -p "$WORK"

need_python() {
  if ! "$PYTHON" -c 'import numpy, PIL' 2>/dev/null; then
    echo "cpu_campaign: $PYTHON needs numpy and PIL to pack the crops: apt-get install python3-numpy python3-pil" >&2
    exit 1
  fi
}

pack() {
  if [ ! -f "$WORK/crops.bin" ]; then
    need_python
    # BSDS500 train + val and the Wikipedia photos; BSDS500 test stays held out.
    "$PYTHON" scripts/pack_crops.py --size 256 --per-image 12 --seed 7 -o "$WORK/crops.bin" \
      "$DATA/bsds500/train" "$DATA/bsds500/val" "$DATA/wikipedia-photos"
  fi
  if [ ! -f "$WORK/eval.bin" ]; then
    need_python
    "$PYTHON" scripts/pack_crops.py --size 256 --centre --limit 16 -o "$WORK/eval.bin" "$DATA/bsds500/test"
  fi
}

# The local step of a checkpoint (its safetensors metadata).
checkpoint_step() {
  "$PYTHON" - "$1" <<'PY'
import json, struct, sys
with open(sys.argv[1], "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    print(json.loads(f.read(n))["__metadata__"]["train.step"])
PY
}

running() { [ -f "$WORK/pid" ] && kill -0 "$(cat "$WORK/pid")" 2>/dev/null; }

case "${1:-status}" in
  start)
    if running; then
      echo "running already (pid $(cat "$WORK/pid"))"; exit 0
    fi
    pack
    start=()
    if [ -f "$WORK/ck.safetensors" ]; then start=(--resume)
    elif [ -n "$INIT" ]; then start=(--init "$INIT")
    elif [ -f "$SAVED" ]; then start=(--init "$SAVED")
    fi
    idle=(nice -n 19)
    if chrt --idle 0 true 2>/dev/null; then idle=(chrt --idle 0 nice -n 19); fi
    # This session's first step and its start time, for `status`.
    if [ "${start[*]}" = "--resume" ]; then first=$(checkpoint_step "$WORK/ck.safetensors"); else first=0; fi
    echo "$(date +%s) $first $(cat "$WORK/train.log" 2>/dev/null | wc -l)" > "$WORK/session"
    nohup "${idle[@]}" "$FACET" train --data "$WORK/crops.bin" --eval "$WORK/eval.bin" "${MODEL[@]}" \
      --rate-points per-image --rate-point-weights "$RATE_POINT_WEIGHTS" --chroma-luma-weight "$CHROMA_LUMA_WEIGHT" --batch 8 --patch 128 --lr 3e-4 --lr-schedule step --final-lr 0.2 --warmup 300 \
      --steps "$STEPS" --threads "$THREADS" --checkpoint "$WORK/ck.safetensors" --checkpoint-every 500 \
      --eval-every 2000 --log-every 200 --seed "$RANDOM" --model-id "$ID" --ema "$EMA" "${start[@]}" \
      >> "$WORK/train.log" 2>&1 &
    echo $! > "$WORK/pid"
    echo "started (pid $!, ${start[*]:-from scratch}); log $WORK/train.log"
    ;;
  status)
    state="not running"
    if running; then
      state="running (pid $(cat "$WORK/pid"))"
      [ "$(ps -o state= -p "$(cat "$WORK/pid")")" = T ] && state="paused (pid $(cat "$WORK/pid"))"
    fi
    echo "$state"
    # Only this session's lines: the log is appended to by every start.
    skip=0
    [ -f "$WORK/session" ] && read -r _ _ skip < "$WORK/session"
    last=$(tail -n +"$((skip + 1))" "$WORK/train.log" | grep -E "^train step" | tail -n 1 || true)
    [ -n "$last" ] && echo "$last"
    if [ -f "$WORK/session" ] && [ -n "$last" ]; then
      read -r t0 first _ < "$WORK/session"
      step=$(echo "$last" | awk '{print $3}')
      now=$(date +%s)
      awk -v s="$step" -v f="$first" -v t="$((now - t0))" 'BEGIN {
        printf "this session: %d steps (local %d -> %d) in %.0f min, %.2f steps/s on average (pauses included)\n",
               s - f, f, s, t / 60, (t > 0 ? (s - f) / t : 0) }'
    fi
    grep -E "^eval" "$WORK/train.log" | tail -n 10 || true
    ;;
  pause)
    running && kill -STOP "$(cat "$WORK/pid")" && echo paused || echo "not running"
    ;;
  resume)
    running && kill -CONT "$(cat "$WORK/pid")" && echo resumed || echo "not running"
    ;;
  stop)
    if running; then
      kill -CONT "$(cat "$WORK/pid")"  # a paused run would not see the TERM
      # The trainer ends its current step (and an evaluation under way), writes its checkpoint and
      # exits: no steps are lost. Gone before this returns, so that a `start` right after it does
      # not find it running; a second TERM after 10 minutes ends it at once.
      kill "$(cat "$WORK/pid")" 2>/dev/null
      for _ in $(seq 6000); do kill -0 "$(cat "$WORK/pid")" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$(cat "$WORK/pid")" 2>/dev/null && kill "$(cat "$WORK/pid")" 2>/dev/null
      echo "stopped at local step $(checkpoint_step "$WORK/ck.safetensors")"
    else
      echo "not running"
    fi
    ;;
  export)
    step=$(checkpoint_step "$WORK/ck.safetensors")
    mkdir -p models/campaign
    pack
    "$FACET" train --data "$WORK/eval.bin" "${MODEL[@]}" --checkpoint "$WORK/ck.safetensors" --resume \
      --steps "$step" --f16-weights --model-id "$ID" -o "$WORK/export.safetensors.zst"
    mv "$WORK/export.safetensors.zst" "$SAVED"
    echo "exported step $step -> $SAVED"
    ;;
  export-ema)
    decay=${2:?usage: $0 export-ema DECAY [FILE]}
    out=${3:-$WORK/ema-$decay.safetensors.zst}
    step=$(checkpoint_step "$WORK/ck.safetensors")
    pack
    "$FACET" train --data "$WORK/eval.bin" "${MODEL[@]}" --checkpoint "$WORK/ck.safetensors" --resume \
      --steps "$step" --f16-weights --model-id "$ID" --export-ema "$decay" -o "$WORK/export-ema.safetensors.zst"
    mv "$WORK/export-ema.safetensors.zst" "$out"
    echo "exported the average of decay $decay at step $step -> $out"
    ;;
  *) echo "usage: $0 start|status|pause|resume|stop|export|export-ema DECAY [FILE]" >&2; exit 2 ;;
esac
