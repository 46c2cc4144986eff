#!/usr/bin/env python3
"""`make bench`: measures smitop's performance targets and writes docs/benchmarks.md.

    python3 scripts/bench.py [--bin .build/release/smitop] [--quick] [--runs N]
                             [--only listing,startup,routes,idle,prometheus,internal] [--sizes 100,1000,10000]
                             [--kubectl PATH] [--out docs/benchmarks.md]

The code is the package beside this file (scripts/bench/: what each section measures is in its
__init__.py); this file only runs it, so the command above and `make bench` stay as they were.
"""

import os
import sys

# The package, not this file: a directory package is found before a module of the same name.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench.main import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
