"""Training speed of dlrt against PyTorch on the same work, measured in one run.

--arch mlp (default), 784-500-500-500-500-10, batch 256, lr 0.01. Runs, one after another with
the same threads, batch, learning rate, data and epochs:
  ours dense      dlrt train --mode dense     (SGD)
  ours DLRT       dlrt train --mode adaptive  (SGD, τ, start rank, max rank)
  torch dense     Benchmarks/torch/dense_mlp.py
  torch DLRT      Benchmarks/torch/dlrt_reference.py (three passes per batch, as the reference)
and prints a Markdown table of seconds per epoch, samples/s and the ratios the project tracks
(with --rounds N, all runs N times in rotating order and the median of each run's epoch times):
ours dense / torch dense (goal ≤ 0.9), ours DLRT / torch dense (goal ≤ 1/3) and ours DLRT /
torch DLRT (goal ≤ 1/10). Writes <out>.json (default results/compare).

--arch lenet5, the DLRT paper's LeNet5 (`dlrt train --arch lenet5`), batch 128, lr 0.05. Runs
  ours dense      dlrt train --arch lenet5 --mode dense     (SGD)
  ours DLRT       dlrt train --arch lenet5 --mode adaptive  (SGD, τ, start rank, max rank)
  torch dense     Benchmarks/torch/lenet5.py
(there is no PyTorch LeNet5 DLRT) and prints the ratios ours DLRT / torch dense (goal ≤ 1) and
ours dense / torch dense (no goal). Writes <out>.json (default results/compare-lenet).

With --bench (the release dlrt-bench binary), the rate of OpenBLAS's sgemm is measured first
(`dlrt-bench gemm`, square n = 512 … 2048, same threads; the best median rate is the peak), and
each run's matrix products per epoch (ours: the `productOperations` that `dlrt train` records,
2·m·n·k per product; torch dense: the same network's, taken from ours dense) over its epoch time
are reported as GFLOP/s and as a fraction of that peak, and the epoch time those products alone
would take at the peak is the floor of ours: the ratios table gives ours at that floor against the
other run as measured. The torch DLRT script's products are not counted.

Usage (from the repository root, with a virtualenv holding torch): `make bench-compare` or
`make bench-compare-lenet`.
"""
import argparse
import json
import os
import subprocess
import sys
import time


# What each --arch runs: our architecture flags, the PyTorch scripts, the defaults, and the ratios
# of epoch times the project tracks (name, numerator, denominator, goal or None).
ARCHS = {
    "mlp": {
        "label": "", "ours": [], "batch": 256, "lr": 0.01, "out": "results/compare",
        "torch": {"torch dense": "dense_mlp.py", "torch DLRT": "dlrt_reference.py"},
        "ratios": [("ours dense", "torch dense", 0.9), ("ours DLRT", "torch dense", 1 / 3),
                   ("ours DLRT", "torch DLRT", 1 / 10)],
    },
    "lenet5": {
        "label": "LeNet5, ", "ours": ["--arch", "lenet5"], "batch": 128, "lr": 0.05, "out": "results/compare-lenet",
        "torch": {"torch dense": "lenet5.py"},
        "ratios": [("ours DLRT", "torch dense", 1.0), ("ours dense", "torch dense", None)],
    },
}


def run(command: list[str]) -> None:
    print("$ " + " ".join(command), flush=True)
    subprocess.run(command, check=True)


