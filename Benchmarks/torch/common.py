"""Shared pieces of the PyTorch comparison scripts: command line, data, evaluation, report."""

from __future__ import annotations

import argparse
import json
import statistics
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

import mnist

LAYER_SIZES = [784, 500, 500, 500, 500, 10]


def add_common_args(parser: argparse.ArgumentParser, batch: int = 256, lr: float = 0.01) -> None:
    """The flags every script takes; `batch` and `lr` are the script's defaults (the MLP's 256 and
    0.01 unless given)."""
    parser.add_argument("--epochs", type=int, default=1, help="epochs to train (default 1)")
    parser.add_argument("--batch", type=int, default=batch, help=f"mini-batch size (default {batch})")
    parser.add_argument("--lr", type=float, default=lr, help=f"SGD learning rate (default {lr})")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    parser.add_argument("--max-batches", type=int, default=None,
                        help="stop each epoch after this many batches (quick timing of a fraction)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the initialisation and shuffling (default 0)")
    parser.add_argument("--data", default=str(mnist.DEFAULT_DIR), help="directory of the MNIST IDX files")
    parser.add_argument("--json", metavar="PATH", default=None, help="also write the report as JSON")


def check_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.epochs < 1 or args.batch < 1 or args.threads < 1 or args.lr <= 0:
        parser.error("--epochs, --batch, --threads must be >= 1 and --lr > 0")
    if args.max_batches is not None and args.max_batches < 1:
        parser.error("--max-batches must be >= 1")


def setup(args: argparse.Namespace):
    """Threads, seed and data (as torch tensors). Returns (x_train, y_train, x_test, y_test)."""
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    try:
        arrays = mnist.load(args.data)
    except FileNotFoundError as error:
        sys.exit(str(error))
    return tuple(torch.from_numpy(a) for a in arrays)


def epoch_batches(x: torch.Tensor, y: torch.Tensor, batch: int, generator: torch.Generator,
                  max_batches: int | None):
    """The shuffled epoch, gathered into contiguous memory BEFORE the timer starts, so the timed
    loop takes each batch as a free view (no data loading inside the timing)."""
    perm = torch.randperm(x.shape[0], generator=generator)
    xs, ys = x[perm].contiguous(), y[perm].contiguous()
    starts = list(range(0, x.shape[0], batch))
    if max_batches is not None:
        starts = starts[:max_batches]
    return [(xs[s:s + batch], ys[s:s + batch]) for s in starts]


@torch.no_grad()
def accuracy(logits_fn, x: torch.Tensor, y: torch.Tensor, chunk: int = 2000) -> float:
    correct = 0
    for s in range(0, x.shape[0], chunk):
        correct += (logits_fn(x[s:s + chunk]).argmax(dim=1) == y[s:s + chunk]).sum().item()
    return correct / x.shape[0]


def machine_info(threads: int) -> dict:
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "torch_threads": torch.get_num_threads(),
        "requested_threads": threads,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "loadavg_at_start": list(os.getloadavg()),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def print_header(name: str, args: argparse.Namespace, extra: str = "") -> dict:
    info = machine_info(args.threads)
    print(f"{name}: torch {info['torch']} ({info['cpu_capability']}), {info['torch_threads']} threads, "
          f"{info['cpu']}, {info['cores']} cores, load {info['loadavg_at_start'][0]:.2f}")
    print(f"  batch {args.batch}, lr {args.lr}, epochs {args.epochs}, seed {args.seed}"
          + (f", max batches {args.max_batches}" if args.max_batches else "") + extra)
    return info


def epoch_report(epoch: int, seconds: float, batch_seconds: list, samples: int, loss_sum, accuracy: float,
                 **extra) -> dict:
    """The per-epoch row both scripts record, printed as one line; `extra` adds fields (ranks)."""
    batches = len(batch_seconds)
    row = {
        "epoch": epoch, "seconds": seconds, "batches": batches, "samples": samples,
        "samples_per_s": samples / seconds, "ms_per_batch": 1000 * seconds / batches,
        "median_ms_per_batch": 1000 * statistics.median(batch_seconds),
        "first_batch_ms": 1000 * batch_seconds[0],
        "train_loss": float(loss_sum) / samples, "test_accuracy": accuracy, **extra,
        "loadavg_after": list(os.getloadavg()),
    }
    tail = f", ranks {extra['ranks']}" if "ranks" in extra else ""
    print(f"epoch {epoch}: {seconds:.2f} s, {row['samples_per_s']:.0f} samples/s, "
          f"{row['ms_per_batch']:.2f} ms/batch (median {row['median_ms_per_batch']:.2f}; {batches} batches), "
          f"train loss {row['train_loss']:.4f}, test accuracy {100 * accuracy:.2f}%{tail}")
    return row


def write_json(path: str | None, report: dict) -> None:
    if not path:
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    print(f"wrote {path}")


def run_configuration(args: argparse.Namespace) -> dict:
    """The run settings every script records in its report's configuration."""
    return {"batch": args.batch, "lr": args.lr, "epochs": args.epochs, "threads": args.threads,
            "max_batches": args.max_batches, "seed": args.seed}


def timed_epochs(args: argparse.Namespace, x_train: torch.Tensor, y_train: torch.Tensor, step, evaluate,
                 report_extra=dict) -> list:
    """Trains `args.epochs` epochs on batches shuffled with `args.seed`: `step(xb, yb)` trains on
    one batch and returns its (detached) mean loss; `evaluate()` returns the test accuracy after
    the epoch; `report_extra()` adds fields to the epoch report. An epoch's seconds cover its
    batches only (not the evaluation), and each batch is timed for the median. Returns the
    reports."""
    shuffle = torch.Generator().manual_seed(args.seed)
    epochs = []
    for epoch in range(1, args.epochs + 1):
        batches = epoch_batches(x_train, y_train, args.batch, shuffle, args.max_batches)
        loss_sum = torch.zeros(())
        samples = 0
        batch_seconds = []
        start = time.perf_counter()
        for xb, yb in batches:
            t0 = time.perf_counter()
            loss = step(xb, yb)
            batch_seconds.append(time.perf_counter() - t0)
            loss_sum += loss * xb.shape[0]
            samples += xb.shape[0]
        seconds = time.perf_counter() - start
        acc = evaluate()
        epochs.append(epoch_report(epoch, seconds, batch_seconds, samples, loss_sum, acc, **report_extra()))
    return epochs


def train_dense(model, args: argparse.Namespace, x_train: torch.Tensor, y_train: torch.Tensor,
                x_test: torch.Tensor, y_test: torch.Tensor) -> list:
    """Plain SGD training of a dense model (`timed_epochs`); returns the epoch reports."""
    import torch.nn.functional as F
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)

    def step(xb, yb):
        loss = F.cross_entropy(model(xb), yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss.detach()

    def evaluate():
        model.eval()
        acc = accuracy(model, x_test, y_test)
        model.train()
        return acc

    model.train()
    return timed_epochs(args, x_train, y_train, step, evaluate)


def report_dense(script: str, model, layers: str, configuration: dict, args: argparse.Namespace, info: dict,
                 data: tuple) -> None:
    """The rest of a dense script's main(): prints the model line, trains it (`train_dense`) and
    writes the JSON report with `configuration` (the architecture) ahead of the run settings."""
    params = sum(p.numel() for p in model.parameters())
    print(f"  {layers}, {params} parameters")
    epochs = train_dense(model, args, *data)
    write_json(args.json, {
        "script": script, "machine": info,
        "configuration": {**configuration, "parameters": params, **run_configuration(args), "dtype": "float32"},
        "epochs": epochs,
    })
