import functools
from pathlib import Path

import pytest

from app.engine.tuning import energy
from app.engine.tuning.energy import (
    DEFAULT_PROFILE,
    POWER_PROFILES,
    EnergyMeter,
    PowerProfile,
    find_package_zones,
    process_cpu_seconds,
)

MAX_RANGE_UJ = 262_143_328_850  # a real Intel package's max_energy_range_uj
UJ_PER_WH = 3.6e9


class FakeCounter:
    """A settable stand-in for CPU seconds or a monotonic clock."""

    def __init__(self, value: float = 0.0) -> None:
        self.value = value

    def __call__(self) -> float:
        return self.value


def make_zone(root: Path, zone: str, name: str, energy_uj: int, max_range: int = MAX_RANGE_UJ) -> Path:
    path = root / zone
    path.mkdir(parents=True)
    (path / "name").write_text(name + "\n")
    (path / "energy_uj").write_text(f"{energy_uj}\n")
    (path / "max_energy_range_uj").write_text(f"{max_range}\n")
    return path


def set_energy(zone: Path, energy_uj: int) -> None:
    (zone / "energy_uj").write_text(f"{energy_uj}\n")


def test_measured_energy_follows_the_package_counter(tmp_path):
    package = make_zone(tmp_path, "intel-rapl:0", "package-0", 1_000_000)
    make_zone(tmp_path, "intel-rapl:0:0", "core", 500)  # sub-zone: part of the package, not added
    clock = FakeCounter(100.0)
    meter = EnergyMeter(sysfs_root=tmp_path, clock=clock)
    meter.start()

    set_energy(package, 1_000_000 + 36_000_000_000)  # +36 kJ = 10 Wh
    clock.value = 110.0
    reading = meter.read()

    assert reading.source == "measured"
    assert reading.wh == pytest.approx(10.0)
    assert reading.watts_avg == pytest.approx(10.0 * 3600 / 10.0)
    assert "whole CPU package" in reading.assumption_en
    assert "CPU パッケージ全体" in reading.assumption_ja


def test_counter_wrap_around_is_counted(tmp_path):
    max_range = 1_000_000_000
    package = make_zone(tmp_path, "intel-rapl:0", "package-0", max_range - 100_000_000, max_range)
    meter = EnergyMeter(sysfs_root=tmp_path)
    meter.start()

    set_energy(package, 50_000_000)  # 100 J up to the wrap, then 50 J after it
    assert meter.read().wh == pytest.approx(150_000_000 / UJ_PER_WH)
    set_energy(package, 80_000_000)  # no wrap: +30 J
    assert meter.read().wh == pytest.approx(180_000_000 / UJ_PER_WH)


def test_several_packages_are_summed_and_mmio_duplicate_ignored(tmp_path):
    p0 = make_zone(tmp_path, "intel-rapl:0", "package-0", 0)
    p1 = make_zone(tmp_path, "intel-rapl:1", "package-1", 5_000)
    # Intel laptops expose package-0 a second time through MMIO; counting it would double the energy.
    mmio = make_zone(tmp_path, "intel-rapl-mmio:0", "package-0", 0)
    make_zone(tmp_path, "intel-rapl:2", "psys", 0)  # platform domain: not a package
    assert find_package_zones(tmp_path) == [p0, p1]

    meter = EnergyMeter(sysfs_root=tmp_path)
    meter.start()
    set_energy(p0, 3_600_000_000)  # 1 Wh
    set_energy(p1, 5_000 + 7_200_000_000)  # 2 Wh
    set_energy(mmio, 3_600_000_000)
    reading = meter.read()
    assert reading.source == "measured"
    assert reading.wh == pytest.approx(3.0)
    assert "2 CPU package(s)" in reading.assumption_en


def test_amd_rapl_zone_is_used(tmp_path):
    package = make_zone(tmp_path, "amd-rapl:0", "package-0", 0)
    meter = EnergyMeter(sysfs_root=tmp_path)
    meter.start()
    set_energy(package, 1_800_000_000)
    assert meter.read().wh == pytest.approx(0.5)


