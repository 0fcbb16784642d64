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


_KILLED_PARENT = """
import asyncio, os, signal, sys
from itp6crawl.workers import WorkerPool
if __name__ == "__main__":
    pool = WorkerPool(1)
    with open(sys.argv[1], "w") as out:
        out.write(str(asyncio.run(pool.run(os.getpid))))
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_workers_leave_with_a_crawl_killed_outright(tmp_path):
    """SIGKILL gives the pool no chance to stop its workers, and a worker holds both ends of its task
    queue: before, it waited for tasks forever (and kept its fork server alive) after every killed crawl."""
    import subprocess
    import sys
    import time

    script, pid_file = tmp_path / "killed.py", tmp_path / "worker.pid"
    script.write_text(_KILLED_PARENT)
    # No pipes: an orphaned worker would hold them open, and the wait would be for it, not for the script.
    result = subprocess.run(
        [sys.executable, str(script), str(pid_file)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60
    )
    assert result.returncode == -signal.SIGKILL
    worker = int(pid_file.read_text())
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(worker, signal.SIGKILL)
    pytest.fail(f"worker {worker} outlived its killed parent")
