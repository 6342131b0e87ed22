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

    model = make_model()
    params = sum(p.numel() for p in model.parameters())
    print(f"  {'-'.join(map(str, common.LAYER_SIZES))}, {params} parameters")

    epochs = common.train_dense(model, args, x_train, y_train, x_test, y_test)

    common.write_json(args.json, {
        "script": "dense_mlp", "machine": info,
        "configuration": {"layers": common.LAYER_SIZES, "parameters": params, "batch": args.batch,
                          "lr": args.lr, "epochs": args.epochs, "threads": args.threads,
                          "max_batches": args.max_batches, "seed": args.seed, "dtype": "float32"},
        "epochs": epochs,
    })


if __name__ == "__main__":
    main()
