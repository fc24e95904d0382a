#!/usr/bin/env python3
"""Writes the small class folders under images/ and images.json, what Keras's
load_img(path, target_size=(10, 12), interpolation=...) makes of each file
(PIL: Image.open, convert('RGB') when the mode is not RGB, resize((12, 10))
when the size differs), in Keras's file order, for nearest and bilinear
resizing, and with color_mode='grayscale' (convert('L')) for nearest. The Go test
(image_dir_test.go) reads FlowFromDirectory's batches against it; it does
not need Python.

images/
  cat/   a colour JPEG (40x30), a grayscale JPEG (mode L), sub/ an RGBA PNG
  dog/   a 24-bit BMP, an 8-bit paletted BMP, a 3x2 PNG (smaller than the
         target), a 12x10 PNG (the target size: not resized), notes.txt
  zebra/ README.txt only: a class without images

Run: /usr/bin/python3 preprocessing/testdata/gen_images.py (numpy, PIL)
"""
import json
import os

import numpy as np
import PIL
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "images")


def smooth(h, w, c, seed):
    rng = np.random.RandomState(seed)
    y, x = np.mgrid[0:h, 0:w]
    out = np.zeros((h, w, c))
    for k in range(c):
        a, b, p = rng.uniform(0.1, 0.5, 3)
        out[:, :, k] = 127 + 120 * np.sin(a * x + b * y + p * 6)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def main():
    for d in ("cat/sub", "dog", "zebra"):
        os.makedirs(os.path.join(ROOT, d), exist_ok=True)
    Image.fromarray(smooth(30, 40, 3, 1), "RGB").save(os.path.join(ROOT, "cat", "c1.jpg"), quality=90)
    Image.fromarray(smooth(25, 20, 1, 2)[:, :, 0], "L").save(os.path.join(ROOT, "cat", "c2_gray.JPG"), quality=90)
    Image.fromarray(smooth(9, 14, 4, 3), "RGBA").save(os.path.join(ROOT, "cat", "sub", "c3.png"))
    Image.fromarray(smooth(8, 10, 3, 4), "RGB").save(os.path.join(ROOT, "dog", "d1.bmp"))
    Image.fromarray(smooth(11, 7, 3, 5), "RGB").convert("P", palette=Image.ADAPTIVE, colors=16).save(os.path.join(ROOT, "dog", "d2_pal.bmp"))
    Image.fromarray(smooth(2, 3, 3, 6), "RGB").save(os.path.join(ROOT, "dog", "d3_tiny.png"))
    Image.fromarray(smooth(10, 12, 3, 7), "RGB").save(os.path.join(ROOT, "dog", "d4_same.png"))
    with open(os.path.join(ROOT, "dog", "notes.txt"), "w") as f:
        f.write("not an image\n")
    with open(os.path.join(ROOT, "zebra", "README.txt"), "w") as f:
        f.write("A class folder without images: Keras keeps the class, with no samples.\n")

    files = ["cat/c1.jpg", "cat/c2_gray.JPG", "cat/sub/c3.png",
             "dog/d1.bmp", "dog/d2_pal.bmp", "dog/d3_tiny.png", "dog/d4_same.png"]
    out = {"pil": PIL.__version__, "target": [10, 12], "files": files,
           "classes": [0, 0, 0, 1, 1, 1, 1], "class_names": ["cat", "dog", "zebra"], "loaded": {}}
    for interp, f in (("nearest", Image.NEAREST), ("bilinear", Image.BILINEAR)):
        arrs = []
        for name in files:
            im = Image.open(os.path.join(ROOT, name))
            if im.mode != "RGB":
                im = im.convert("RGB")
            if im.size != (12, 10):
                im = im.resize((12, 10), f)
            arrs.append(np.asarray(im, dtype=np.float32).ravel().tolist())
        out["loaded"][interp] = arrs
    # color_mode='grayscale': convert('L') when the mode is not L, then resize.
    arrs = []
    for name in files:
        im = Image.open(os.path.join(ROOT, name))
        if im.mode != "L":
            im = im.convert("L")
        if im.size != (12, 10):
            im = im.resize((12, 10), Image.NEAREST)
        arrs.append(np.asarray(im, dtype=np.float32).ravel().tolist())
    out["loaded"]["grayscale_nearest"] = arrs
    with open(os.path.join(HERE, "images.json"), "w") as fp:
        json.dump(out, fp, separators=(",", ":"))
        fp.write("\n")


if __name__ == "__main__":
    main()
