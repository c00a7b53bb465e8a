#!/usr/bin/env bash
# Install GeneRec into ./.venv from nothing (Python 3.11, CPU PyTorch, every extra the tests use).
# Usage: bash scripts/install.sh [extras]     (default extras: dev)
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-dev}"
py="${PYTHON:-python3.11}"
command -v "$py" >/dev/null || { echo "error: $py not found; GeneRec needs Python 3.11" >&2; exit 1; }
[ -x .venv/bin/python ] || "$py" -m venv .venv
pip() { .venv/bin/python -m pip --disable-pip-version-check -q "$@"; }
# The CPU build of torch first, pinned, so that no dependency pulls a CUDA build.
pip install "torch==2.13.0"
pip install -e ".[${extras}]"
# invisible-watermark without its dependencies: they pull GUI opencv (we use opencv-python-headless).
pip install --no-deps "invisible-watermark==0.2.0"
echo "installed: $(.venv/bin/generec --version 2>/dev/null || echo generec)"
