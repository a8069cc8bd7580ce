"""Regenerate resources/digits.npz from scikit-learn's bundled copy of the UCI digits.

Run once by a developer (scikit-learn is *not* a dependency of rnnsim, only of this script):

    pip install scikit-learn          # e.g. into a throw-away --target directory
    python resources/make_digits.py

The data is the test part of the UCI "Optical Recognition of Handwritten Digits" set
(E. Alpaydin, C. Kaynak, 1998), 1797 images of 8×8 pixels with values 0..16, licensed
CC BY 4.0 (https://doi.org/10.24432/C50P49). The app reads it as 8 steps of 8 pixels.
"""
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

bunch = load_digits()
images = np.asarray(bunch.images, dtype=np.uint8)          # (1797, 8, 8), 0..16
labels = np.asarray(bunch.target, dtype=np.uint8)          # (1797,), 0..9
assert images.shape[1:] == (8, 8) and images.max() <= 16 and labels.max() == 9
out = Path(__file__).with_name("digits.npz")
np.savez_compressed(out, images=images, labels=labels)
print(f"wrote {out}: {images.shape[0]} images")
