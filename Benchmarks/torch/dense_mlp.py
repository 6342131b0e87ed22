"""Dense MLP 784-500-500-500-500-10 (ReLU) on MNIST with plain SGD: the PyTorch baseline.

Timed: the training loop only (forward + backward + SGD step for every batch of the epoch); the
shuffle and gather of the epoch happen before the clock starts and the test evaluation after it.
"""

from __future__ import annotations

import argparse

import torch.nn as nn

import common


def make_model() -> nn.Sequential:
    layers: list[nn.Module] = []
    sizes = common.LAYER_SIZES
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))  # PyTorch default init
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common.add_common_args(parser)
    args = parser.parse_args()
    common.check_args(parser, args)
    x_train, y_train, x_test, y_test = common.setup(args)
    info = common.print_header("dense_mlp", args)

    common.report_dense("dense_mlp", make_model(), "-".join(map(str, common.LAYER_SIZES)),
                        {"layers": common.LAYER_SIZES}, args, info, (x_train, y_train, x_test, y_test))


if __name__ == "__main__":
    main()
