"""``python -m benchmarks``: run the benchmark harness (``--help`` for the options)."""

import sys

from benchmarks.cli import main

sys.exit(main())
