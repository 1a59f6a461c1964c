"""The benchmarks' peak-RSS figure belongs to the measured subprocess, not to its parent."""

from __future__ import annotations

import subprocess
import sys

CHILD = ("from footcoach.bench.memory import peak_rss_mb\n"
         "block = bytearray({mb} * 2**20)\n"
         "for i in range(0, len(block), 4096):\n"
         "    block[i] = 1\n"
         "print(peak_rss_mb())\n")


def _child_peak(mb: int) -> float:
    out = subprocess.run([sys.executable, "-c", CHILD.format(mb=mb)], capture_output=True,
                         text=True, check=True)
    return float(out.stdout.strip())


def test_a_child_of_a_large_parent_reports_its_own_peak() -> None:
    parent = bytearray(400 * 2**20)  # touched, so resident in this process
    for i in range(0, len(parent), 4096):
        parent[i] = 1
    small, large = _child_peak(0), _child_peak(150)
    # getrusage's ru_maxrss would report >= 400 MB for both on Linux (carried across exec)
    assert small < 150, small
    assert 150 <= large < 300, large
    del parent
