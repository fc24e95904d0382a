#!/usr/bin/env python3
"""Writes the .npy fixtures of npy_test.go with numpy (run once, from
datasets/: python3 testdata/make_npy.py). The values are small formulas
that the test recomputes."""
import numpy as np

np.save("testdata/u1_2x3.npy", (np.arange(6, dtype=np.uint8) * 40).reshape(2, 3))
np.save("testdata/f4_3x2x2.npy", (np.arange(12, dtype=np.float32) / 4 - 1).reshape(3, 2, 2))
np.save("testdata/f8_4.npy", np.arange(4, dtype=np.float64) * 0.5)
np.save("testdata/i4_2x2.npy", np.array([[-3, 7], [100000, -2147483648]], dtype=np.int32))
np.save("testdata/i8_3.npy", np.array([-1, 0, 1 << 40], dtype=np.int64))
np.save("testdata/f4_scalar.npy", np.float32(2.5))
np.save("testdata/f4_big_endian.npy", np.arange(3, dtype=">f4"))
np.save("testdata/f4_fortran.npy", np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
np.save("testdata/c8.npy", np.arange(2, dtype=np.complex64))
# version 2.0: a header over 65,535 bytes would need it; force it instead.
with open("testdata/u1_v2.npy", "wb") as f:
    np.lib.format.write_array(f, np.arange(5, dtype=np.uint8), version=(2, 0))
with open("testdata/u1_v3.npy", "wb") as f:
    np.lib.format.write_array(f, np.arange(5, dtype=np.uint8), version=(3, 0))
