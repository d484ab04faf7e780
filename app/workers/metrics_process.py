"""The perceptual-metrics process: ``python -m app.workers.metrics_process`` (no Qt here).

:mod:`app.workers.perceptual_jobs` starts it and talks to it through its standard streams: each
request is a pickled ``(token, reference, reconstruction)``, each answer a pickled ``(token,
(SSIMULACRA2, FLIP))``, or ``(token, "why it failed")``; it ends when its input closes. A plain
child interpreter rather than a ``multiprocessing`` pool: a pool's spawned worker re-imports the
parent's ``__main__`` and, where that cannot be done, is respawned without end while the task
never answers; here a start that fails is an end of stream the parent sees at once. See
:mod:`app.core.perceptual` for why these metrics run in a process of their own.
"""

from __future__ import annotations

import pickle
import sys

import numpy as np

from app.workers.priority import BACKGROUND_NICE, lower_current_thread_priority

__all__ = ["measure", "serve", "METRICS_NICE"]

METRICS_NICE = min(19, BACKGROUND_NICE + 5)


def measure(reference: np.ndarray, reconstruction: np.ndarray) -> tuple[float | None, float]:
    """(SSIMULACRA2, FLIP) of ``reconstruction`` against ``reference``."""
    from codec.eval.metrics import flip_rgb, ssimulacra2_rgb

    return ssimulacra2_rgb(reference, reconstruction), flip_rgb(reference, reconstruction)


def serve() -> None:
    """Answer requests from stdin on stdout until stdin closes."""
    # Below the encoders (the sides' results come first), far below the GUI; FLIP's one OpenMP
    # thread inherits it.
    lower_current_thread_priority(METRICS_NICE)
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the answers
    while True:
        try:
            token, reference, reconstruction = pickle.load(requests)
        except EOFError:
            return
        reply: object
        try:
            reply = measure(reference, reconstruction)
        except Exception as exc:  # noqa: BLE001 - the parent shows why; the process stays up
            reply = f"{type(exc).__name__}: {exc}"
        pickle.dump((token, reply), answers, protocol=pickle.HIGHEST_PROTOCOL)
        answers.flush()


if __name__ == "__main__":
    serve()