def test_unreadable_counter_falls_back_to_estimate(tmp_path, monkeypatch):
    make_zone(tmp_path, "intel-rapl:0", "package-0", 0)
    real_read_int = energy._read_int

    def root_only(path: Path) -> int:
        # energy_uj is mode 0400 since Linux 5.10; chmod would not stop a test run as root, so raise here.
        if path.name == "energy_uj":
            raise PermissionError(13, "Permission denied", str(path))
        return real_read_int(path)

    monkeypatch.setattr(energy, "_read_int", root_only)
    cpu = FakeCounter(0.0)
    meter = EnergyMeter(sysfs_root=tmp_path, cpu_seconds=cpu)
    meter.start()
    cpu.value = 240.0
    reading = meter.read()
    assert reading.source == "estimated"
    assert reading.wh == pytest.approx(240 * 15 / 3600)  # 1 Wh


def test_missing_counter_falls_back_to_estimate(tmp_path):
    package = make_zone(tmp_path, "intel-rapl:0", "package-0", 0)
    (package / "max_energy_range_uj").unlink()
    meter = EnergyMeter(sysfs_root=tmp_path, cpu_seconds=FakeCounter(0.0))
    meter.start()
    assert meter.read().source == "estimated"
    assert EnergyMeter(sysfs_root=tmp_path / "absent", cpu_seconds=FakeCounter()).read().source == "estimated"


def test_counter_lost_mid_run_keeps_measured_part_and_estimates_the_rest(tmp_path):
    package = make_zone(tmp_path, "intel-rapl:0", "package-0", 0)
    cpu = FakeCounter(10.0)
    meter = EnergyMeter(sysfs_root=tmp_path, cpu_seconds=cpu)
    meter.start()
    set_energy(package, 3_600_000_000)  # 1 Wh measured
    assert meter.read().wh == pytest.approx(1.0)

    (package / "energy_uj").unlink()
    assert meter.read().wh == pytest.approx(1.0)
    cpu.value = 10.0 + 360.0  # 360 CPU-s × 15 W = 1.5 Wh after the fallback
    reading = meter.read()
    assert reading.source == "estimated"
    assert reading.wh == pytest.approx(2.5)
    assert "1.00 Wh measured" in reading.assumption_en


def test_estimate_is_cpu_seconds_times_watts_per_core(tmp_path):
    cpu = FakeCounter(50.0)  # CPU time before start() is not charged to the run
    clock = FakeCounter(0.0)
    meter = EnergyMeter(sysfs_root=tmp_path, cpu_seconds=cpu, clock=clock)
    meter.start()
    cpu.value = 50.0 + 123.0
    clock.value = 60.0
    reading = meter.read()
    # 123 CPU-s × 15 W = 1845 J = 0.5125 Wh, over 60 s of wall clock = 30.75 W average
    assert reading.source == "estimated"
    assert reading.wh == pytest.approx(0.5125)
    assert reading.watts_avg == pytest.approx(30.75)
    assert reading.assumption_en == (
        "estimated: 123 CPU-seconds × 15 W per busy core (Desktop CPU (example))."
    )
    assert "CPU 時間 123 秒" in reading.assumption_ja
    assert "15 W" in reading.assumption_ja


def test_estimate_with_idle_watts_and_other_profile(tmp_path):
    cpu, clock = FakeCounter(0.0), FakeCounter(0.0)
    profile = PowerProfile("Line PC", watts_per_core=10.0, idle_watts=20.0)
    meter = EnergyMeter(profile=profile, sysfs_root=tmp_path, cpu_seconds=cpu, clock=clock)
    meter.start()
    cpu.value, clock.value = 180.0, 360.0
    # (180 s × 10 W + 360 s × 20 W) / 3600 = (1800 + 7200) / 3600 = 2.5 Wh
    reading = meter.read()
    assert reading.wh == pytest.approx(2.5)
    assert "360 s × 20 W idle" in reading.assumption_en


