#!/usr/bin/env python3
"""Writes affine.json: images transformed as Keras 2.2's apply_transform
(keras_preprocessing 1.0.5 image.py) transforms them, with scipy.ndimage.

The matrices are built as apply_affine_transform builds them (rotation,
shift, shear, zoom, then transform_matrix_offset_center), every channel goes
through scipy.ndimage.affine_transform(order=1, mode=fill_mode, cval=cval),
and the flips follow (flip_axis on the column axis, then the row axis).
Inputs and outputs are float32, as Keras's are. The Go test
(preprocessing/image_test.go) reads the file; it does not need Python.

Run: /usr/bin/python3 preprocessing/testdata/gen_affine.py (numpy, scipy)
"""
import json
import os

import numpy as np
import scipy
import scipy.ndimage


def keras_matrix(theta, tx, ty, shear, zx, zy, h, w):
    m = None
    if theta != 0:
        t = np.deg2rad(theta)
        m = np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])
    if tx != 0 or ty != 0:
        s = np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]])
        m = s if m is None else np.dot(m, s)
    if shear != 0:
        sh = np.deg2rad(shear)
        s = np.array([[1, -np.sin(sh), 0], [0, np.cos(sh), 0], [0, 0, 1]])
        m = s if m is None else np.dot(m, s)
    if zx != 1 or zy != 1:
        z = np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]])
        m = z if m is None else np.dot(m, z)
    if m is None:
        return None
    o_x = float(h) / 2 + 0.5
    o_y = float(w) / 2 + 0.5
    offset = np.array([[1, 0, o_x], [0, 1, o_y], [0, 0, 1]])
    reset = np.array([[1, 0, -o_x], [0, 1, -o_y], [0, 0, 1]])
    return np.dot(np.dot(offset, m), reset)


def apply(x, p, mode, cval):
    h, w = x.shape[0], x.shape[1]
    m = keras_matrix(p["theta"], p["tx"], p["ty"], p["shear"], p["zx"], p["zy"], h, w)
    if m is not None:
        chans = [scipy.ndimage.affine_transform(x[:, :, k], m[:2, :2], m[:2, 2],
                                                order=1, mode=mode, cval=cval)
                 for k in range(x.shape[2])]
        x = np.stack(chans, axis=2)
    if p.get("flip_horizontal"):
        x = x[:, ::-1, :]
    if p.get("flip_vertical"):
        x = x[::-1, :, :]
    return x, m


def p(theta=0, tx=0, ty=0, shear=0, zx=1, zy=1, fh=False, fv=False):
    return dict(theta=theta, tx=tx, ty=ty, shear=shear, zx=zx, zy=zy,
                flip_horizontal=fh, flip_vertical=fv)


def flat(a):
    return [float("%.9g" % v) for v in np.asarray(a, dtype=np.float64).ravel()]


def main():
    rng = np.random.RandomState(1)
    images = {
        "9x7x3": rng.uniform(0, 1, (9, 7, 3)).astype(np.float32),
        "1x6x1": rng.uniform(0, 1, (1, 6, 1)).astype(np.float32),
        "8x8x1": np.round(rng.uniform(0, 255, (8, 8, 1))).astype(np.float32),
    }
    cases = [
        ("9x7x3", p(theta=17.3)),
        ("9x7x3", p(tx=1.7, ty=-2.4)),
        ("9x7x3", p(tx=2, ty=-3)),
        ("9x7x3", p(shear=23)),
        ("9x7x3", p(zx=0.8, zy=1.3)),
        ("9x7x3", p(theta=-31, tx=2.2, ty=1.1, shear=12, zx=1.15, zy=0.85, fh=True)),
        ("9x7x3", p(theta=95, tx=-9.5, ty=13, zx=2.5, zy=1.7, fv=True)),
        ("9x7x3", p(theta=200, tx=30.25, ty=-41.5, shear=-40, zx=3.1, zy=4.3, fh=True, fv=True)),
        ("9x7x3", p(fh=True, fv=True)),
        ("1x6x1", p(theta=10, tx=0.4, zy=1.5)),
        ("8x8x1", p(theta=45, zx=0.7, zy=0.7)),
    ]
    modes = {"nearest": 0.0, "constant": 0.5, "reflect": 0.0, "wrap": 0.0}
    out = {"scipy": scipy.__version__, "numpy": np.__version__,
           "images": {k: {"shape": list(v.shape), "data": flat(v)} for k, v in images.items()},
           "cases": []}
    for name, prm in cases:
        c = {"image": name, "params": prm, "outputs": {}, "cval": modes}
        for mode, cval in modes.items():
            y, m = apply(images[name], prm, mode, cval)
            assert y.dtype == np.float32
            c["outputs"][mode] = flat(y)
        c["matrix"] = None if m is None else [list(map(float, r)) for r in m]
        out["cases"].append(c)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "affine.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
