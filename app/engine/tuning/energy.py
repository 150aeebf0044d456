"""Energy used by a run: measured from the CPU's RAPL counters when readable, else estimated from CPU time.

Measured: the Linux powercap interface (``/sys/class/powercap/intel-rapl:N/energy_uj``; AMD CPUs expose the
same files, named ``intel-rapl`` or ``amd-rapl`` depending on the kernel). These counters are for the whole
CPU package, so other programs running at the same time are included. Since Linux 5.10 ``energy_uj`` is
readable by root only (CVE-2020-8694), so on most factory PCs the estimate is what the user sees.

Estimated: process CPU-seconds × watts per busy core from a :class:`PowerProfile`. The assumption is stated
in every reading so the report never presents an estimate as a measurement.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import psutil

EnergySource = Literal["measured", "estimated"]


@dataclass(frozen=True)
class PowerProfile:
    """How many watts one fully busy core draws above idle; the basis of the estimate."""

    name: str
    watts_per_core: float
    idle_watts: float = 0.0  # charged for wall-clock time, busy or not; 0 = count only the run's own work
    name_ja: str = ""  # shown in Japanese text; falls back to ``name``


# Round example figures, not measurements: package power divided by core count under an all-core load is
# roughly 5-10 W on laptop chips, 10-20 W on desktop chips, 20-30 W on workstation chips.
POWER_PROFILES: dict[str, PowerProfile] = {
    "laptop": PowerProfile("Laptop CPU (example)", 7.0, name_ja="ノート PC の CPU（例）"),
    "desktop": PowerProfile("Desktop CPU (example)", 15.0, name_ja="デスクトップ PC の CPU（例）"),
    "workstation": PowerProfile("Workstation CPU (example)", 25.0, name_ja="ワークステーションの CPU（例）"),
}
DEFAULT_PROFILE = POWER_PROFILES["desktop"]


@dataclass(frozen=True)
class EnergyReading:
    """Energy spent so far (including any before a resume) and how it was obtained."""

    wh: float
    source: EnergySource
    assumption_en: str
    assumption_ja: str
    watts_avg: float  # mean power over this session (since start()), 0.0 before any time has passed


@dataclass
class _RaplZone:
    """One package counter and the running total decoded from it (wrap-around already handled)."""

    energy_path: Path
    max_range_uj: int
    last_uj: int = 0
    total_uj: int = 0


def process_cpu_seconds(process: psutil.Process | None = None) -> float:
    """User + system CPU time of this process and its finished children, in seconds."""
    t = (process or psutil.Process()).cpu_times()
    return t.user + t.system + t.children_user + t.children_system


def _read_int(path: Path) -> int:
    return int(path.read_text().strip())


def find_package_zones(sysfs_root: str | os.PathLike[str]) -> list[Path]:
    """Top-level powercap zones named ``package-*`` that have an energy counter, one per CPU package."""
    root = Path(sysfs_root)
    try:
        entries = sorted(root.iterdir())
    except OSError:
        return []
    by_name: dict[str, Path] = {}
    for zone in entries:
        # Sub-zones (intel-rapl:0:0 core/uncore/dram) are inside a package; counting them would double it.
        if zone.name.count(":") != 1:
            continue
        try:
            name = (zone / "name").read_text().strip()
        except OSError:
            continue
        if not name.startswith("package") or not (zone / "energy_uj").exists():
            continue
        # Intel laptops also expose the same package as intel-rapl-mmio:N with the same name; keep the
        # MSR one (intel-rapl:N sorts first) so the package is counted once.
        if name not in by_name or "mmio" in by_name[name].name:
            by_name[name] = zone
    return sorted(by_name.values())


class EnergyMeter:
    """Energy of a run in Wh: RAPL package counters if readable, else CPU time × a power profile.

    ``offset_wh`` is energy spent before a resume; it is added to every reading. Call :meth:`start`
    when the run (re)starts and :meth:`read` as often as once a second.
    """

    def __init__(
        self,
        offset_wh: float = 0.0,
        *,
        profile: PowerProfile = DEFAULT_PROFILE,
        sysfs_root: str | os.PathLike[str] = "/sys/class/powercap",
        cpu_seconds: Callable[[], float] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.offset_wh = float(offset_wh)
        self.profile = profile
        self.sysfs_root = Path(sysfs_root)
        if cpu_seconds is None:
            cpu_seconds = functools.partial(process_cpu_seconds, psutil.Process())
        self._cpu_seconds = cpu_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._started = False
        self._zones: list[_RaplZone] = []
        self._t0 = 0.0  # start of this session, for watts_avg
        self._estimate_t0 = 0.0  # start of the estimate: the session start, or when RAPL became unreadable
        self._cpu0 = 0.0
        # Energy counted by RAPL before it became unreadable mid-run; the estimate continues from there.
        self._measured_before_fallback_wh = 0.0
        self._last_wh = self.offset_wh

    def set_offset(self, offset_wh: float) -> None:
        """Set the energy spent before a resume, once it is known (after the checkpoint is read)."""
        with self._lock:
            self._last_wh += float(offset_wh) - self.offset_wh
            self.offset_wh = float(offset_wh)

    @property
    def source(self) -> EnergySource:
        return "measured" if self._zones else "estimated"

    def start(self) -> None:
        """Take the baseline: RAPL counters if every package counter is readable, and CPU time."""
        with self._lock:
            self._start_locked()

    def _start_locked(self) -> None:
        self._zones = self._open_zones()
        self._t0 = self._estimate_t0 = self._clock()
        self._cpu0 = self._cpu_seconds()
        self._measured_before_fallback_wh = 0.0
        self._last_wh = self.offset_wh
        self._started = True

    def _open_zones(self) -> list[_RaplZone]:
        zones = []
        for path in find_package_zones(self.sysfs_root):
            try:
                zone = _RaplZone(path / "energy_uj", _read_int(path / "max_energy_range_uj"))
                zone.last_uj = _read_int(zone.energy_path)
            except (OSError, ValueError):
                # Missing or root-only (the default since Linux 5.10): a partial sum would under-count.
                return []
            if zone.max_range_uj <= 0:
                return []
            zones.append(zone)
        return zones

    def read(self) -> EnergyReading:
        """Energy so far; cheap (a few small file reads or one ``cpu_times`` call) and never decreasing."""
        with self._lock:
            if not self._started:
                self._start_locked()
            now = self._clock()
            elapsed = max(now - self._t0, 0.0)
            if self._zones and not self._advance_zones():
                self._fall_back_to_estimate()
            if self._zones:
                session_wh = sum(z.total_uj for z in self._zones) / 3.6e9
                assumption_en, assumption_ja = self._measured_text()
            else:
                cpu_s = max(self._cpu_seconds() - self._cpu0, 0.0)
                wall_s = max(now - self._estimate_t0, 0.0)
                estimate_wh = (cpu_s * self.profile.watts_per_core + wall_s * self.profile.idle_watts) / 3600
                session_wh = self._measured_before_fallback_wh + estimate_wh
                assumption_en, assumption_ja = self._estimated_text(cpu_s, wall_s)
            if self.offset_wh > 0:
                assumption_en += f" Includes {self.offset_wh:.2f} Wh used before the run was resumed."
                assumption_ja += f"再開前に使った {self.offset_wh:.2f} Wh を含みます。"
            # Monotonic even if a counter or CPU-time source misbehaves (a reading must never go back).
            wh = max(self.offset_wh + session_wh, self._last_wh)
            self._last_wh = wh
            watts = (wh - self.offset_wh) * 3600 / elapsed if elapsed > 0 else 0.0
            return EnergyReading(wh, self.source, assumption_en, assumption_ja, watts)

    def _advance_zones(self) -> bool:
        """Add each counter's increase since the last read; False if a counter could not be read."""
        for zone in self._zones:
            try:
                now = _read_int(zone.energy_path)
            except (OSError, ValueError):
                return False
            delta = now - zone.last_uj
            if delta < 0:
                # The counter wrapped at max_energy_range_uj (a 262 kJ range wraps every ~44 min at 100 W).
                # Two wraps between reads cannot be seen; reads every ~1 s make that impossible.
                delta += zone.max_range_uj
            zone.total_uj += delta
            zone.last_uj = now
        return True

    def _fall_back_to_estimate(self) -> None:
        self._measured_before_fallback_wh = sum(z.total_uj for z in self._zones) / 3.6e9
        self._zones = []
        self._cpu0 = self._cpu_seconds()
        self._estimate_t0 = self._clock()

    def _measured_text(self) -> tuple[str, str]:
        n = len(self._zones)
        en = (
            f"measured: RAPL energy counters of {n} CPU package(s). This is the whole CPU package, "
            "including other programs running at the same time; memory, disks and power-supply losses "
            "are not included."
        )
        ja = (
            f"実測: CPU パッケージ {n} 個の RAPL 電力量カウンター。CPU パッケージ全体の値で、同時に動いている"
            "他のプログラムの分を含み、メモリ・ディスク・電源の損失は含みません。"
        )
        return en, ja

    def _estimated_text(self, cpu_s: float, wall_s: float) -> tuple[str, str]:
        p = self.profile
        name_ja = p.name_ja or p.name
        if p.idle_watts > 0:
            en = (
                f"estimated: {cpu_s:.0f} CPU-seconds × {p.watts_per_core:g} W per busy core "
                f"+ {wall_s:.0f} s × {p.idle_watts:g} W idle ({p.name})."
            )
            ja = (
                f"推定: CPU 時間 {cpu_s:.0f} 秒 × ビジーなコア 1 個あたり {p.watts_per_core:g} W "
                f"＋ {wall_s:.0f} 秒 × 待機 {p.idle_watts:g} W（{name_ja}）。"
            )
        else:
            en = f"estimated: {cpu_s:.0f} CPU-seconds × {p.watts_per_core:g} W per busy core ({p.name})."
            ja = f"推定: CPU 時間 {cpu_s:.0f} 秒 × ビジーなコア 1 個あたり {p.watts_per_core:g} W（{name_ja}）。"
        if self._measured_before_fallback_wh > 0:
            en += (
                f" Added to {self._measured_before_fallback_wh:.2f} Wh measured before the RAPL counters "
                "became unreadable."
            )
            ja += f"RAPL カウンターが読めなくなる前の実測 {self._measured_before_fallback_wh:.2f} Wh に加算しています。"
        return en, ja
