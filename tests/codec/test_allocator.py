import os
import platform
import subprocess
import sys

import pytest

from codec.allocator import retain_freed_memory

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"

# Frees and allocates 36 MB of 12 MB blocks, as a decode's layers do, and prints the page faults
# that took (a fresh process: the allocator's settings are per process).
_CHURN = """
import resource, sys
import numpy as np
from codec.allocator import retain_freed_memory
if sys.argv[1] == "retain":
    assert retain_freed_memory({}).applied
np.ones(1_500_000)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(30):
    blocks = [np.ones(1_500_000) for _ in range(3)]
    del blocks
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _page_faults(mode: str) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "GLIBC_TUNABLES"}
    done = subprocess.run(
        [sys.executable, "-c", _CHURN, mode], capture_output=True, text=True, timeout=120, check=True, env=env
    )
    return int(done.stdout.strip())


@pytest.mark.skipif(not GLIBC, reason="the settings are glibc's")
def test_retaining_freed_memory_spares_the_page_faults_of_reallocating_large_blocks():
    default, retained = _page_faults("default"), _page_faults("retain")
    # 30 rounds of 36 MB are 260k pages if every block were fresh; the kept blocks fault once.
    assert retained * 4 < default, (default, retained)


def test_the_user_can_switch_it_off_and_their_own_malloc_settings_win():
    off = retain_freed_memory({"MSP_RETAIN_FREED_MEMORY": "0"})
    assert not off.applied and "MSP_RETAIN_FREED_MEMORY" in off.reason
    theirs = retain_freed_memory({"MALLOC_TRIM_THRESHOLD_": "1000000"})
    assert not theirs.applied and "environment" in theirs.reason
    tunables = retain_freed_memory({"GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=65536"})
    assert not tunables.applied
