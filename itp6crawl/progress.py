"""Crawl progress for people watching a crawl: a live panel on a terminal, a periodic log line otherwise.

Why it exists: a polite crawl of the real site runs for hours, and Scrapy's own ``LogStats`` line
("Crawled N pages (at M pages/min)") says nothing about what matters here -- how many article URLs the
sitemaps announced, how many were skipped or answered 304, how many were archived, and when the crawl will
end. :class:`CrawlProgress` shows exactly that, read from the crawler's stats only (the spider and the
pipelines keep the ``itp6/*`` counters; this extension keeps no counters of its own except the current URL
and the bookkeeping for the rate). Scrapy's own extensions are left alone (``LOGSTATS_INTERVAL`` included).

Settings:

``ITP6_PROGRESS``
    ``auto`` (default): ``live`` when stderr is a terminal, ``log`` otherwise; ``live``: a ``rich`` panel on
    stderr, redrawn 4 times a second, the final state left on screen; ``log``: one INFO line every
    ``ITP6_PROGRESS_INTERVAL`` seconds and one when the spider closes; ``off`` (or ``false``/``0``/``no``):
    nothing, the extension is not loaded.
``ITP6_PROGRESS_INTERVAL``
    Seconds between the log lines of the ``log`` mode (default 30.0; 0 or less: only the final line).

How log output and the live panel coexist: Scrapy's root log handler is a ``logging.StreamHandler`` made
when logging was configured, so it holds the *original* ``sys.stderr`` object; ``Live(redirect_stderr=True)``
replaces ``sys.stderr`` with a proxy that prints above the panel, but that alone does not reach a handler
which already holds the old stream (its lines would be drawn over the panel and the panel redrawn below them,
leaving torn copies in the scrollback). So while the panel is shown, every root ``StreamHandler`` writing to
that original stderr is pointed at rich's proxy (``handler.setStream``) and restored afterwards. Scrapy's log
format, level and filters are unchanged; only the destination moves above the panel. stdout is not
redirected: feed exports may write to it (``-O -``) and must stay byte-exact.

:class:`JobProgress` does the same for the offline jobs, ``reindex`` and ``export``: a rich progress
display on stderr in a terminal, otherwise a ``progress:`` line every 30 seconds, when a step ends and at
the end. Their stdout is data (export's file list, reindex's summary), so nothing of it goes there. This
module imports Scrapy only when the crawl's extension is used, so ``export`` starts without it.
"""

from __future__ import annotations

import atexit
import logging
import sys
import time
from collections import deque
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Literal, TextIO

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.live import Live
from rich.measure import Measurement
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from . import settings as default_settings
from .counters import (
    ARTICLES_CHANGED,
    ARTICLES_GONE,
    ARTICLES_NEW,
    ARTICLES_UNCHANGED,
    DISCOVERED,
    FAILURES,
    FETCHED,
    NOT_MODIFIED,
    REQUESTS,
    RESPONSE_BYTES,
    RESPONSES,
    SKIPPED_LASTMOD,
    count,
)

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response


