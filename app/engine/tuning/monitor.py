"""CPU and memory of the tuning process and the PC, sampled about once a second for the resource plot.

Sizes are in MB of 2**20 bytes, the unit Task Manager and ``top`` use.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psutil

MB = float(2**20)


@dataclass(frozen=True)
class ResourceSample:
    """One look at CPU and memory; plain numbers, safe to send across threads."""

    process_cpu_percent: float  # 100 = one core busy
    system_cpu_percent: float  # 0..100 of all cores
    process_rss_mb: float
    system_memory_percent: float  # 0..100
    peak_rss_mb: float  # high-water mark of the process RSS


def _vm_hwm_mb() -> float | None:
    """Linux kernel's own RSS high-water mark (``VmHWM``); catches peaks between samples."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / MB  # value is in kB
    except (OSError, ValueError, IndexError):
        return None
    return None


def _rusage_max_rss_mb() -> float | None:
    try:
        import resource  # not on Windows
    except ImportError:
        return None
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # ru_maxrss is in bytes on macOS but kilobytes on Linux and the BSDs.
    return max_rss / MB if sys.platform == "darwin" else max_rss * 1024 / MB


def peak_rss_mb() -> float:
    """The process's peak resident memory so far, in MB, from the best source the OS offers."""
    peak = _vm_hwm_mb()
    if peak is None:
        peak = _rusage_max_rss_mb()
    if peak is None:
        info = psutil.Process().memory_info()
        # Windows keeps the peak working set; elsewhere the current RSS is the best lower bound left.
        peak = getattr(info, "peak_wset", info.rss) / MB
    return peak


def available_memory_mb() -> float:
    """Memory the OS could give to new allocations without swapping, in MB."""
    return psutil.virtual_memory().available / MB


def _busy_and_total(times: Any) -> tuple[float, float]:
    """Busy and total CPU seconds from ``psutil.cpu_times()``, as psutil's own cpu_percent counts them."""
    fields = times._asdict()
    # On Linux guest time is already inside user/nice; iowait is waiting, not working.
    total = sum(fields.values()) - fields.get("guest", 0.0) - fields.get("guest_nice", 0.0)
    idle = fields.get("idle", 0.0) + fields.get("iowait", 0.0)
    return total - idle, total


class ResourceMonitor:
    """Samples this process's and the PC's CPU and memory; ``sample()`` is thread-safe and cheap (~1 s calls).

    CPU percentages are over the time since the previous sample (or since construction). The monitor
    keeps its own baselines rather than using ``psutil.cpu_percent()``, whose module-level state is shared
    with any other caller in the process on older psutil versions.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._process = psutil.Process()
        self._clock = clock
        self._lock = threading.Lock()
        self._last_wall = clock()
        self._last_process_cpu = self._process_cpu_seconds()
        self._last_system = _busy_and_total(psutil.cpu_times())
        self._process_cpu_percent = 0.0
        self._system_cpu_percent = 0.0
        self._peak_rss_mb = 0.0

    def _process_cpu_seconds(self) -> float:
        t = self._process.cpu_times()
        return t.user + t.system

    def sample(self) -> ResourceSample:
        """Current CPU %, RSS and memory %, and the peak RSS so far."""
        with self._lock:
            now = self._clock()
            cpu = self._process_cpu_seconds()
            busy, total = _busy_and_total(psutil.cpu_times())
            wall = now - self._last_wall
            # Over a few milliseconds the tick-based counters are mostly rounding; keep the last value.
            if wall >= 0.05:
                self._process_cpu_percent = max(cpu - self._last_process_cpu, 0.0) / wall * 100.0
                self._last_wall, self._last_process_cpu = now, cpu
            last_busy, last_total = self._last_system
            if total - last_total > 0:
                share = (busy - last_busy) / (total - last_total)
                self._system_cpu_percent = min(max(share * 100.0, 0.0), 100.0)
                self._last_system = (busy, total)
            rss_mb = self._process.memory_info().rss / MB
            self._peak_rss_mb = max(self._peak_rss_mb, rss_mb, peak_rss_mb())
            return ResourceSample(
                process_cpu_percent=self._process_cpu_percent,
                system_cpu_percent=self._system_cpu_percent,
                process_rss_mb=rss_mb,
                system_memory_percent=float(psutil.virtual_memory().percent),
                peak_rss_mb=self._peak_rss_mb,
            )
