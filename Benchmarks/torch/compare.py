"""Training speed of dlrt against PyTorch on the same work, measured in one run.

Runs, one after another with the same threads, batch, learning rate, data and epochs:
  ours dense      dlrt train --mode dense     (SGD)
  ours DLRT       dlrt train --mode adaptive  (SGD, τ, start rank, max rank)
  torch dense     Benchmarks/torch/dense_mlp.py
  torch DLRT      Benchmarks/torch/dlrt_reference.py (three passes per batch, as the reference)
and prints a Markdown table of seconds per epoch, samples/s and the ratios the project tracks:
ours dense / torch dense (goal ≤ 0.9), ours DLRT / torch dense (goal ≤ 1/3) and ours DLRT /
torch DLRT (goal ≤ 1/10). Usage (from the repository root, after `make bench-torch` created the
virtualenv): `make bench-compare`.
"""
import argparse
import json
import os
import subprocess
import sys
import time


def run(command: list[str]) -> None:
    print("$ " + " ".join(command), flush=True)
    subprocess.run(command, check=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dlrt", required=True, help="path of the release dlrt binary")
    p.add_argument("--python", default=sys.executable, help="python with torch")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--tau", type=float, default=0.1)
    p.add_argument("--start-rank", type=int, default=150)
    p.add_argument("--max-rank", type=int, default=250)
    p.add_argument("--out", default="results/compare")
    a = p.parse_args()
    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    common = ["--epochs", str(a.epochs), "--threads", str(a.threads), "--lr", str(a.lr)]
    low_rank = ["--tau", str(a.tau), "--start-rank", str(a.start_rank), "--max-rank", str(a.max_rank)]
    here = os.path.dirname(os.path.abspath(__file__))
    runs = {
        "ours dense": [a.dlrt, "train", "--mode", "dense", "--optimizer", "sgd", "--quiet", *common, "--out", a.out + "-ours-dense"],
        "ours DLRT": [a.dlrt, "train", "--mode", "adaptive", "--optimizer", "sgd", "--quiet", *common, *low_rank,
                      "--out", a.out + "-ours-dlrt"],
        "torch dense": [a.python, os.path.join(here, "dense_mlp.py"), *common, "--json", a.out + "-torch-dense.json"],
        "torch DLRT": [a.python, os.path.join(here, "dlrt_reference.py"), *common, *low_rank,
                       "--json", a.out + "-torch-dlrt.json"],
    }
    for command in runs.values():
        run(command)

    def ours(path: str) -> dict:
        with open(path) as f:
            e = json.load(f)["epochs"][-1]
        return {"seconds": e["seconds"], "samples_per_s": e["samplesPerSecond"], "accuracy": e["testAccuracy"],
                "ranks": e["ranks"]}

    def torch(path: str) -> dict:
        with open(path) as f:
            e = json.load(f)["epochs"][-1]
        return {"seconds": e["seconds"], "samples_per_s": e["samples_per_s"], "accuracy": e["test_accuracy"],
                "ranks": e.get("ranks", [])}

    r = {
        "ours dense": ours(a.out + "-ours-dense.json"), "ours DLRT": ours(a.out + "-ours-dlrt.json"),
        "torch dense": torch(a.out + "-torch-dense.json"), "torch DLRT": torch(a.out + "-torch-dlrt.json"),
    }
    print(f"\nlast epoch of {a.epochs}; batch 256, SGD lr {a.lr}, {a.threads} threads, τ = {a.tau}, "
          f"start rank {a.start_rank}, max rank {a.max_rank}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"load average {os.getloadavg()[0]:.2f}\n")
    print("| run | s/epoch | samples/s | test accuracy | ranks |")
    print("|---|--:|--:|--:|---|")
    for name, v in r.items():
        print(f"| {name} | {v['seconds']:.2f} | {v['samples_per_s']:.0f} | {100 * v['accuracy']:.2f}% | {v['ranks'] or '-'} |")
    ratios = [
        ("ours dense / torch dense", r["ours dense"]["seconds"] / r["torch dense"]["seconds"], 0.9),
        ("ours DLRT / torch dense", r["ours DLRT"]["seconds"] / r["torch dense"]["seconds"], 1 / 3),
        ("ours DLRT / torch DLRT", r["ours DLRT"]["seconds"] / r["torch DLRT"]["seconds"], 1 / 10),
    ]
    print("\n| ratio of epoch times | measured | goal |")
    print("|---|--:|--:|")
    for name, value, goal in ratios:
        print(f"| {name} | {value:.3f} | ≤ {goal:.3f} {'(met)' if value <= goal else '(not met)'} |")
    with open(a.out + ".json", "w") as f:
        json.dump({"runs": r, "ratios": {n: v for n, v, _ in ratios}, "configuration": vars(a)}, f, indent=2)


if __name__ == "__main__":
    main()
