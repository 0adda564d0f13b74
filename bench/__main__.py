"""Run every benchmark module in this package: `python -m bench [name ...]`.

Each module has a main() that measures and prints its own figures, each with
a ratio against a baseline taken in the same run, since the machine is shared
and absolute times vary from run to run.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main(names: list[str]) -> None:
    found = sorted(
        module.name
        for module in pkgutil.iter_modules([str(Path(__file__).parent)])
        if not module.name.startswith("_")
    )
    for name in names or found:
        print(f"== bench.{name}", flush=True)
        importlib.import_module(f"bench.{name}").main()


if __name__ == "__main__":
    main(sys.argv[1:])
