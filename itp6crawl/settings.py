"""Scrapy settings: every default in one place, polite for the live site.

As Scrapy's own ``default_settings.py``: each ``ITP6_*`` setting is declared here and nowhere else. Its
readers pass no fallback of their own, and code outside Scrapy (the CLI) takes its defaults from this module.
``LOCAL_REPLICA_SETTINGS`` relaxes politeness; the crawl runner allows it for loopback hosts only.
"""

from . import __version__, urls

BOT_NAME = "itp6crawl"
SPIDER_MODULES = ["itp6crawl.spiders"]
NEWSPIDER_MODULE = "itp6crawl.spiders"

# Where a site's operator learns who crawls and how to reach us: pyproject's [project.urls] Homepage (a test
# keeps the two equal).
ITP6_PROJECT_URL = "https://github.com/itp6crawl/itp6crawl"
USER_AGENT = (
    f"itp6crawl/{__version__} (+{ITP6_PROJECT_URL}; archive of the ITP6 patient community; polite: 1 request at a time)"
)
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 1
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 2.0
DOWNLOAD_DELAY_JITTER = 0.5  # each delay is 2 s ± 50%
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
# A post is tens of KB; a pasted screenshot inline can make it megabytes. Past 16 MiB the download is
# cancelled and recorded as a failure, so one runaway page cannot exhaust the crawl's memory.
DOWNLOAD_MAXSIZE = 16 * 2**20
DOWNLOAD_WARNSIZE = 4 * 2**20
RETRY_TIMES = 2
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5",
}
# Items processed at once per response. An article page gives one item, and Scrapy starts this many
# tasks for every response whatever it yields: with the default, 100, a replica crawl took 10% longer.
CONCURRENT_ITEMS = 4
LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"

ITEM_PIPELINES = {
    "itp6crawl.pipelines.ExtractPipeline": 100,
    # The run's limits (ITP6_SINCE, ITP6_MAX_ARTICLES, CLOSESPIDER_ITEMCOUNT) on each side of the store:
    # pages past a limit are never stored, and the one that reaches it closes the spider. Off without limits.
    "itp6crawl.limits.LimitGate": 200,
    "itp6crawl.pipelines.StorePipeline": 300,
    "itp6crawl.limits.LimitCount": 400,
}

SPIDER_MIDDLEWARES = {
    # Link depth is neither limited nor read here: its middleware would only wrap every callback's output.
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
}
DOWNLOADER_MIDDLEWARES = {
    # ITP6_SINCE: a post whose sitemap lastmod is before that date is not requested (off without it).
    "itp6crawl.limits.SinceMiddleware": 530,
    # After DefaultHeaders/UserAgent (400/500), before Retry (550): validators go on every attempt.
    "itp6crawl.middlewares.ConditionalRequestMiddleware": 540,
    # Outside RedirectMiddleware (600): a post's redirect loop or off-site redirect is seen, and refused.
    "itp6crawl.middlewares.RedirectGuardMiddleware": 610,
    # Next to the downloader: every response as it came from the network, redirects and retries too.
    "itp6crawl.middlewares.WarcMiddleware": 950,
}
EXTENSIONS = {
    "itp6crawl.progress.CrawlProgress": 500,
}

# Our own settings.
ITP6_SITE = urls.CANONICAL_SITE  # the site to crawl when none is given (--site, scrapy crawl itp6 -a site=URL)
ITP6_DB = "archive/itp6.db"  # the archive (--db)
ITP6_CANONICAL_SITE = urls.CANONICAL_SITE  # the one origin the archive stores the site's URLs under
ITP6_FULL = False  # True re-fetches every page, ignoring the crawl state (--full)
ITP6_WARC = True  # write every network response to <ITP6_WARC_DIR>/<archive>-<id>-<run-id>.warc.gz
ITP6_WARC_DIR = None  # None: warc/ beside the archive (warc.warc_dir_of)
ITP6_LOCK_HELD = False  # the runner (itp6crawl crawl) already holds the archive's lock
ITP6_BUDGET = "15m"  # an incremental run's requests (--budget): a count, or minutes at the polite delay (2 s)
ITP6_MAX_INTERVAL_DAYS = 30.0  # every archived post is checked at least this often (revisit policy)
ITP6_PROGRESS = "auto"  # live (rich, in a terminal) | log (a line every ITP6_PROGRESS_INTERVAL s) | off
ITP6_PROGRESS_INTERVAL = 30.0
ITP6_COMMIT_SECONDS = 0.5  # articles stored within this time share one transaction (0: one each)
ITP6_WORKERS = 0  # processes for extraction + segmentation: 0 = in the crawl's process, "auto" = CPUs - 1
# Limits of a run (--max-articles, --since); Scrapy's CLOSESPIDER_* too end a run as finished (exit 0).
ITP6_MAX_ARTICLES = 0  # end the run once this many articles are archived new or changed (0: no limit)
ITP6_SINCE = None  # "YYYY-MM-DD" (China time): posts published before it are never requested or stored

LOCAL_REPLICA_SETTINGS = {
    "DOWNLOAD_DELAY": 0,
    "DOWNLOAD_DELAY_JITTER": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 8,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "ITP6_WORKERS": "auto",
    # RETRY_TIMES stays: a replica's faults (a 503 once, a reset) are retried as the live site's are.
}
