"""`load_data()` from the raw IDX files in $MNIST_DIR, as uint8 arrays shaped like Keras's."""
import os

import numpy as np


def _idx(path: str) -> np.ndarray:
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] != b"\x00\x00" or data[2] != 8:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    array = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims)
    if array.size != int(np.prod(shape)):
        raise ValueError(f"{path}: {array.size} values for dimensions {shape}")
    return array.reshape(shape)


def load_data(path=None):
    d = os.environ["MNIST_DIR"]
    return ((_idx(os.path.join(d, "train-images.idx3-ubyte")), _idx(os.path.join(d, "train-labels.idx1-ubyte"))),
            (_idx(os.path.join(d, "t10k-images.idx3-ubyte")), _idx(os.path.join(d, "t10k-labels.idx1-ubyte"))))
