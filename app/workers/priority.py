"""Keep background threads from starving the GUI thread.

On a small machine (2 cores, shared with other jobs) the encoder's threads would otherwise
compete with the GUI thread on equal terms, and the window would stutter. Linux schedules each
thread separately, so a worker lowers its *own* niceness; threads and processes it starts later
(torch's intra-op pool, FFmpeg) inherit it. Elsewhere this is a no-op.
"""

from __future__ import annotations

import os
import sys
import threading

__all__ = ["lower_current_thread_priority", "BACKGROUND_NICE"]

BACKGROUND_NICE = int(os.environ.get("MSP_STUDIO_WORKER_NICE", "10"))


def lower_current_thread_priority(nice: int = BACKGROUND_NICE) -> bool:
    """Raise the calling thread's nice value to at least ``nice``; True if it is now lowered."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        tid = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, tid)
        if current < nice:
            os.setpriority(os.PRIO_PROCESS, tid, nice)
        return True
    except (OSError, AttributeError):
        return False