def test_offset_from_before_resume_is_added(tmp_path):
    cpu = FakeCounter(0.0)
    meter = EnergyMeter(offset_wh=4.25, sysfs_root=tmp_path, cpu_seconds=cpu)
    meter.start()
    assert meter.read().wh == pytest.approx(4.25)
    cpu.value = 240.0  # + 1 Wh
    reading = meter.read()
    assert reading.wh == pytest.approx(5.25)
    assert "4.25 Wh used before the run was resumed" in reading.assumption_en

    package = make_zone(tmp_path, "intel-rapl:0", "package-0", 0)
    measured = EnergyMeter(offset_wh=1.0, sysfs_root=tmp_path)
    measured.start()
    set_energy(package, 3_600_000_000)
    assert measured.read().wh == pytest.approx(2.0)


def test_readings_never_decrease(tmp_path):
    cpu = FakeCounter(100.0)
    meter = EnergyMeter(sysfs_root=tmp_path, cpu_seconds=cpu)
    meter.start()
    cpu.value = 200.0
    high = meter.read().wh
    cpu.value = 150.0  # a misbehaving source must not make the reading go back
    assert meter.read().wh == high


def test_read_before_start_starts_the_meter(tmp_path):
    meter = EnergyMeter(offset_wh=2.0, sysfs_root=tmp_path, cpu_seconds=FakeCounter(7.0))
    assert meter.read().wh == pytest.approx(2.0)


def test_real_process_reading_is_sane():
    meter = EnergyMeter()
    meter.start()
    sum(i * i for i in range(200_000))  # a little CPU work
    reading = meter.read()
    assert reading.wh >= 0.0
    assert reading.source in ("measured", "estimated")
    assert process_cpu_seconds() > 0.0


def test_profiles_are_examples_with_the_documented_watts():
    assert DEFAULT_PROFILE is POWER_PROFILES["desktop"]
    assert {k: p.watts_per_core for k, p in POWER_PROFILES.items()} == {
        "laptop": 7.0,
        "desktop": 15.0,
        "workstation": 25.0,
    }
    assert all("example" in p.name for p in POWER_PROFILES.values())


def test_set_offset_after_start_keeps_what_the_session_already_used(tmp_path):
    cpu = FakeCounter(0.0)
    meter = EnergyMeter(sysfs_root=tmp_path, cpu_seconds=cpu, profile=PowerProfile("x", 36.0, 0.0))
    meter.start()
    cpu.value = 100.0  # 100 s × 36 W = 1 Wh of preparation, before the checkpoint is read
    assert meter.read().wh == pytest.approx(1.0)
    meter.set_offset(4.0)  # the run used 4 Wh before this session
    assert meter.read().wh == pytest.approx(5.0)
    cpu.value = 200.0
    assert meter.read().wh == pytest.approx(6.0)


def test_a_runs_energy_includes_its_preparation_also_when_resumed(tiny_gguf, tmp_path, monkeypatch):
    """Converting, probing and caching cost energy; a meter started after preparation would drop it."""
    from app.engine.tuning import tuner
    from tests.support import tiny_config, write_demo_csv

    cpu = FakeCounter(0.0)
    profile = PowerProfile("test", 3600.0, 0.0)  # 1 CPU-second = 1 Wh, no idle share: only CPU time counts
    monkeypatch.setattr(
        tuner,
        "EnergyMeter",
        functools.partial(EnergyMeter, sysfs_root=tmp_path / "no-rapl", cpu_seconds=cpu, profile=profile),
    )
    prepare = tuner._Run.prepare

    def costly_prepare(self):
        prepare(self)
        cpu.value += 5.0  # preparation took 5 CPU-seconds = 5 Wh; the steps take none on this clock

    monkeypatch.setattr(tuner._Run, "prepare", costly_prepare)
    data = write_demo_csv(tmp_path / "orders.csv")
    first = tuner.tune(tiny_config(tiny_gguf, data, tmp_path / "run", steps=2, export=False))
    assert first.report["energy_wh"] == pytest.approx(5.0)
    resumed = tuner.tune(tiny_config(tiny_gguf, data, tmp_path / "run", steps=4, export=False, resume=True))
    assert resumed.report["energy_wh"] == pytest.approx(10.0)
