#!/usr/bin/env bash
# End-to-end benchmark of shardinit beside Spark's one-liner and dd; see bench/e2e.py --help.
#   bash bench/e2e.sh            # full: medians of 3 runs (about 10 minutes on 2 cores)
#   bash bench/e2e.sh --quick    # regression guard before stopping: one small tensor per format
#   bash bench/e2e.sh --memory   # adds the 16 GiB tensor with a 2 GiB heap
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 bench/e2e.py "$@"
