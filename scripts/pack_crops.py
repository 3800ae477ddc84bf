#!/usr/bin/env python3
"""Packs random crops of photos into a Facet crops file (train/crops.h: "FCTCROP1", u32 crop size,
u64 count, then RGB bytes), the input of `facet-train`.

`facet train --save-crops` does the same with the project's own image I/O. This script is for the
accelerator machine, which has Python with Pillow and NumPy but not the project's image
libraries: there, carry the photos themselves (JPEGs are ~10x smaller than raw crops) and pack them
on arrival. Like `facet train`, photos larger than --max-edge are downscaled first (area filter),
and smaller than the crop size are skipped. Deterministic for a given --seed and file list.

  python3 scripts/pack_crops.py --size 256 --per-image 6 -o crops.bin photos/ more_photos/
"""
import argparse
import os
import struct
import sys

import numpy as np
from PIL import Image


def photos(dirs):
    exts = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".tif", ".tiff", ".webp")
    found = []
    for d in dirs:
        for root, _, files in os.walk(d, followlinks=True):
            found += [os.path.join(root, f) for f in files if f.lower().endswith(exts)]
    return sorted(found)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dirs", nargs="+", help="folders of photos (searched recursively)")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--size", type=int, default=256, help="crop edge")
    ap.add_argument("--per-image", type=int, default=6, help="crops per photo")
    ap.add_argument("--per-megapixel", type=float, default=0,
                    help="crops per megapixel of the (downscaled) photo, at least one; replaces --per-image")
    ap.add_argument("--max-edge", type=int, default=1024, help="downscale larger photos to this longer edge")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="downscale every photo by this factor (area filter, after --max-edge): 0.75 or 0.5 "
                         "average away most of a JPEG's blocking and ringing")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--centre", action="store_true",
                    help="one crop from the centre of each photo (a held-out set), not random ones")
    ap.add_argument("--limit", type=int, default=0, help="only the first K photos (sorted by path)")
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    tmp = a.output + ".tmp"
    count = used = 0
    with open(tmp, "wb") as out:
        out.write(b"FCTCROP1" + struct.pack("<IQ", a.size, 0))
        paths = photos(a.dirs)
        for path in paths[:a.limit] if a.limit > 0 else paths:
            try:
                im = Image.open(path)
                im = im.convert("RGB")
            except Exception as e:  # not an image: skipped, as facet train does
                print(f"pack_crops: skipping {path}: {e}", file=sys.stderr)
                continue
            longest = max(im.size)
            if longest > a.max_edge:
                f = a.max_edge / longest
                im = im.resize((max(1, round(im.width * f)), max(1, round(im.height * f))), Image.BOX)
            if not 0 < a.scale <= 1:
                sys.exit(f"pack_crops: --scale must be in (0, 1], not {a.scale}")
            if a.scale < 1:
                im = im.resize((max(1, round(im.width * a.scale)), max(1, round(im.height * a.scale))), Image.BOX)
            px = np.asarray(im, dtype=np.uint8)
            h, w, _ = px.shape
            if h < a.size or w < a.size:
                continue
            used += 1
            n = max(1, round(a.per_megapixel * h * w / 1e6)) if a.per_megapixel > 0 else a.per_image
            if a.centre:
                n = 1
            for _ in range(n):
                if a.centre:  # as Pillow's centre crop: (w - size) // 2, (h - size) // 2
                    y0, x0 = (h - a.size) // 2, (w - a.size) // 2
                else:
                    y0 = int(rng.integers(0, h - a.size + 1))
                    x0 = int(rng.integers(0, w - a.size + 1))
                out.write(np.ascontiguousarray(px[y0:y0 + a.size, x0:x0 + a.size]).tobytes())
                count += 1
        if count == 0:
            out.close()
            os.remove(tmp)
            sys.exit(f"pack_crops: no photo of at least {a.size} pixels in {' '.join(a.dirs)}")
        out.seek(8)
        out.write(struct.pack("<IQ", a.size, count))
    os.replace(tmp, a.output)
    print(f"pack_crops: {count} crops of {a.size}x{a.size} from {used} photos -> {a.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
