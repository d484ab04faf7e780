"""Named functions run in a child interpreter: ``python -m app.workers.child_process`` (no Qt here).

Work that holds Python's interpreter lock for long (FLIP's compiled code for its whole run; an
SSIM map's scipy filters, a strip at a time, for seconds in all) stalls the GUI thread wherever it
runs in the GUI's process, however low its thread's priority: the GUI thread waits for the lock,
not for a core. So it runs here, in a process of its own. Its users (:mod:`app.workers.perceptual_jobs`,
:mod:`app.workers.error_map_jobs`) each own a :class:`ChildProcess` and :meth:`~ChildProcess.submit`
calls to it, one at a time; its caller thread, started with it, sends each and hands the answer
to the user's callback, which passes it to the GUI thread through a queued signal. A long-lived
thread rather than one per call: ``Thread.start`` waits for the new thread to run, which kept the
GUI thread 11-18 ms at each map on the loaded 2-core machine.

A plain child interpreter over pipes rather than a ``multiprocessing`` pool: a pool's spawned
worker re-imports the parent's ``__main__`` and, where that cannot be done, is respawned without
end while the task never answers; here a start that fails is an end of stream the parent sees at
once. Each request is a pickled ``(token, function name, arguments)``, each answer a pickled
``(token, True, result)`` or ``(token, False, (exception type, message))``; the child ends when its
input closes.

Arrays do not go through the pipe: pickle's protocol 5 hands their pixels over out of band, and
they are written to one file in ``/dev/shm`` (shared memory on Linux; one ``write`` per array,
which releases the interpreter lock) that the other side maps. Through the pipe, 64 KB at a time
with a context switch each, two 6 MP RGB images and their map took 0.3-0.9 s on the loaded
2-core machine; this way, 30-60 ms there and back,
all of it on the calling thread, none on the GUI's.

Only the functions in :data:`FUNCTIONS` can be called. One that takes a ``cancel`` callable gets
one that is true once the parent called :meth:`ChildProcess.cancel` with its token: a second pipe
carries the cancelled tokens, read between the function's own checks, so a stale request stops
within a strip while the parent never waits on the process.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import mmap
import os
import pickle
import queue
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO, Any

import numpy as np

from app.workers.priority import lower_current_thread_priority

__all__ = ["FUNCTIONS", "ChildFunction", "ChildProcess", "ChildFailedError", "ChildStoppedError", "perceptual_metrics", "serve"]

_TOKEN = struct.Struct("<q")
_SHARED_DIR = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()


@dataclass(frozen=True)
class ChildFunction:
    """Where a callable function lives, and whether it takes a ``cancel`` callable."""

    module: str
    name: str
    cancellable: bool = False


def perceptual_metrics(reference: np.ndarray, reconstruction: np.ndarray) -> tuple[float | None, float]:
    """(SSIMULACRA2, FLIP) of ``reconstruction`` against ``reference``."""
    from codec.eval.metrics import flip_rgb, ssimulacra2_rgb

    return ssimulacra2_rgb(reference, reconstruction), flip_rgb(reference, reconstruction)


FUNCTIONS = {
    "perceptual_metrics": ChildFunction(__name__, "perceptual_metrics"),
    "error_levels": ChildFunction("app.core.error_maps", "error_levels", cancellable=True),
}
"""What a parent may ask the child to run, by name."""


class ChildFailedError(Exception):
    """The function raised in the child: ``kind`` is its exception's type name, ``message`` its text."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message


class ChildStoppedError(Exception):
    """The child ended (killed, crashed, or could not start) before it answered."""


