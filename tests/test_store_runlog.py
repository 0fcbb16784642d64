"""The run log: a run's row from begin to finish, killed runs, and failures."""

import json
from datetime import timedelta

import pytest

from itp6crawl.store import Archive


@pytest.fixture
def archive(tmp_path):
    with Archive.open(tmp_path / "itp6.db") as archive:
        yield archive


def test_runs_and_failures(archive, fetch_time):
    run = archive.runs.begin("https://www.itp6.com", fetch_time)
    archive.runs.record_failure(run, "https://www.itp6.com/9.html", "HTTP 500", fetch_time, status=500)
    row = archive.runs.finish(
        run, fetch_time, reason="finished", exit_status=0, counts={"fetched": 1, "failed": 1}, stats={"x": 1}
    )
    assert row == archive.db.table("crawl_runs").get(run)
    assert (row["finish_reason"], row["exit_status"], row["fetched"], row["failed"]) == ("finished", 0, 1, 1)
    assert json.loads(row["stats"]) == {"x": 1}
    failure = next(iter(archive.db.table("failures").rows))
    assert failure["reason"] == "HTTP 500" and failure["run_id"] == run


def test_a_run_left_open_by_a_killed_process_is_closed_as_killed(archive, fetch_time):
    killed = archive.runs.begin("https://www.itp6.com", fetch_time)
    archive.runs.begin("https://www.itp6.com", fetch_time + timedelta(hours=1))
    assert archive.db.table("crawl_runs").get(killed)["finish_reason"] == "killed"


def test_a_failure_row_keeps_the_run_url_status_reason_and_time(archive, fetch_time):
    run = archive.runs.begin("https://www.itp6.com", fetch_time)
    archive.runs.record_failure(run, "https://www.itp6.com/9.html", "HTTP 500", fetch_time, status=500)
    archive.runs.record_failure(None, "https://www.itp6.com/10.html", "timed out: 30 s", fetch_time)
    rows = [
        {key: row[key] for key in ("run_id", "url", "status", "reason", "at")} for row in archive.db["failures"].rows
    ]
    assert rows == [
        {"run_id": run, "url": "https://www.itp6.com/9.html", "status": 500, "reason": "HTTP 500",
         "at": "2024-06-05T12:00:00+08:00"},
        {"run_id": None, "url": "https://www.itp6.com/10.html", "status": None, "reason": "timed out: 30 s",
         "at": "2024-06-05T12:00:00+08:00"},
    ]  # fmt: skip


def test_the_run_before_decides_whether_the_next_one_rereads_every_listing(archive, fetch_time):
    first = archive.runs.begin("https://www.itp6.com", fetch_time)
    assert not archive.runs.previous_complete(first)  # no run before the first
    archive.runs.finish(first, fetch_time, reason="finished", exit_status=0, counts={}, stats={})
    second = archive.runs.begin("https://www.itp6.com", fetch_time)
    assert archive.runs.previous_complete(second)
    archive.runs.finish(second, fetch_time, reason="interrupted", exit_status=130, counts={}, stats={})
    third = archive.runs.begin("https://www.itp6.com", fetch_time)
    assert not archive.runs.previous_complete(third)  # only the run just before counts
    assert archive.runs.previous_complete(second)


def test_a_finished_run_keeps_its_stats_readable_and_counts_what_it_did_not_do_as_zero(archive, fetch_time):
    run = archive.runs.begin("https://www.itp6.com", fetch_time)
    row = archive.runs.finish(
        run,
        fetch_time,
        reason="finished",
        exit_status=0,
        counts={"fetched": 2},
        stats={"说明": "完成", "at": fetch_time},
    )
    assert '"说明": "完成"' in row["stats"]  # Chinese as is, for people reading the row in Datasette
    assert json.loads(row["stats"]) == {"说明": "完成", "at": "2024-06-05 12:00:00+08:00"}  # str() of what JSON lacks
    assert row["fetched"] == 2 and row["failed"] == 0 and row["articles_new"] == 0
