#!/usr/bin/env bash
# Runs the DLRT reference implementation's own LeNet5 experiment (COMPiLELab/DLRT-Net,
# Lenet_experiment/run_lenet_mnist.py, unchanged) on the CPU, for comparison with
# `make table-lenet` (Docs/Experiments.md, "LeNet5 on MNIST").
#
#   Benchmarks/torch/run_reference_lenet.sh REFERENCE_CHECKOUT [script arguments]
#   e.g. Benchmarks/torch/run_reference_lenet.sh ../DLRT-Net --cv_runs 1 --epochs 20
#
# REFERENCE_CHECKOUT is a clone of github.com/COMPiLELab/DLRT-Net. The script's one TensorFlow
# call (the MNIST arrays) is served from the IDX files in $MNIST_DIR (default data/mnist) by
# Benchmarks/torch/reference_shim. Python: $TORCH_VENV (default .venv-torch) with torch, plus the
# reference's scikit-learn, pandas, tqdm and torchmetrics, installed here on first use. The script
# itself picks its τ values (θ = 0.4, 0.45 in the published version) and writes
# Lenet_experiment/results_Lenet5/_running_data_θ_run.csv in the checkout. Torch runs on
# $THREADS threads (default 1).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
[ $# -ge 1 ] || { sed -n '2,16p' "$0"; exit 2; }
checkout="$(cd "$1" && pwd)"; shift
[ -f "$checkout/Lenet_experiment/run_lenet_mnist.py" ] || {
  echo "$checkout: no Lenet_experiment/run_lenet_mnist.py (a clone of COMPiLELab/DLRT-Net is needed)" >&2; exit 1; }
python="${TORCH_VENV:-$root/.venv-torch}/bin/python"
[ -x "$python" ] || { echo "$python: missing; run \`make torch-venv\` first" >&2; exit 1; }
mnist="$(cd "${MNIST_DIR:-$root/data/mnist}" && pwd)"
[ -f "$mnist/train-images.idx3-ubyte" ] || { echo "$mnist: no MNIST IDX files; run \`make data\`" >&2; exit 1; }
"$python" -c 'import sklearn, pandas, tqdm, torchmetrics' 2>/dev/null ||
  "$python" -m pip install --quiet --disable-pip-version-check scikit-learn pandas tqdm torchmetrics
mkdir -p "$checkout/Lenet_experiment/results_Lenet5"
cd "$checkout/Lenet_experiment"
export MNIST_DIR="$mnist" PYTHONPATH="$here/reference_shim" OMP_NUM_THREADS="${THREADS:-1}"
exec "$python" run_lenet_mnist.py "$@"
