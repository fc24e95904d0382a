#!/usr/bin/env python3
"""Writes the PIL fixtures that internal/img's tests compare against.

Run it from this directory with Pillow installed (Debian: python3-pil; these
fixtures were written with Pillow 9.4.0):

    python3 gen_pil.py /path/to/flowers17/jpg

The Go tests read only the files this script writes; they never run Python.

Inputs it writes (copied or derived from the Oxford 17 Flowers JPEGs):
  image_NNNN.jpg    three original JPEGs, copied byte for byte
  crop.png          a lossless 200x150 crop of image_0001 (resize-only test)
  tiny.png          a lossless 40x30 crop of image_0161 (upscaling test)
  gray.jpg          a grayscale JPEG made from a crop of image_1201
  cmyk.jpg          a CMYK (Adobe) JPEG made from a crop of image_0161
  s444.jpg, s422.jpg, s420.jpg
                    67x45 crops of image_1201 saved with 4:4:4, 4:2:2 and
                    4:2:0 chroma subsampling (odd sizes: the edge cases of
                    libjpeg's chroma upsampling)

Expected outputs, all 8-bit RGB PNGs:
  <input>_WxH.png   Image.open(p).convert('RGB').resize((W, H), Image.LANCZOS)
  <input>_rgb.png   Image.open(p).convert('RGB') (the decoder + conversion alone)
"""
import os
import shutil
import sys

from PIL import Image

src = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/flowers17/jpg"
JPEGS = ["image_0001.jpg", "image_0161.jpg", "image_1201.jpg"]


def resized(path, w, h):
    out = Image.open(path).convert("RGB").resize((w, h), Image.LANCZOS)
    stem = os.path.splitext(path)[0]
    out.save("%s_%dx%d.png" % (stem, w, h))


def decoded(path):
    stem = os.path.splitext(path)[0]
    Image.open(path).convert("RGB").save("%s_rgb.png" % stem)


for name in JPEGS:
    shutil.copyfile(os.path.join(src, name), name)
    resized(name, 224, 224)

im = Image.open(os.path.join(src, "image_0001.jpg")).convert("RGB")
im.crop((250, 180, 450, 330)).save("crop.png")
im = Image.open(os.path.join(src, "image_0161.jpg")).convert("RGB")
im.crop((200, 200, 240, 230)).save("tiny.png")
im.crop((100, 100, 164, 148)).convert("CMYK").save("cmyk.jpg", quality=90)
im = Image.open(os.path.join(src, "image_1201.jpg")).convert("RGB")
im.crop((100, 100, 196, 172)).convert("L").save("gray.jpg", quality=90)

for name, sub in [("s444.jpg", 0), ("s422.jpg", 1), ("s420.jpg", 2)]:
    im.crop((300, 200, 367, 245)).save(name, quality=85, subsampling=sub)

resized("crop.png", 224, 224)  # 200x150 -> 224x224: up in both
resized("crop.png", 61, 47)  # a strong, odd downscale
resized("crop.png", 200, 40)  # vertical only
resized("crop.png", 57, 150)  # horizontal only
resized("tiny.png", 224, 224)  # 40x30 -> 224x224: a strong upscale
resized("gray.jpg", 32, 24)
resized("cmyk.jpg", 32, 24)
for name in ["gray.jpg", "cmyk.jpg", "image_0161.jpg", "s444.jpg", "s422.jpg", "s420.jpg"]:
    decoded(name)