class ChildProcess:
    """The parent's handle on one child, started by :meth:`start` (again after it stopped).

    :meth:`call` blocks (call it on a worker thread, one call at a time, after :meth:`start`);
    :meth:`start`, :meth:`submit`, :meth:`cancel` and :meth:`stop` return at once and are for the GUI thread.
    """

    def __init__(self, nice: int, preload: Iterable[str] = (), threads: int = 1) -> None:
        """``nice``: the child's priority; ``preload``: modules it imports as it starts (so that the
        first call does not wait for them); ``threads``: its OpenMP / BLAS threads."""
        self.nice = nice
        self.preload = tuple(preload)
        self.threads = threads
        self._process: subprocess.Popen[bytes] | None = None
        self._cancel_pipe: int | None = None  # the write end
        self._lock = threading.Lock()
        self._calls: queue.SimpleQueue[tuple[int, str, tuple[Any, ...], Callable[[int, Any], None]]] = queue.SimpleQueue()
        threading.Thread(target=self._serve_calls, name="child-process-calls", daemon=True).start()

    def start(self) -> subprocess.Popen[bytes]:
        """The running child, started if there is none (raises OSError if it cannot start)."""
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                return self._process
        self.stop()
        cancel_read, cancel_write = os.pipe()
        os.set_blocking(cancel_write, False)
        threads = str(self.threads)
        env = dict(os.environ, OMP_NUM_THREADS=threads, OPENBLAS_NUM_THREADS=threads, MKL_NUM_THREADS=threads,
                   PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", __name__, str(self.nice), str(cancel_read), *self.preload],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, pass_fds=(cancel_read,))
        except OSError:
            os.close(cancel_write)
            raise
        finally:
            os.close(cancel_read)
        with self._lock:
            self._process, self._cancel_pipe = process, cancel_write
        return process

    def call(self, token: int, function: str, *args: Any) -> Any:
        """Run ``FUNCTIONS[function](*args)`` in the child and return its result; raises
        :class:`ChildFailedError` if it raised there, :class:`ChildStoppedError` if the child ended first."""
        if function not in FUNCTIONS:
            raise KeyError(f"{function!r} is not a child function")
        shared: list[str] = []
        try:
            pipe_in, pipe_out = _pipes(self._process)
            _send((token, function, args), pipe_in, shared)
            answered, ok, value = _receive(pipe_out, unlink=True)
        except (OSError, EOFError, ValueError, pickle.PickleError) as exc:  # it died, or was ended
            raise ChildStoppedError(f"the process stopped ({type(exc).__name__})") from exc
        finally:
            for path in shared:  # the child has mapped it, or never will
                with contextlib.suppress(OSError):
                    os.unlink(path)
        if answered != token:
            raise ChildStoppedError("the process answered another request")
        if not ok:
            raise ChildFailedError(*value)
        return value

    def submit(self, token: int, function: str, args: tuple[Any, ...], answered: Callable[[int, Any], None]) -> None:
        """Queue :meth:`call` for the caller thread, which then runs ``answered(token, its result)``,
        or ``answered(token, the ChildFailedError or ChildStoppedError)``."""
        self._calls.put((token, function, args, answered))

    def _serve_calls(self) -> None:
        while True:
            token, function, args, answered = self._calls.get()
            result: Any
            try:
                result = self.call(token, function, *args)
            except (ChildFailedError, ChildStoppedError) as exc:
                result = exc
            answered(token, result)

    def cancel(self, token: int) -> None:
        """Tell a cancellable function running (or about to run) for ``token`` to stop."""
        with self._lock:
            pipe = self._cancel_pipe
            if pipe is None:
                return
            with contextlib.suppress(OSError):  # full (thousands unread) or the child is gone: nothing to stop
                os.write(pipe, _TOKEN.pack(token))

    def stop(self) -> None:
        """End the child now (a call under way raises :class:`ChildStoppedError`)."""
        with self._lock:
            process, self._process = self._process, None
            pipe, self._cancel_pipe = self._cancel_pipe, None
        if pipe is not None:
            os.close(pipe)
        if process is None:
            return
        if process.poll() is None:
            process.kill()  # nothing to save: it holds only the request it was answering
            process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def _send(message: object, stream: IO[bytes], shared: list[str]) -> None:
    """Pickle ``message`` to ``stream``, its arrays' pixels to a new shared file (its path appended to ``shared``)."""
    buffers: list[pickle.PickleBuffer] = []
    payload = pickle.dumps(message, protocol=5, buffer_callback=buffers.append)
    path, sizes = None, []
    if buffers:
        fd, path = tempfile.mkstemp(prefix="msp-studio-", dir=_SHARED_DIR)
        shared.append(path)
        try:
            for buffer in buffers:
                view = buffer.raw()
                sizes.append(view.nbytes)
                written = 0
                while written < view.nbytes:
                    written += os.write(fd, view[written:])
        finally:
            os.close(fd)
    pickle.dump((payload, path, sizes), stream, protocol=5)
    stream.flush()


def _receive(stream: IO[bytes], unlink: bool) -> Any:
    """What :func:`_send` sent, its arrays mapped from the shared file (copy-on-write: writable,
    the file untouched); ``unlink``: remove the file once mapped."""
    payload, path, sizes = pickle.load(stream)
    if path is None:
        return pickle.loads(payload)
    try:
        with open(path, "rb") as file:
            data = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_COPY) if sum(sizes) else b""
    finally:
        if unlink:
            os.unlink(path)
    memory, views, at = memoryview(data), [], 0
    for size in sizes:
        views.append(memory[at:at + size])
        at += size
    return pickle.loads(payload, buffers=views)


def _pipes(process: subprocess.Popen[bytes] | None) -> tuple[IO[bytes], IO[bytes]]:
    if process is None or process.stdin is None or process.stdout is None:
        raise OSError("no pipes to the child process")
    return process.stdin, process.stdout


class _Cancelled:
    """The child's side of the cancel pipe: the tokens cancelled so far (read without blocking)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.tokens: set[int] = set()
        self._partial = b""
        os.set_blocking(fd, False)

    def __call__(self, token: int) -> bool:
        with contextlib.suppress(BlockingIOError):
            while chunk := os.read(self.fd, 4096):
                data = self._partial + chunk
                whole = len(data) - len(data) % _TOKEN.size
                self.tokens.update(t for (t,) in _TOKEN.iter_unpack(data[:whole]))
                self._partial = data[whole:]
        return token in self.tokens


def _resolve(name: str) -> Callable[..., Any]:
    function = FUNCTIONS[name]
    return getattr(importlib.import_module(function.module), function.name)


def serve(nice: int, cancel_fd: int, preload: Iterable[str] = ()) -> None:
    """Answer requests from stdin on stdout until stdin closes."""
    lower_current_thread_priority(nice)  # the OpenMP threads its functions start inherit it
    for module in preload:
        importlib.import_module(module)
    cancelled = _Cancelled(cancel_fd)
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the answers
    while True:
        try:
            token, name, args = _receive(requests, unlink=False)  # the parent removes the file
        except EOFError:
            return
        answer: tuple[int, bool, object]
        try:
            kwargs = {"cancel": functools.partial(cancelled, token)} if FUNCTIONS[name].cancellable else {}
            answer = (token, True, _resolve(name)(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - the parent shows why; the process stays up
            answer = (token, False, (type(exc).__name__, str(exc)))
        cancelled.tokens.discard(token)
        _send(answer, answers, [])  # the parent removes the file


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:])
