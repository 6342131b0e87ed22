"""MNIST from the raw IDX files (as written by `make data` into data/mnist), read with numpy only.

Images become float32 rows of 784 pixels scaled to [0, 1] (pixel / 255); labels become int64.
Gzipped files (`*.gz`) are read too.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

# IDX element type codes (third byte of the magic number) -> numpy big-endian dtypes.
_IDX_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

FILES = {
    "train": ("train-images.idx3-ubyte", "train-labels.idx1-ubyte"),
    "test": ("t10k-images.idx3-ubyte", "t10k-labels.idx1-ubyte"),
}

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "data" / "mnist"


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Reads one IDX file into an array of its stored shape and type."""
    path = Path(path)
    if not path.exists() and Path(str(path) + ".gz").exists():
        path = Path(str(path) + ".gz")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise ValueError(f"{path}: not an IDX file (magic {raw[:4].hex()})")
    dtype, ndim = _IDX_TYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    count = int(np.prod(shape)) if shape else 1
    if len(raw) - header != count * dtype.itemsize:
        raise ValueError(f"{path}: {len(raw) - header} data bytes, shape {shape} needs {count * dtype.itemsize}")
    return np.frombuffer(raw, dtype=dtype, count=count, offset=header).reshape(shape)


def load_split(split: str, directory: str | os.PathLike = DEFAULT_DIR) -> tuple[np.ndarray, np.ndarray]:
    """(images, labels) of `split` ("train" or "test"): images float32 N×784 in [0, 1], labels int64 N."""
    directory = Path(directory)
    if split not in FILES:
        raise ValueError(f"split must be one of {sorted(FILES)}, not {split!r}")
    image_file, label_file = FILES[split]
    images = read_idx(directory / image_file)
    labels = read_idx(directory / label_file)
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(f"{directory}: images {images.shape} and labels {labels.shape} do not match")
    x = images.reshape(images.shape[0], -1).astype(np.float32) / np.float32(255)
    return np.ascontiguousarray(x), labels.astype(np.int64)


def load(directory: str | os.PathLike = DEFAULT_DIR):
    """(x_train, y_train, x_test, y_test) as numpy arrays; raises with a hint if the files are missing."""
    directory = Path(directory)
    if not (directory / FILES["train"][0]).exists() and not (directory / (FILES["train"][0] + ".gz")).exists():
        raise FileNotFoundError(f"no MNIST IDX files in {directory}: run `make data` first")
    x_train, y_train = load_split("train", directory)
    x_test, y_test = load_split("test", directory)
    return x_train, y_train, x_test, y_test


if __name__ == "__main__":
    xs = load()
    for name, a in zip(("x_train", "y_train", "x_test", "y_test"), xs):
        print(f"{name}: {a.shape} {a.dtype} min {a.min()} max {a.max()}")
