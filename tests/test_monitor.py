import threading
import time

import psutil

from app.engine.tuning.monitor import ResourceMonitor, ResourceSample, available_memory_mb


def burn_cpu_seconds(seconds: float) -> None:
    # Counted in CPU time, not wall time, so a loaded test machine cannot make the work vanish.
    process = psutil.Process()
    start = sum(process.cpu_times()[:2])
    while sum(process.cpu_times()[:2]) - start < seconds:
        sum(i * i for i in range(1000))


def test_sample_fields_are_in_sane_ranges():
    monitor = ResourceMonitor()
    burn_cpu_seconds(0.2)
    sample = monitor.sample()
    assert isinstance(sample, ResourceSample)
    # A busy thread: above zero, and never more than all cores (100 % per core).
    assert 0.0 < sample.process_cpu_percent <= 100.0 * (psutil.cpu_count() or 1) + 5.0
    assert 0.0 <= sample.system_cpu_percent <= 100.0
    assert 0.0 < sample.system_memory_percent <= 100.0
    assert 1.0 < sample.process_rss_mb < 100_000.0
    assert sample.peak_rss_mb >= sample.process_rss_mb


def test_idle_process_cpu_is_low():
    monitor = ResourceMonitor()
    monitor.sample()
    time.sleep(0.5)
    assert monitor.sample().process_cpu_percent < 50.0


_PEAK_PROBE = """
import numpy as np
from app.engine.tuning.monitor import ResourceMonitor, peak_rss_mb
monitor = ResourceMonitor()
before = monitor.sample()
block = np.ones(200 * 2**20 // 8, dtype=np.float64)  # np.ones writes every page, so it is resident
during = monitor.sample()
assert during.process_rss_mb >= before.process_rss_mb + 190.0, (before, during)
assert during.peak_rss_mb >= during.process_rss_mb
assert during.peak_rss_mb >= before.process_rss_mb + 190.0
assert peak_rss_mb() >= during.process_rss_mb - 1.0
del block
after = monitor.sample()
assert after.peak_rss_mb >= during.peak_rss_mb  # a high-water mark: freeing does not lower it
"""


def test_peak_grows_after_allocating_and_touching_200_mb():
    # A fresh process: in the test process, memory freed by earlier tests may be reused without RSS growth.
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", _PEAK_PROBE], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_sampling_from_a_worker_thread():
    monitor = ResourceMonitor()
    samples: list[ResourceSample] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(5):
                samples.append(monitor.sample())
        except BaseException as exc:  # crossed back to the test as data, like the real worker does
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(samples) == 15
    assert all(s.process_cpu_percent >= 0.0 for s in samples)


def test_available_memory_is_positive_and_below_total():
    available = available_memory_mb()
    assert 0.0 < available <= psutil.virtual_memory().total / 2**20
