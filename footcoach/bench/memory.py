"""Peak resident memory of the current process, for benchmarks that measure in a subprocess.

``resource.getrusage(RUSAGE_SELF).ru_maxrss`` is not that on Linux: the kernel carries the
high-water mark across ``execve``, so a child started by a large parent (one holding torch, a
model or a generated session) reports at least the parent's size at the fork. ``VmHWM`` in
``/proc/self/status`` belongs to the process image's own memory map and starts afresh at exec.
"""

from __future__ import annotations

import resource
import sys
from pathlib import Path

STATUS = Path("/proc/self/status")


def peak_rss_mb() -> float:
    """Peak resident set size of this process since it was exec'd, in MiB.

    Linux: ``VmHWM`` of ``/proc/self/status``; elsewhere ``ru_maxrss`` (bytes on macOS,
    kilobytes on other systems), which may include the parent's memory (module docstring).
    """
    try:
        for line in STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 1024
