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
    cpus = len(os.sched_getaffinity(0))
    assert auto_workers() == max(1, cpus - 1) and auto_workers(caller_busy=False) == cpus
    with pytest.raises(ValueError, match="0 or more"):
        WorkerPool(-1)


def square(n: int) -> int:
    return n * n


@pytest.mark.parametrize("workers", [0, 2])
def test_ordered_gives_every_result_in_order_with_a_bounded_number_in_flight(workers):
    submitted = []

    def numbers():
        for n in range(40):
            submitted.append(n)
            yield n

    with WorkerPool(workers) as pool:
        results = []
        for result in pool.ordered(square, numbers(), ahead=2):
            results.append(result)
            assert len(submitted) - len(results) <= max(1, workers * 2)  # a long input is never all read
    assert results == [n * n for n in range(40)]


def test_ordered_says_when_a_worker_died():
    with WorkerPool(1) as pool, pytest.raises(WorkerDied, match="worker process died"):
        list(pool.ordered(os._exit, [3]))


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


# --------------------------------------------------------------------------- independent of the working directory

_READ_IN_A_WORKER = """
import asyncio, json, sys
from itp6crawl.reading import read_page
from itp6crawl.replica import build_site
from itp6crawl.workers import WorkerPool

def package_origin():
    import itp6crawl
    return itp6crawl.__spec__.origin

if __name__ == "__main__":
    site = build_site(n_articles=2, seed=3)
    spec = site.articles[0]
    html = site.render(spec.path, "http://127.0.0.1:8123")[2]
    pool = WorkerPool(1)
    try:
        reading = asyncio.run(pool.run(read_page, html, spec.url("http://127.0.0.1:8123")))
        origin = asyncio.run(pool.run(package_origin))
    finally:
        pool.close()
    print(json.dumps({"title": reading.article.title, "body_seg": reading.segments.body_seg[:200],
                      "origin": origin, "here": package_origin()}))
"""


def decoy(folder, kind: str):
    """A folder holding an ``itp6crawl/`` directory that is not the package: the checkout's own root seen
    from its parent (no ``__init__.py``; Python makes it a namespace package), or another package."""
    (folder / "itp6crawl" / "data").mkdir(parents=True)
    if kind == "package":
        (folder / "itp6crawl" / "__init__.py").write_text('"""Another package of the same name."""\n')
    return folder


@pytest.mark.parametrize("kind", ["checkout", "package"])
def test_a_worker_reads_a_page_from_a_folder_holding_an_itp6crawl_directory(tmp_path, kind):
    """The worker pool's fork server is started as ``python -c``, so the working directory comes first on
    its ``sys.path``: it imported that folder's ``itp6crawl/`` under the package's name, and the user
    dictionary was looked for in it (FileNotFoundError .../itp6crawl/data/userdict.txt for every page)."""
    import json
    import subprocess
    import sys

    script = tmp_path / "read_in_a_worker.py"
    script.write_text(_READ_IN_A_WORKER)
    work = decoy(tmp_path / "work", kind)
    result = subprocess.run(
        [sys.executable, str(script)], cwd=work, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
    )
    assert result.returncode == 0, result.stderr[-3000:]
    reading = json.loads(result.stdout)
    assert reading["title"] and reading["body_seg"]
    assert reading["origin"] == reading["here"]  # the workers run the crawl's package, not the folder's


def test_a_crawl_with_workers_archives_every_article_from_a_checkouts_parent(tmp_path):
    """The defect as users met it: ``itp6crawl crawl`` run beside a checkout named itp6crawl."""
    import subprocess
    import sys
    from pathlib import Path

    import sqlite_utils

    from itp6crawl.replica import ReplicaServer, build_site

    work = decoy(tmp_path / "src", "checkout")
    db = tmp_path / "archive" / "itp6.db"
    command = Path(sys.executable).with_name("itp6crawl")  # the installed command, as a user runs it
    with ReplicaServer(build_site(n_articles=6, seed=5)) as server:
        result = subprocess.run(
            [str(command), "crawl", "--site", server.base_url, "--db", str(db), "--local", "-s", "ITP6_WORKERS=1"],
            cwd=work,
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert result.returncode == 0, result.stderr[-3000:]
    archive = sqlite_utils.Database(db)
    assert archive["articles"].count == 6 and archive["failures"].count == 0
    assert all(row["body_seg"] for row in archive["articles"].rows)
