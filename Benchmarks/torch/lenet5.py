"""Dense LeNet5 on MNIST with plain SGD: the PyTorch baseline of `dlrt train --arch lenet5`.

The network of `Architecture.lenet5` (Sources/LowRankNN/Architecture.swift): conv 1→20 (5×5),
ReLU, max pool 2, conv 20→50 (5×5), ReLU, max pool 2, flatten (800), Linear 800→500, ReLU,
Linear 500→10; PyTorch's default initialisation, softmax cross-entropy, float32. Defaults as the
DLRT paper's LeNet5 experiment (and `make table-lenet`): batch 128, SGD learning rate 0.05.

Timed: the training loop only (forward + backward + SGD step for every batch of the epoch); the
shuffle and gather of the epoch happen before the clock starts and the test evaluation after it.
"""

from __future__ import annotations

import argparse

import torch.nn as nn

import common

IMAGE = (1, 28, 28)
LAYERS = "conv 1→20 5×5, relu, maxpool 2, conv 20→50 5×5, relu, maxpool 2, 800-500-10"


def make_model() -> nn.Sequential:
    return nn.Sequential(  # PyTorch default init everywhere
        nn.Conv2d(1, 20, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(20, 50, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(800, 500), nn.ReLU(),
        nn.Linear(500, 10),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common.add_common_args(parser, batch=128, lr=0.05)
    args = parser.parse_args()
    common.check_args(parser, args)
    x_train, y_train, x_test, y_test = common.setup(args)
    # Rows of 784 pixels as 1×28×28 images: a view, no copy.
    x_train, x_test = x_train.view(-1, *IMAGE), x_test.view(-1, *IMAGE)
    info = common.print_header("lenet5", args)

    common.report_dense("lenet5", make_model(), LAYERS, {"architecture": "lenet5", "layers": LAYERS}, args, info,
                        (x_train, y_train, x_test, y_test))


if __name__ == "__main__":
    main()
