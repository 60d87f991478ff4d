"""Hard time limits: a solve runs in a worker process that is killed at the deadline.

Why. HiGHS looks at its clock (``time_limit``, and the interrupt callbacks) only at points of its own choosing,
and its presolve and the root LP of a large model can run far past a limit: before this module a 60 s limit
ended after 124–164 s on 28,480–284,800-region MILPs, and a 5 s limit on the 28,480-region minimax LP after 9 s.
A limit the user sets must hold, so two layers:

1. **In the solving process** HiGHS gets what is left of the limit as ``time_limit`` and an interrupt callback
   (simplex, IPM, MIP) that stops it at the deadline; every improving MIP solution is passed on as it is found
   (``highs.run``). A solve that yields returns its incumbent and gap itself.
2. **A worker process** (:func:`call`): the parent sends the *inputs* (O(n) arrays, pickled through a pipe; the
   worker builds the model), receives each incumbent the moment it is found and then the result, and at
   deadline + ``GRACE`` kills the worker (SIGKILL) and reaps it (``wait``, in a background thread: no
   zombie). A solve that does not yield (presolve) ends there, with the last incumbent received or with none.
   Nothing is written to files by a worker, so a kill cannot leave a half-written output.

So a call returns by deadline + GRACE + the kill (milliseconds); the worker's own start-up counts against the
limit, not on top of it. GRACE is short because incumbents are already in the parent: waiting longer would only
let HiGHS add its final gap.

Process start: a fresh interpreter (``python -c``, talking through two pipes), i.e. the 'spawn' pattern, safe
on any platform. ``fork`` would copy HiGHS's global thread pool (and Streamlit's threads) in an unknown state;
``forkserver`` keeps a per-process singleton that breaks in processes forked from its owner (the
``ProcessPoolExecutor`` workers of ``ecocomp scenario --jobs``); multiprocessing's own ``spawn`` re-runs the
caller's ``__main__`` in the child, which breaks scripts without an ``if __name__ == "__main__"`` guard. A new
worker costs an interpreter start and the package import (≈ 1–2 s on the shared 2-core machine), so it is kept
and reused (one per concurrent caller, at most ``MAX_IDLE`` idle) and replaced only after a kill;
:func:`prestart` starts one in the background while the caller still computes. A warm round trip costs
milliseconds (``benchmarks/bench_time_limit.py``), which is why :mod:`.solver` uses the worker above 5,000
regions, where a solve takes hundreds of milliseconds or more."""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass

GRACE = 0.25  # seconds the parent waits past the deadline for the worker's own (time-limited) answer
MAX_IDLE = 2
_idle: list[_Worker] = []
_lock = threading.Lock()
_conn = None  # inside a worker: the pipe to the parent (report() sends on it)


@dataclass
class Outcome:
    status: str  # "done" (fn returned) | "killed" (at the deadline) | "error" (fn raised, or the worker died)
    result: object | None  # what fn returned ("done" only)
    incumbent: object | None  # the last payload fn passed to report(), if any
    elapsed: float  # seconds from call() to its return
    pid: int | None = None  # the worker's process id
    message: str = ""


_BOOT = ("import sys; from multiprocessing.connection import Connection; "
         "rx, tx = Connection(int(sys.argv[1]), writable=False), Connection(int(sys.argv[2]), readable=False); "
         "sys.path[:] = rx.recv(); from compensation.allocation.deadline import _serve; _serve(rx, tx)")


class _Worker:
    """A solver process: a fresh interpreter (``python -c _BOOT``) that talks through two pipes. It imports no
    ``__main__`` (unlike multiprocessing's spawn, which re-runs the caller's script), so an unguarded user script
    works; it ends by itself when the parent goes (end of file on its pipe)."""

    def __init__(self):
        # imported when a worker is started, not with the package (~2 ms of every command)
        from multiprocessing.connection import Connection

        down_r, down_w = os.pipe()  # parent → worker
        up_r, up_w = os.pipe()  # worker → parent
        try:
            self.proc = subprocess.Popen([sys.executable, "-c", _BOOT, str(down_r), str(up_w)],
                                         pass_fds=(down_r, up_w), stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=True)
        except BaseException:
            for fd in (down_r, down_w, up_r, up_w):
                os.close(fd)
            raise
        os.close(down_r)
        os.close(up_w)
        self.tx = Connection(down_w, readable=False)
        self.rx = Connection(up_r, writable=False)
        self.tx.send(list(sys.path))

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self, wait: bool = True) -> None:
        """SIGKILL, then reap (wait), so that no zombie is left; the pipes are closed. ``wait=False`` reaps in a
        background thread: the kernel takes a moment to free a large solver's memory, and the caller need not
        wait for that."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.tx.close()
        self.rx.close()
        if wait:
            self.proc.wait()
        else:
            threading.Thread(target=self.proc.wait, name="ecocomp-reaper", daemon=True).start()


def _serve(rx, tx) -> None:
    """The worker's loop: run each (fn, args, kwargs) received, send ('done', result) or ('error', text)."""
    global _conn
    _conn = tx
    while True:
        try:
            fn, args, kwargs = rx.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        try:
            result = fn(*args, **kwargs)
        except BaseException:  # noqa: BLE001 - everything goes back to the parent as text
            tx.send(("error", traceback.format_exc()))
        else:
            tx.send(("done", result))


