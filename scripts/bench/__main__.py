"""`python3 -m bench` from scripts/: the same as `python3 scripts/bench.py`."""

import sys

from .main import main

sys.exit(main())