def create_looping_call(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Scrapy's looping call (asyncio or Twisted, as ``LogStats`` picks), imported when a crawl needs it."""
    try:  # Scrapy >= 2.14
        from scrapy.utils.asyncio import create_looping_call as create
    except ImportError:  # pragma: no cover - older Scrapy
        from twisted.internet.task import LoopingCall as create  # type: ignore[assignment]
    return create(function, *args, **kwargs)


def _not_configured(reason: str) -> Exception:
    from scrapy.exceptions import NotConfigured

    return NotConfigured(reason)


logger = logging.getLogger(__name__)

Mode = Literal["live", "log", "off"]

MODES: Final = ("auto", "live", "log", "off")
OFF_ALIASES: Final = frozenset({"off", "false", "0", "no", "none"})
DEFAULT_INTERVAL: Final = default_settings.ITP6_PROGRESS_INTERVAL
LIVE_REFRESH: Final = 0.25  # seconds between redraws of the live panel (4/s)
MIN_RATE_WINDOW: Final = 10.0  # the rate is averaged over at least this many seconds
UNKNOWN: Final = "—"


# -- reading the stats ----------------------------------------------------------------------------


def _figures(stats: Mapping[str, Any]) -> dict[str, int]:
    new, changed, unchanged = (count(stats, key) for key in (ARTICLES_NEW, ARTICLES_CHANGED, ARTICLES_UNCHANGED))
    return {
        "discovered": count(stats, DISCOVERED),
        "fetched": count(stats, FETCHED),
        "not_modified": count(stats, NOT_MODIFIED),
        "skipped": count(stats, SKIPPED_LASTMOD),
        "archived": new + changed + unchanged,
        "new": new,
        "changed": changed,
        "unchanged": unchanged,
        "gone": count(stats, ARTICLES_GONE),
        "failed": count(stats, FAILURES),
        "requests": count(stats, REQUESTS),
        "bytes": count(stats, RESPONSE_BYTES),
        "responses": count(stats, RESPONSES),
    }


def format_duration(seconds: float) -> str:
    """``45s``, ``3m10s``, ``2h05m``, ``3d04h``."""
    total = max(0, round(seconds))
    if total < 60:
        return f"{total}s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


def format_eta(rate: float | None, pending: int | None) -> str:
    """Time to finish the ``pending`` requests at ``rate`` responses/s; ``—`` when it cannot be told."""
    if pending is None:
        return UNKNOWN
    if pending <= 0:
        return format_duration(0)
    if not rate or rate <= 0:
        return UNKNOWN
    return format_duration(pending / rate)


def format_rate(rate: float | None) -> str:
    if rate is None:
        return f"{UNKNOWN} pages/s"
    return f"{rate:.2f} pages/s" if rate < 1 else f"{rate:.1f} pages/s"


def format_megabytes(n_bytes: int) -> str:
    return f"{n_bytes / 1_000_000:.1f} MB"


def shorten(text: str, width: int) -> str:
    """``text`` cut in the middle to ``width`` characters (a URL keeps its host and its last path segment)."""
    if width <= 0:
        return ""
    if len(text) <= width:
        return text
    if width == 1:
        return "…"
    head = (width - 1) // 2
    tail = width - 1 - head
    return text[:head] + "…" + (text[-tail:] if tail else "")


def format_progress(
    stats: Mapping[str, Any], *, rate: float | None, pending: int | None, current_url: str | None
) -> str:
    """The log line of the ``log`` mode, from a stats dict (missing keys count as 0)."""
    f = _figures(stats)
    line = (
        f"progress: discovered {f['discovered']}, fetched {f['fetched']}, not modified {f['not_modified']}, "
        f"skipped {f['skipped']}, archived {f['archived']} "
        f"(new {f['new']}, changed {f['changed']}, unchanged {f['unchanged']}), "
        f"gone {f['gone']}, failed {f['failed']}, requests {f['requests']}, {format_megabytes(f['bytes'])}, "
        f"{format_rate(rate)}, ETA {format_eta(rate, pending)}"
    )
    if current_url:
        line += f", current {current_url}"
    return line


class _CurrentLine:
    """``current <url>``, the URL cut in the middle to the width available (keeps host and last path segment)."""

    label = "current"

    def __init__(self, url: str | None) -> None:
        self.url = url or UNKNOWN

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(len(self.label) + 13, len(self.label) + 1 + len(self.url))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        room = options.max_width - len(self.label) - 1
        yield Text.assemble((self.label, "dim"), " ", (shorten(self.url, room), "cyan"), no_wrap=True, overflow="crop")


class _FigureGrid:
    """Label/value pairs, three to a row on a wide terminal, fewer on a narrow one."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = pairs

    def _grid(self, per_row: int) -> Table:
        grid = Table.grid(padding=(0, 1))
        for column in range(per_row):
            grid.add_column(style="dim", no_wrap=True)
            grid.add_column(justify="right", style="bold", no_wrap=True)
            if column < per_row - 1:
                grid.add_column(width=1)  # a gap between the pairs
        for start in range(0, len(self.pairs), per_row):
            cells: list[RenderableType] = []
            for label, value in self.pairs[start : start + per_row]:
                cells.extend([label, value, ""])
            grid.add_row(*cells[: 3 * per_row - 1])
        return grid

    def _fitting(self, console: Console, max_width: int) -> Table:
        for per_row in (3, 2):
            grid = self._grid(per_row)
            natural = Measurement.get(console, console.options.update_width(10_000), grid).maximum
            if natural <= max_width:
                return grid
        return self._grid(1)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self._fitting(console, options.max_width))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self._fitting(console, options.max_width)


def progress_table(
    stats: Mapping[str, Any],
    *,
    rate: float | None,
    pending: int | None,
    current_url: str | None,
    title: str = "itp6crawl",
) -> RenderableType:
    """The panel of the ``live`` mode: the figures of :func:`format_progress` and the current URL."""
    f = _figures(stats)
    pairs = [
        ("discovered", f"{f['discovered']:,}"),
        ("fetched", f"{f['fetched']:,}"),
        ("not modified", f"{f['not_modified']:,}"),
        ("skipped (lastmod)", f"{f['skipped']:,}"),
        ("archived", f"{f['archived']:,}"),
        ("new/changed/unchanged", f"{f['new']:,}/{f['changed']:,}/{f['unchanged']:,}"),
        ("gone", f"{f['gone']:,}"),
        ("failed", f"{f['failed']:,}"),
        ("requests", f"{f['requests']:,}"),
        ("downloaded", format_megabytes(f["bytes"])),
        ("rate", format_rate(rate)),
        ("ETA", format_eta(rate, pending)),
    ]
    return Panel(Group(_FigureGrid(pairs), _CurrentLine(current_url)), title=title, title_align="left", expand=False)


# -- the extension --------------------------------------------------------------------------------


def resolve_mode(setting: object, stderr: TextIO | None = None) -> Mode:
    """The mode for the ``ITP6_PROGRESS`` value; ``auto`` looks at whether ``stderr`` is a terminal."""
    value = str(setting if setting is not None else "auto").strip().lower()
    if value in OFF_ALIASES:
        return "off"
    if value not in MODES:
        raise ValueError(f"ITP6_PROGRESS must be one of {', '.join(MODES)}, not {setting!r}")
    if value == "auto":
        stream = sys.stderr if stderr is None else stderr
        try:
            return "live" if stream is not None and stream.isatty() else "log"
        except (AttributeError, ValueError):  # no isatty, or a closed stream
            return "log"
    return "live" if value == "live" else "log"


def _late(crawler: Crawler, name: str) -> Any:
    """``crawler.engine`` / ``crawler.spider``, or None: since Scrapy 2.19 they raise until the crawl starts."""
    try:
        return getattr(crawler, name, None)
    except RuntimeError:
        return None


def pending_requests(crawler: Crawler) -> int | None:
    """Requests in the scheduler plus those in the downloader; ``None`` when the engine cannot tell."""
    engine = _late(crawler, "engine")
    if engine is None:
        return None
    scheduler = getattr(engine, "scheduler", None)  # a property since Scrapy 2.19
    if scheduler is None:
        scheduler = getattr(getattr(engine, "_slot", None), "scheduler", None)
    if scheduler is None:
        return None
    try:
        queued = len(scheduler)
    except Exception:  # a scheduler without __len__, or one already closed
        return None
    active = getattr(getattr(engine, "downloader", None), "active", None)
    try:
        in_flight = len(active) if active is not None else 0
    except TypeError:
        in_flight = 0
    return queued + in_flight


class RateMeter:
    """Responses per second over a sliding window of samples (at least ``window`` seconds once available)."""

    def __init__(self, window: float) -> None:
        self.window = window
        self._samples: deque[tuple[float, int]] = deque()

    def add(self, now: float, count: int) -> None:
        self._samples.append((now, count))
        # Keep the newest sample that is at least a window old, drop the ones before it.
        while len(self._samples) > 2 and now - self._samples[1][0] >= self.window:
            self._samples.popleft()

    @property
    def rate(self) -> float | None:
        if len(self._samples) < 2:
            return None
        (t0, c0), (t1, c1) = self._samples[0], self._samples[-1]
        if t1 <= t0:
            return None
        return max(0.0, (c1 - c0) / (t1 - t0))


class CrawlProgress:
    """Scrapy extension showing crawl progress (see the module docstring for the modes and settings)."""

    def __init__(
        self,
        crawler: Crawler,
        mode: Mode,
        interval: float = DEFAULT_INTERVAL,
        *,
        console: Console | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if mode == "off":
            raise _not_configured("ITP6_PROGRESS is off")
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        self.mode: Mode = mode
        self.interval = interval
        self.tick_interval = LIVE_REFRESH if mode == "live" else interval
        self.clock = clock
        self.console = console
        self.current_url: str | None = None
        self.meter = RateMeter(max(MIN_RATE_WINDOW, 2 * self.tick_interval))
        self.task: Any = None  # AsyncioLoopingCall | LoopingCall
        self.live: Live | None = None
        self._started_at: float | None = None
        self._finished = False
        self._restore_streams: list[tuple[logging.StreamHandler[Any], Any]] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlProgress:
        from scrapy import signals

        mode = resolve_mode(crawler.settings.get("ITP6_PROGRESS"))
        if mode == "off":
            raise _not_configured("ITP6_PROGRESS is off")
        interval = crawler.settings.getfloat("ITP6_PROGRESS_INTERVAL")
        extension = cls(crawler, mode, interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.response_received, signal=signals.response_received)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    # -- signal handlers ------------------------------------------------------------------------

    def spider_opened(self, spider: Spider) -> None:
        self._finished = False
        self._started_at = self.clock()
        self.meter.add(self._started_at, count(self.stats.get_stats(), RESPONSES))
        if self.mode == "live":
            self._start_live()
            self.task = create_looping_call(self.tick)
            self.task.start(self.tick_interval, now=True)
        elif self.interval > 0:
            self.task = create_looping_call(self.tick)
            self.task.start(self.interval, now=False)

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        self.current_url = response.url

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self.finish()

    def engine_stopped(self) -> None:
        self.finish()  # a no-op after spider_closed; covers an engine that stopped without closing the spider

    # -- work -----------------------------------------------------------------------------------

    def snapshot(self, *, final: bool = False) -> tuple[dict[str, Any], float | None, int | None]:
        """The stats, the rate (sliding window; the whole-crawl average when ``final``) and the pending work."""
        stats = self.stats.get_stats()
        now = self.clock()
        responses = count(stats, RESPONSES)
        if final:
            elapsed = now - self._started_at if self._started_at is not None else 0.0
            rate = responses / elapsed if elapsed > 0 else None
        else:
            self.meter.add(now, responses)
            rate = self.meter.rate
        pending = pending_requests(self.crawler)
        if pending == 0 and not final:
            pending = None  # an idle moment (start requests not queued yet, say), not the end: ETA unknown
        return stats, rate, pending

    def tick(self) -> None:
        """Called by the looping call: redraw the panel, or log the line."""
        stats, rate, pending = self.snapshot()
        self._show(stats, rate, pending)

    def finish(self) -> None:
        """Stop the looping call and show the final state once."""
        if self._finished or self._started_at is None:
            return
        self._finished = True
        if self.task is not None and self.task.running:
            self.task.stop()
        self.task = None
        stats, rate, pending = self.snapshot(final=True)
        self._show(stats, rate, pending)
        self._stop_live()

    def _show(self, stats: Mapping[str, Any], rate: float | None, pending: int | None) -> None:
        if self.mode == "live":
            if self.live is not None:
                table = progress_table(
                    stats, rate=rate, pending=pending, current_url=self.current_url, title=self._title()
                )
                self.live.update(table, refresh=True)
        else:
            line = format_progress(stats, rate=rate, pending=pending, current_url=self.current_url)
            logger.info("%s", line, extra={"spider": _late(self.crawler, "spider")})

    def _title(self) -> str:
        name = getattr(_late(self.crawler, "spider"), "name", None)
        return f"itp6crawl · {name}" if name else "itp6crawl"

    # -- the live panel and the log handlers ----------------------------------------------------------

    def _start_live(self) -> None:
        console = self.console or Console(stderr=True)
        original = sys.stderr
        self.live = Live(
            progress_table({}, rate=None, pending=None, current_url=None, title=self._title()),
            console=console,
            auto_refresh=False,  # redrawn by our looping call, on the reactor thread that owns the stats
            redirect_stdout=False,  # feed exports may write to stdout
            redirect_stderr=True,
            transient=False,  # leave the final state on screen
        )
        self.live.start(refresh=True)
        atexit.register(self._stop_live)  # never leave the terminal's cursor hidden
        proxy = sys.stderr
        if proxy is not original:  # rich redirected stderr (it does so only for a terminal)
            self._restore_streams = _point_log_handlers(original, proxy)

    def _stop_live(self) -> None:
        for handler, stream in self._restore_streams:
            handler.setStream(stream)
        self._restore_streams = []
        if self.live is not None:
            live, self.live = self.live, None
            live.stop()
            atexit.unregister(self._stop_live)


def _point_log_handlers(old: Any, new: Any) -> list[tuple[logging.StreamHandler[Any], Any]]:
    """Point the root logger's stream handlers that write to ``old`` at ``new``; return what to restore."""
    moved: list[tuple[logging.StreamHandler[Any], Any]] = []
    for handler in logging.root.handlers:
        if (
            isinstance(handler, logging.StreamHandler)
            and not isinstance(handler, logging.FileHandler)
            and handler.stream is old
        ):
            handler.setStream(new)
            moved.append((handler, old))
    return moved


# -- offline jobs: reindex and export ----------------------------------------------------------------


def _job_rate(rate: float) -> str:
    return f"{rate:.1f}/s" if rate < 10 else f"{rate:,.0f}/s"


class _Step:
    """One step of a job (a file of an export, the replayed responses of a reindex) and how far it is."""

    def __init__(self, name: str, now: float, done: int, total: int | None) -> None:
        self.name, self.started, self.first = name, now, done
        self.done, self.total = done, total
        self.updated = now
        self.told_finished = False

    @property
    def finished(self) -> bool:
        return self.total is not None and self.done >= self.total

    def line(self, job: str) -> str:
        figures = f"{self.done:,}"
        if self.total is not None:
            share = 100 if self.total <= 0 else min(100, self.done * 100 // self.total)
            figures += f"/{self.total:,} ({share}%)"
        elapsed = self.updated - self.started
        rate = (self.done - self.first) / elapsed if elapsed > 0 and self.done > self.first else None
        parts = [f"progress: {job}: {self.name} {figures}"]
        if rate is not None:
            parts.append(_job_rate(rate))
        if self.finished or self.told_finished:
            parts.append(f"done in {format_duration(elapsed)}")
        elif rate is not None and self.total is not None:
            parts.append(f"ETA {format_duration((self.total - self.done) / rate)}")
        return ", ".join(parts)


class JobProgress:
    """Progress of ``reindex`` or ``export`` for the person running it, on stderr (stdout is data).

    ``mode`` as ``ITP6_PROGRESS``: ``auto`` is ``live`` when stderr is a terminal, else ``log``. ``live``
    is a rich progress display (a bar per step with a total, a count and rate for one without), left on
    screen at the end; ``log`` writes a ``progress: <job>: …`` line every ``interval`` seconds, when a
    step with a total reaches it, and for the step under way at the end; ``off`` shows nothing.
    ``update(step, done, total)`` is cheap between lines, so a job may call it for every record."""

    def __init__(
        self,
        job: str,
        mode: str = default_settings.ITP6_PROGRESS,
        *,
        interval: float = DEFAULT_INTERVAL,
        console: Console | None = None,
        clock: Callable[[], float] = time.monotonic,
        write: Callable[[str], None] | None = None,
        stderr: TextIO | None = None,
    ) -> None:
        self.job = job
        self.mode: Mode = resolve_mode(mode, stderr)
        self.interval = interval
        self.console = console
        self.clock = clock
        self.write = write or (lambda line: print(line, file=sys.stderr, flush=True))
        self.steps: dict[str, _Step] = {}
        self._last_line = clock()
        self._display: Any = None  # rich.progress.Progress while live
        self._tasks: dict[str, Any] = {}

    def __enter__(self) -> JobProgress:
        if self.mode == "live":
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TaskProgressColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._display = Progress(
                TextColumn(f"{self.job}: {{task.description}}"),
                BarColumn(),
                MofNCompleteColumn(),
                TaskProgressColumn(show_speed=True),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=self.console or Console(stderr=True),
                get_time=self.clock,
                redirect_stdout=False,  # stdout is the job's data
                transient=False,
            )
            self._display.start()
        return self

    def update(self, step: str, done: int, total: int | None = None) -> None:
        now = self.clock()
        current = self.steps.get(step)
        if current is None:
            for earlier in self.steps.values():  # steps run one after another: a new one ends the others
                self._end(earlier, now)
            current = self.steps[step] = _Step(step, now, done, total)
            if self._display is not None and total != 0:  # an empty step (no versions to write): no bar
                self._tasks[step] = self._display.add_task(step, total=total, completed=done)
        current.done, current.total, current.updated = done, total if total is not None else current.total, now
        if step in self._tasks:
            self._display.update(self._tasks[step], completed=done, total=current.total)
        elif self.mode == "log":
            due = current.finished or now - self._last_line >= self.interval > 0
            if due and not current.told_finished:
                self._tell(current)

    def _end(self, step: _Step, now: float) -> None:
        """``step`` is over (its job moved on, or ended): complete on screen, its last line told."""
        if step.told_finished:
            return
        if step.total is not None and step.done < step.total:  # it counts in batches: the last one is done
            step.done, step.updated = step.total, now
        if self._display is not None:
            if step.name in self._tasks:
                self._display.update(self._tasks[step.name], completed=step.done, total=step.total)
            step.told_finished = True
        elif self.mode == "log":
            step.told_finished = True
            self.write(step.line(self.job))
            self._last_line = now

    def _tell(self, step: _Step) -> None:
        self.write(step.line(self.job))
        self._last_line = self.clock()
        step.told_finished = step.finished

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if kind is None:  # the job is over: its last step is done
            for step in self.steps.values():
                self._end(step, self.clock())
        if self._display is not None:
            display, self._display = self._display, None
            display.stop()