def sgemm_peak(bench: str, threads: int, json_path: str) -> dict:
    """OpenBLAS's sgemm rate on this machine now: `dlrt-bench gemm` with the runs' threads, the best
    median GFLOP/s of the direct `cblas_sgemm` call over n ≥ 512."""
    run([bench, "gemm", "--threads", str(threads), "--json", json_path])
    with open(json_path) as f:
        report = json.load(f)
    rows = [row for row in report["sections"][0]["tables"][0]["rows"] if row["type"] == "Float" and row["n"] >= 512]
    best = max(rows, key=lambda row: row["direct_gflops"])
    return {"gflops": best["direct_gflops"], "n": best["n"], "sizes": [row["n"] for row in rows],
            "kernels": report["machine"]["openBLASCore"] + " kernels"}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dlrt", required=True, help="path of the release dlrt binary")
    p.add_argument("--python", default=sys.executable, help="python with torch")
    p.add_argument("--arch", choices=sorted(ARCHS), default="mlp", help="network (default mlp)")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=None, help="default 256 (mlp), 128 (lenet5)")
    p.add_argument("--lr", type=float, default=None, help="default 0.01 (mlp), 0.05 (lenet5)")
    p.add_argument("--tau", type=float, default=0.1)
    p.add_argument("--start-rank", type=int, default=150)
    p.add_argument("--max-rank", type=int, default=250)
    p.add_argument("--single-pass", action="store_true",
                   help="also run our DLRT with --single-pass (one forward/backward per batch) and rate it like ours DLRT")
    p.add_argument("--also", action="append", default=[], metavar="FLAGS",
                   help="also run our DLRT with these extra `dlrt train` flags (one string, later flags win; "
                        "repeatable; write --also='--single-pass ...') and rate it like ours DLRT")
    p.add_argument("--no-split-batch", action="store_true",
                   help="run ours with --no-split-batch (all threads inside OpenBLAS instead of the batch split "
                        "over them, one OpenBLAS thread each; dlrt's default splits for all but a dense "
                        "fully-connected network)")
    p.add_argument("--rounds", type=int, default=1,
                   help="repeat all runs this many times, the order rotating by one each round, and rate the "
                        "median epoch time of each run (default 1; odd counts give a middle round)")
    p.add_argument("--bench", default=None, help="path of the release dlrt-bench binary: measure the sgemm peak "
                   "first and report each run's product GFLOP/s against it")
    p.add_argument("--out", default=None, help="prefix of the result files (default results/compare, "
                   "results/compare-lenet)")
    a = p.parse_args()
    if a.rounds < 1:
        p.error("--rounds must be at least 1")
    spec = ARCHS[a.arch]
    a.batch = spec["batch"] if a.batch is None else a.batch
    a.lr = spec["lr"] if a.lr is None else a.lr
    a.out = spec["out"] if a.out is None else a.out
    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    common = ["--epochs", str(a.epochs), "--threads", str(a.threads), "--batch", str(a.batch), "--lr", str(a.lr)]
    low_rank = ["--tau", str(a.tau), "--start-rank", str(a.start_rank), "--max-rank", str(a.max_rank)]
    here = os.path.dirname(os.path.abspath(__file__))
    ours_train = [a.dlrt, "train", *spec["ours"], *(["--no-split-batch"] if a.no_split_batch else [])]
    runs = {
        "ours dense": [*ours_train, "--mode", "dense", "--optimizer", "sgd", "--quiet", *common,
                       "--out", a.out + "-ours-dense"],
        "ours DLRT": [*ours_train, "--mode", "adaptive", "--optimizer", "sgd", "--quiet", *common, *low_rank,
                      "--out", a.out + "-ours-dlrt"],
    }
    # Our DLRT with extra flags, rated like ours DLRT: (name, flags, suffix of the result files).
    variants = ([("ours DLRT single pass", "--single-pass", "-ours-dlrt-single")] if a.single_pass else []) + [
        (f"ours DLRT {flags.strip()}", flags, f"-ours-dlrt-also{i + 1}") for i, flags in enumerate(a.also)]
    for name, flags, suffix in variants:
        runs[name] = [*runs["ours DLRT"][:-2], *flags.split(), "--out", a.out + suffix]
    for name, script in spec["torch"].items():
        runs[name] = [a.python, os.path.join(here, script), *common, *(low_rank if "DLRT" in name else []),
                      "--json", a.out + "-" + name.replace(" ", "-").lower() + ".json"]
    def ours(path: str) -> dict:
        with open(path) as f:
            e = json.load(f)["epochs"][-1]
        return {"seconds": e["seconds"], "samples_per_s": e["samplesPerSecond"], "accuracy": e["testAccuracy"],
                "ranks": e["ranks"], "product_flops": e.get("productOperations")}

    def torch(path: str) -> dict:
        with open(path) as f:
            e = json.load(f)["epochs"][-1]
        return {"seconds": e["seconds"], "samples_per_s": e["samples_per_s"], "accuracy": e["test_accuracy"],
                "ranks": e.get("ranks", []), "product_flops": None}

    def result(name: str) -> dict:
        return ours(runs[name][-1] + ".json") if name.startswith("ours") else torch(runs[name][-1])

    # Round i runs the commands starting at the i-th, so that none always runs first or after the
    # same neighbour; each run's result is read before the next round overwrites its files.
    names = list(runs)
    rounds: list[dict] = []
    load_start = os.getloadavg()[0]
    peak = sgemm_peak(a.bench, a.threads, a.out + "-gemm.json") if a.bench else None
    for i in range(a.rounds):
        results = {}
        for name in names[i % len(names):] + names[:i % len(names)]:
            run(runs[name])
            results[name] = result(name)
        # PyTorch's dense network does the products of ours (same layers, batches and steps).
        if "torch dense" in results:
            results["torch dense"]["product_flops"] = results["ours dense"]["product_flops"]
        rounds.append(results)
    load_end = os.getloadavg()[0]

    def median_run(name: str) -> dict:
        ordered = sorted((rr[name] for rr in rounds), key=lambda v: v["seconds"])
        middle = dict(ordered[(len(ordered) - 1) // 2])
        if len(ordered) % 2 == 0:
            middle["seconds"] = (ordered[len(ordered) // 2 - 1]["seconds"] + ordered[len(ordered) // 2]["seconds"]) / 2
            middle["samples_per_s"] = None
        return middle

    r = {name: median_run(name) for name in names}
    if a.rounds > 1:
        print(f"\nseconds per epoch in each of {a.rounds} rounds\n")
        print("| round | " + " | ".join(names) + " |")
        print("|--:|" + "--:|" * len(names))
        for i, rr in enumerate(rounds):
            print(f"| {i + 1} | " + " | ".join(f"{rr[n]['seconds']:.2f}" for n in names) + " |")
    print(f"\n{'median over ' + str(a.rounds) + ' rounds of the ' if a.rounds > 1 else ''}last epoch of {a.epochs}; {spec['label']}batch {a.batch}, SGD lr {a.lr}, {a.threads} threads"
          f"{'' if a.threads == 1 else ' (ours: all in OpenBLAS)' if a.no_split_batch else ' (ours: dlrt default, batch split over them but for a dense fully-connected network)'}, "
          f"τ = {a.tau}, start rank {a.start_rank}, max rank {a.max_rank}; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {load_start:.2f} before, "
          f"{load_end:.2f} after\n")
    if peak:
        print(f"sgemm peak: {peak['gflops']:.1f} GFLOP/s (OpenBLAS, {a.threads} threads, best median of n = "
              f"{', '.join(str(n) for n in peak['sizes'])}: n = {peak['n']}; {peak['kernels']}); product GFLOP/s = "
              "products per epoch / s per epoch\n")
    def fixed(value, decimals: int) -> str:
        return "-" if value is None else f"{value:.{decimals}f}"

    print("| run | s/epoch | samples/s | product GFLOP/epoch | product GFLOP/s | of sgemm peak | s/epoch at sgemm peak "
          "| test accuracy | ranks |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|---|")
    for name, v in r.items():
        work = v.get("product_flops")
        v["product_gflops"] = None if work is None else work / v["seconds"] / 1e9
        v["of_peak"] = None if v["product_gflops"] is None or not peak else v["product_gflops"] / peak["gflops"]
        # The epoch's floor: its products at the sgemm peak and nothing else.
        v["seconds_at_peak"] = None if work is None or not peak else work / 1e9 / peak["gflops"]
        print(f"| {name} | {v['seconds']:.2f} | {fixed(v['samples_per_s'], 0)} | "
              f"{fixed(None if work is None else work / 1e9, 1)} | {fixed(v['product_gflops'], 1)} | "
              f"{fixed(v['of_peak'], 2)} | {fixed(v['seconds_at_peak'], 2)} | {100 * v['accuracy']:.2f}% | "
              f"{v['ranks'] or '-'} |")
    specs = list(spec["ratios"])
    for variant, _, _ in variants:
        specs += [(variant, bottom, goal) for top, bottom, goal in spec["ratios"] if top == "ours DLRT"]
    ratios = [(f"{top} / {bottom}", r[top]["seconds"] / r[bottom]["seconds"], goal) for top, bottom, goal in specs]
    # The least ratio ours could reach with its products: ours at the sgemm peak over the other as measured.
    floors = {f"{top} / {bottom}": None if r[top].get("seconds_at_peak") is None
              else r[top]["seconds_at_peak"] / r[bottom]["seconds"] for top, bottom, _ in specs}
    print("\n| ratio of epoch times | measured | ours at the sgemm peak | goal |")
    print("|---|--:|--:|--:|")
    for name, value, goal in ratios:
        verdict = "-" if goal is None else f"≤ {goal:.3f} {'(met)' if value <= goal else '(not met)'}"
        print(f"| {name} | {value:.3f} | {fixed(floors[name], 3)} | {verdict} |")
    with open(a.out + ".json", "w") as f:
        json.dump({"runs": r, "rounds": rounds, "sgemm_peak": peak, "ratios": {n: v for n, v, _ in ratios},
                   "ratios_at_sgemm_peak": floors,
                   "goals": {n: g for n, _, g in ratios},
                   "loadavg": {"before": load_start, "after": load_end}, "configuration": vars(a)}, f, indent=2)


if __name__ == "__main__":
    main()
