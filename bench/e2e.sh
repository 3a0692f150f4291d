#!/usr/bin/env bash
# End-to-end benchmark of shardinit beside Spark's one-liner and dd; see bench/e2e.py --help.
#   bash bench/e2e.sh            # full: medians of 3 runs, in rounds (about 10 minutes on 2 cores)
#   bash bench/e2e.sh --quick    # regression guard before stopping: one run per format, under a minute
#   bash bench/e2e.sh --memory   # adds the 16 GiB tensor with a 2 GiB heap
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 bench/e2e.py "$@"
