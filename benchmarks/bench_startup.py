"""Stage start-up: what each DVC stage pays in imports before it does any work, in fresh processes.

Run: python benchmarks/bench_startup.py [repeats]

Per stage script (stages/*.py), a fresh interpreter imports the script (so its hum modules) and times that. The
baseline ("before") does the same after importing Hugging Face `datasets` first in that same process, as every
stage did when `hum.settings` imported it through `hum.loaders`. Prints the median of `repeats` runs of each, the
heavy libraries left loaded after the import, and the before/after ratio.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

STAGES = Path(__file__).resolve().parents[1] / "stages"
HEAVY = ("datasets", "pandas", "pandera", "pyarrow")
PROBE = """
import importlib.util, sys, time
start = time.perf_counter()
if {eager}:
    import datasets
spec = importlib.util.spec_from_file_location("stage", {path!r})
spec.loader.exec_module(importlib.util.module_from_spec(spec))
print(time.perf_counter() - start, ",".join(sorted(set({heavy!r}) & sys.modules.keys())) or "-")
"""


def import_once(path: Path, *, eager: bool) -> tuple[float, str]:
    """Seconds to import one stage script in a fresh interpreter, and the heavy libraries it left loaded."""
    code = PROBE.format(eager=eager, path=str(path), heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)  # noqa: S603 - our own code
    seconds, loaded = done.stdout.split()
    return float(seconds), loaded


def median_import(path: Path, repeats: int, *, eager: bool) -> tuple[float, str]:
    """The median of `repeats` fresh imports: the first run of a process also pays for cold file caches."""
    runs = [import_once(path, eager=eager) for _ in range(repeats)]
    return statistics.median(s for s, _ in runs), runs[-1][1]


def main() -> None:
    """One line per stage, then the totals."""
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    print(f"{'stage':<14} {'before s':>8} {'after s':>8} {'ratio':>6}  heavy libraries loaded after")
    totals = [0.0, 0.0]
    for path in sorted(STAGES.glob("*.py")):
        before, _ = median_import(path, repeats, eager=True)
        after, loaded = median_import(path, repeats, eager=False)
        totals = [totals[0] + before, totals[1] + after]
        print(f"{path.stem:<14} {before:>8.3f} {after:>8.3f} {before / after:>5.1f}x  {loaded}")
    print(f"{'all stages':<14} {totals[0]:>8.3f} {totals[1]:>8.3f} {totals[0] / totals[1]:>5.1f}x")


if __name__ == "__main__":
    main()
