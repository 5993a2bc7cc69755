"""One call run in a forked child while the build goes on: the listing of the output trees (output.TreeScans),
the paywall audit of a one-edit build (audit_fork.AuditAhead).

The child inherits the build's memory as it is at the fork, so nothing is sent to it; its answer comes back
pickled through a pipe. It never sees a Ctrl-C (the build ends it), and it leaves without running the
parent's exit handlers.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class ForkedCall(Generic[T]):
    """function() in a forked child; its value taken once with `result`.

    Where forking is unsafe (a process with threads: the preview server) or impossible, nothing is
    started (`started` is False) and `result` gives None: the caller does the work itself.
    """

    def __init__(self, function: Callable[[], T]) -> None:
        self._pid: int | None = None
        self._pipe: int | None = None
        if not hasattr(os, "fork") or threading.active_count() != 1:
            return
        reading, writing = os.pipe()
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # the child never sees a Ctrl-C
        try:
            pid = os.fork()
        except OSError:
            os.close(reading)
            os.close(writing)
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
            return
        if pid == 0:  # the child: run, send the value (nothing if it raised), and go
            try:
                os.close(reading)
                try:
                    data = pickle.dumps((function(),), pickle.HIGHEST_PROTOCOL)
                except BaseException:  # the parent does the work itself, and meets the error there
                    data = b""
                with open(writing, "wb") as out:
                    out.write(data)
            finally:
                os._exit(0)
        os.close(writing)
        self._pid, self._pipe = pid, reading
        try:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)  # a Ctrl-C held off is raised here
        except BaseException:
            self.close()  # nothing else would end the child
            raise

    @property
    def started(self) -> bool:
        return self._pid is not None

    def result(self) -> tuple[T] | None:
        """(the value,) once the child is done; None when it did not run, raised or died (killed, out of
        memory), or when the value was taken already."""
        if self._pipe is None or self._pid is None:
            return None
        try:
            with open(self._pipe, "rb") as handle:
                data = handle.read()
            os.waitpid(self._pid, 0)
            value = pickle.loads(data) if data else None
        except Exception:
            value = None
        finally:
            self._pid = self._pipe = None
        return value if isinstance(value, tuple) and len(value) == 1 else None

    def close(self) -> None:
        """End the child if it is still there (a build that failed, or Ctrl-C)."""
        if self._pid is not None:
            with contextlib.suppress(OSError):
                os.kill(self._pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(self._pid, 0)
        if self._pipe is not None:
            with contextlib.suppress(OSError):
                os.close(self._pipe)
        self._pid = self._pipe = None
