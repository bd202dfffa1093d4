#!/usr/bin/env bash
# tapegrad against PyTorch, side by side on this machine: builds the Rust benches and examples,
# finds a Python with PyTorch, and runs compare.py (its --help lists the flags).
#
#   bash benches/pytorch/compare.sh [--python PY | --make-venv DIR] [--glibc-defaults]
#                                   [compare.py flags...]
#
# Both sides run with glibc's allocator told to keep its pages (the MALLOC_* settings below),
# unless --glibc-defaults runs them as a user's shell does, with none set.
#
# The Python is, in order: --python PY; $TORCH_PYTHON; /tmp/torch-venv/bin/python; or a venv
# made in DIR by --make-venv DIR (pip installs torch, CPU build, and safetensors, which the
# original scripts import). The test suite never needs it.
set -euo pipefail
cd "$(dirname "$0")/../.."
python="${TORCH_PYTHON:-}"
malloc=tuned
args=()
while (($#)); do
    case "$1" in
        --python) python="$2"; shift 2 ;;
        --make-venv)
            python3 -m venv "$2"
            "$2/bin/pip" install -q torch --index-url https://download.pytorch.org/whl/cpu \
                || "$2/bin/pip" install -q torch
            # The original scripts save and load their state dicts with safetensors.
            "$2/bin/pip" install -q safetensors
            python="$2/bin/python"; shift 2 ;;
        --glibc-defaults) malloc=defaults; shift ;;
        *) args+=("$1"); shift ;;
    esac
done
if [[ -z "$python" && -x /tmp/torch-venv/bin/python ]]; then python=/tmp/torch-venv/bin/python; fi
if [[ -z "$python" ]] || ! "$python" -c "import torch" 2>/dev/null; then
    echo "no Python with torch found: pass --python PY or --make-venv DIR" >&2
    exit 2
fi
# PyTorch is fastest with glibc keeping its pages (the allocator settings it is usually run with).
if [[ $malloc == tuned ]]; then
    export MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=4294967296 MALLOC_TOP_PAD_=268435456
else
    unset MALLOC_MMAP_THRESHOLD_ MALLOC_TRIM_THRESHOLD_ MALLOC_TOP_PAD_
fi
cargo bench -q --workspace --no-run
cargo build -q --release --example fma_peak --example digits_cnn --example char_gpt \
    --example names_rnn --example names_mlp --example moons --example polynomial
exec "$python" benches/pytorch/compare.py --python "$python" "${args[@]}"
