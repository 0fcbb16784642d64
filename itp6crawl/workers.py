"""Worker processes for the CPU-bound steps of a crawl (parsing, extraction, segmentation).

Scrapy runs in one thread: while it parses and extracts a page it downloads nothing, and the page's
extraction and segmentation cost more than everything Scrapy itself does with it. :class:`WorkerPool`
runs such steps in other processes and lets an asyncio coroutine (an item pipeline) await them, so
the reactor keeps downloading and storing meanwhile. With no workers it runs them in the caller.

Workers start from a fork server that has imported the extraction and segmentation code once, not by
forking the crawl itself (a process with a reactor and threads must not be forked). They ignore
SIGINT and SIGTERM: Ctrl-C and a service manager signal the whole process group, and the crawl's own
process decides how to stop, then shuts the pool down; a crawl killed outright takes its workers with
it. A worker that dies (killed, out of memory) fails only the pages it held; the next call starts a
new pool.

Workers do not depend on the working directory. The fork server is started as ``python -c …``, which
puts the working directory first on its ``sys.path``, and (up to Python 3.13 at least) it ignores the
crawl's own ``sys.path``: run beside a checkout named ``itp6crawl`` -- from its parent folder -- it
imported that folder as the package, and every page failed. It is started in safe-path mode
(``PYTHONSAFEPATH``, Python's ``-P``), so it imports the package the crawl imported.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

T = TypeVar("T")
A = TypeVar("A")

# Imported once by the fork server, so a worker starts in milliseconds with the code already loaded.
PRELOAD = ["itp6crawl.reading"]


class WorkerDied(RuntimeError):
    """A worker process died while it held this call (the pool is replaced for the next one)."""


def auto_workers(*, caller_busy: bool = True) -> int:
    """One worker per CPU, but one for a caller that keeps a CPU busy itself (at least one worker).

    A crawl's own process downloads, writes WARC records and stores (``ITP6_WORKERS=auto``: the CPUs but
    one); ``reindex``'s mostly waits for its workers and stores in WARC order (``caller_busy=False``:
    one per CPU; on 2 CPUs one worker made a reindex 1.3 times slower)."""
    return max(1, len(os.sched_getaffinity(0)) - (1 if caller_busy else 0))


def worker_count(setting: object) -> int:
    """The number of worker processes ``ITP6_WORKERS`` asks for: a number (0 runs the work in the
    caller's process, the polite default: a page every two seconds leaves that process idle), or
    ``auto`` for :func:`auto_workers` (``--local``, where pages come as fast as they are processed)."""
    if setting == "auto":
        return auto_workers()
    try:
        count = int(setting)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise ValueError(f"ITP6_WORKERS must be a number of processes or 'auto', got {setting!r}") from None
    if count < 0:
        raise ValueError(f"ITP6_WORKERS must be 0 or more, got {count}")
    return count


def _start_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # A worker holds both ends of its own task queue, so a crawl killed with SIGKILL (by the OOM killer,
    # a timeout) would leave it waiting for tasks forever, and with it the fork server. It watches the
    # crawl instead, and leaves with it.
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent,), name="itp6-parent-watch", daemon=True).start()


def _exit_with(parent: multiprocessing.process.BaseProcess) -> None:
    parent.join()  # returns when the parent process has ended
    os._exit(1)


def _context() -> multiprocessing.context.BaseContext:
    if sys.platform == "linux":
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        _start_fork_server()
        return context
    return multiprocessing.get_context("spawn")


_FORK_SERVER_LOCK = threading.Lock()


def _start_fork_server() -> None:
    """Start the fork server (once per process) without the working directory on its ``sys.path``.

    The variable is in the environment only while the server is started, so nothing else the crawl
    starts inherits it; the server keeps it, and so do the workers it forks (they start no Python)."""
    from multiprocessing import forkserver

    with _FORK_SERVER_LOCK:
        saved = os.environ.get("PYTHONSAFEPATH")
        os.environ["PYTHONSAFEPATH"] = "1"
        try:
            forkserver.ensure_running()
        finally:
            if saved is None:
                del os.environ["PYTHONSAFEPATH"]
            else:
                os.environ["PYTHONSAFEPATH"] = saved


class WorkerPool:
    """``await pool.run(fn, *args)`` runs ``fn`` in one of ``workers`` processes, or here when 0.

    ``fn`` and its arguments must pickle (module-level functions, plain data)."""

    def __init__(self, workers: int) -> None:
        if workers < 0:
            raise ValueError(f"workers must be 0 or more, got {workers}")
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=_context(), initializer=_start_worker)
        return self._pool

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if not self.workers:
            return fn(*args, **kwargs)
        pool = self._executor()
        try:
            return await asyncio.wrap_future(pool.submit(fn, *args, **kwargs))
        except BrokenProcessPool as error:
            raise self._died(pool, error) from error

    def _died(self, pool: ProcessPoolExecutor, error: BrokenProcessPool) -> WorkerDied:
        """A worker of ``pool`` died: the first call to see it drops the pool (the next call starts a new
        one); the others just fail."""
        if self._pool is pool:
            pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        return WorkerDied(f"a worker process died ({error})")

    def ordered(self, fn: Callable[[A], T], args: Iterable[A], *, ahead: int = 4) -> Iterator[T]:
        """``fn(arg)`` for each of ``args``, in order, for a synchronous caller (``reindex``): up to
        ``ahead`` calls per worker in flight, so a long input is never all in memory. Here when 0."""
        if not self.workers:
            yield from map(fn, args)
            return
        pool = self._executor()
        pending: deque[Future[T]] = deque()
        try:
            for arg in args:
                pending.append(pool.submit(fn, arg))
                if len(pending) >= self.workers * ahead:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        except BrokenProcessPool as error:
            raise self._died(pool, error) from error
        finally:
            for future in pending:
                future.cancel()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers (waiting for the calls they hold). Safe to call more than once."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
