import asyncio
import os
import signal

import pytest

from itp6crawl.workers import WorkerDied, WorkerPool, auto_workers


def run(pool: WorkerPool, fn, *args):
    return asyncio.run(pool.run(fn, *args))


def test_no_workers_runs_the_call_here():
    pool = WorkerPool(0)
    assert run(pool, os.getpid) == os.getpid()
    pool.close()


def test_a_worker_runs_the_call_in_another_process_and_survives_the_signals_a_terminal_sends():
    pool = WorkerPool(1)
    try:
        worker = run(pool, os.getpid)
        assert worker != os.getpid()
        # Ctrl-C and a service manager's stop reach the whole process group: the crawl decides, not them.
        os.kill(worker, signal.SIGINT)
        os.kill(worker, signal.SIGTERM)
        assert run(pool, os.getpid) == worker
    finally:
        pool.close()


def test_a_dead_worker_fails_its_call_and_the_next_call_gets_a_new_pool():
    pool = WorkerPool(1)
    try:
        first = run(pool, os.getpid)
        with pytest.raises(WorkerDied, match="worker process died"):
            run(pool, os._exit, 3)
        assert run(pool, os.getpid) not in (first, os.getpid())
    finally:
        pool.close()
    pool.close()  # twice is harmless


def test_worker_counts():
    assert auto_workers() == max(1, len(os.sched_getaffinity(0)) - 1)
    with pytest.raises(ValueError, match="0 or more"):
        WorkerPool(-1)
