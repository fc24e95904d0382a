#!/usr/bin/env python3
"""Writes resize.json: a small RGB image resized with PIL's Image.resize by
each filter Keras's load_img names, to sizes that shrink, enlarge and change
one axis only. The Go test (image_resize_test.go) compares FlowFromDirectory's
resizing with it; it does not need Python.

Run: /usr/bin/python3 preprocessing/testdata/gen_resize.py (numpy, PIL)
"""
import json
import os

import numpy as np
import PIL
from PIL import Image

FILTERS = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR,
           "bicubic": Image.BICUBIC, "lanczos": Image.LANCZOS,
           "box": Image.BOX, "hamming": Image.HAMMING}


def main():
    rng = np.random.RandomState(2)
    src = rng.randint(0, 256, (13, 11, 3)).astype(np.uint8)  # h, w, c
    src[4:9, 3:8] = 250  # an edge, so that filters overshoot and clip
    im = Image.fromarray(src, "RGB")
    out = {"pil": PIL.__version__, "h": 13, "w": 11,
           "image": src.ravel().tolist(), "cases": []}
    for (w, h) in [(5, 7), (29, 17), (11, 4), (4, 13), (3, 30), (1, 1), (22, 26)]:
        for name, f in FILTERS.items():
            r = np.asarray(im.resize((w, h), f))
            out["cases"].append({"filter": name, "w": w, "h": h, "out": r.ravel().tolist()})
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "resize.json")
    with open(path, "w") as fp:
        json.dump(out, fp, separators=(",", ":"))
        fp.write("\n")


if __name__ == "__main__":
    main()