def report(payload) -> None:
    """Inside a worker: pass an intermediate result (an incumbent) to the parent now, so that it survives a kill.
    Elsewhere: nothing."""
    if _conn is not None:
        _conn.send(("incumbent", payload))


def in_worker() -> bool:
    return _conn is not None


def _take() -> _Worker:
    with _lock:
        while _idle:
            w = _idle.pop()
            if w.alive():
                return w
            w.kill()
    return _Worker()


def _give_back(w: _Worker) -> None:
    with _lock:
        if len(_idle) < MAX_IDLE and w.alive():
            _idle.append(w)
            return
    w.kill()


def prestart() -> None:
    """Start a worker in the background (if none is idle), so that a later :func:`call` finds it warm."""
    with _lock:
        if any(w.alive() for w in _idle):
            return
    try:
        w = _Worker()
    except OSError:  # no process can be started: call() will say so
        return
    _give_back(w)


def shutdown() -> None:
    """Stop every idle worker (tests, or a long-running host that wants its memory back)."""
    with _lock:
        workers, _idle[:] = list(_idle), []
    for w in workers:
        w.kill()


def _forget_after_fork() -> None:
    """In a forked child (e.g. a ProcessPoolExecutor worker): the parent's idle workers are the parent's; the
    child starts its own when it needs one (two processes on one pipe would garble it)."""
    global _lock
    _idle.clear()
    _lock = threading.Lock()


atexit.register(shutdown)  # idle workers end with their parent (they would also end on their pipe's EOF)
os.register_at_fork(after_in_child=_forget_after_fork)


def call(fn, args=(), kwargs=None, deadline: float | None = None, grace: float = GRACE) -> Outcome:
    """Run ``fn(*args, **kwargs)`` in a worker; ``deadline`` is a ``time.monotonic()`` value (the same clock in
    every process on Linux). Waits until the result comes or until deadline + grace, then kills the worker.

    ``fn`` and its arguments must be picklable (a module-level function). Incumbents ``fn`` passes to
    :func:`report` are kept; the last one is returned with the outcome. Raises OSError only if no worker can
    be started at all (the caller then solves in-process)."""
    t0 = time.monotonic()
    if deadline is not None and t0 >= deadline:
        return Outcome("killed", None, None, 0.0, None, message="the time limit was used up before the solve started")
    w = _take()
    pid = w.proc.pid
    stop = None if deadline is None else deadline + grace
    incumbent = None
    try:
        w.tx.send((fn, tuple(args), dict(kwargs or {})))
        while True:
            wait = None if stop is None else stop - time.monotonic()
            if wait is not None and wait <= 0:
                break
            if not w.rx.poll(wait):
                break
            kind, payload = w.rx.recv()
            if kind == "incumbent":
                incumbent = payload
                continue
            _give_back(w)
            if kind == "done":
                return Outcome("done", payload, incumbent, time.monotonic() - t0, pid)
            return Outcome("error", None, incumbent, time.monotonic() - t0, pid,
                           message=str(payload).strip().splitlines()[-1])
    except (EOFError, OSError, BrokenPipeError) as exc:  # the worker died (e.g. out of memory)
        w.kill()
        code = w.proc.returncode
        return Outcome("error", None, incumbent, time.monotonic() - t0, pid,
                       message=f"the solver process ended unexpectedly (exit code {code}): {exc!r}")
    while w.rx.poll(0):  # whatever arrived as the time ran out
        kind, payload = w.rx.recv()
        if kind == "incumbent":
            incumbent = payload
        elif kind == "done":
            _give_back(w)
            return Outcome("done", payload, incumbent, time.monotonic() - t0, pid)
        else:
            break
    w.kill(wait=False)
    return Outcome("killed", None, incumbent, time.monotonic() - t0, pid,
                   message=f"the solver did not stop at the time limit and its process was ended "
                           f"{grace:.1f}s after it")
