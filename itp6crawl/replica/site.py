"""The replica's model: a deterministic, mutable site of synthetic articles, rendered lazily.

:func:`build_site` draws every article's metadata up front (cheap: 20,000 articles in well under a second
or two) and leaves bodies, comments and pages to be rendered on request. :class:`Site` answers any path
with a status, headers and bytes, keeps the gold (what a perfect extractor would return) and can be
changed afterwards (update, remove, add articles) for incremental-crawl tests.
"""

from __future__ import annotations

import bisect
import hashlib
import html
import json
import math
import random
import re
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote

from . import corpus, theme
from .corpus import BodyContext, Chunk, collapse
from .profiles import FRIENDLY, Profile
from .rename import rename_theme_classes
from .theme import JUSTNEWS5, JUSTNEWS6, SHANGHAI, ArticleView, Chrome, CommentView, Neighbour, PostCard, iso

DEFAULT_NOW = datetime(2024, 6, 5, 12, 0, 0, tzinfo=SHANGHAI)
SITE_START = datetime(2016, 1, 8, 9, 0, 0, tzinfo=SHANGHAI)
PER_PAGE = 10
SITEMAP_SIZE = 2000
FIRST_POST_ID = 16000

Response = tuple[int, dict[str, str], bytes]
HTML_TYPE = "text/html; charset=UTF-8"
STATIC_DATE = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Category:
    slug: str
    name: str
    term_id: int
    load_more: bool = False  # the theme's "load more" button instead of numbered pagination

    @property
    def path(self) -> str:
        """No trailing slash: WordPress runs term links through ``user_trailingslashit`` (``.html`` permalinks)."""
        return f"/category/{self.slug}"


@dataclass(frozen=True, slots=True)
class User:
    id: int
    nick: str
    slug: str
    editor: bool = False

    @property
    def path(self) -> str:
        return f"/author/{self.slug}"


@dataclass(slots=True)
class WpPage:
    """A WordPress page (not a post): served themed, never part of the gold."""

    id: int
    slug: str
    title: str
    date: datetime
    paragraphs: tuple[str, ...]

    @property
    def path(self) -> str:
        return f"/{self.slug}/"


CATEGORIES = (
    Category("zhiliao", corpus.CATEGORY_NAMES["zhiliao"], 2, load_more=True),
    Category("zhinan", corpus.CATEGORY_NAMES["zhinan"], 3),
    Category("baike", corpus.CATEGORY_NAMES["baike"], 4),
    Category("keyan", corpus.CATEGORY_NAMES["keyan"], 5),
    Category("yongyao", corpus.CATEGORY_NAMES["yongyao"], 6),
    Category("shenghuo", corpus.CATEGORY_NAMES["shenghuo"], 7),
)
CATEGORY_BY_SLUG = {c.slug: c for c in CATEGORIES}
EDITOR_USERS = tuple(User(i + 1, nick, f"editor{i + 1}", True) for i, nick in enumerate(corpus.EDITORS))
PATIENT_USERS = tuple(User(100 + i * 7, nick, f"u{100 + i * 7}") for i, nick in enumerate(corpus.NICKNAMES))
USERS = EDITOR_USERS + PATIENT_USERS
USER_BY_SLUG = {u.slug: u for u in USERS}
USER_BY_NICK = {u.nick: u for u in USERS}
KIND_WEIGHTS = (("story", 0.40), ("guide", 0.12), ("baike", 0.22), ("news", 0.26))
KIND_CATEGORIES = {
    "story": (("zhiliao", 0.7), ("yongyao", 0.2), ("shenghuo", 0.1)),
    "guide": (("zhinan", 1.0),),
    "baike": (("baike", 0.7), ("shenghuo", 0.3)),
    "news": (("keyan", 0.85), ("yongyao", 0.15)),
}
WEIXINQUN = WpPage(
    2046,
    "weixinqun",
    corpus.WEIXINQUN_TITLE,
    datetime(2019, 3, 12, 10, 0, tzinfo=SHANGHAI),
    (
        "ITP6病友网的微信病友交流群按地区和病程分了几个群,新确诊的病友、家长和长期患者都可以加入。",
        "加群方法:用微信扫一扫页面下方的二维码,添加群助手为好友,备注“城市+病程”,群助手会拉你进群。",
        "群内禁止广告和推销药品,讨论用药请以医生意见为准。",
    ),
)
OTHER_PAGES = (
    WpPage(
        2,
        "about",
        corpus.ABOUT_TITLE,
        datetime(2016, 1, 8, 9, 0, tzinfo=SHANGHAI),
        (
            "ITP6病友网是一个由免疫性血小板减少症患者自发建立的公益交流平台。",
            "我们整理病友的治疗经历、指南解读和科普知识,希望新确诊的病友少走弯路。",
            "本站内容仅供参考,不能代替医生的诊断和治疗。",
        ),
    ),
    WpPage(3151, "login", "登录", datetime(2019, 3, 1, 9, 0, tzinfo=SHANGHAI), ("请使用手机号或微信登录。",)),
    WpPage(3152, "register", "注册", datetime(2019, 3, 1, 9, 0, tzinfo=SHANGHAI), ("注册后可以发表评论和投稿。",)),
)
PAGES = {p.slug: p for p in (WEIXINQUN, *OTHER_PAGES)}
PAGE_BY_ID = {p.id: p for p in PAGES.values()}

_ARTICLE = re.compile(r"^/(\d+)\.html$")
_ARTICLE_SLASH = re.compile(r"^/(\d+)\.html/$")
_LISTING = re.compile(r"^/(category|tag|author)/([^/]+)(?:/page/(\d+))?$")  # the served form
_LISTING_SLASH = re.compile(r"^/(category|tag|author)/([^/]+)/(?:page/(\d+)/)?$")  # redirects to the above
_HOME_PAGE = re.compile(r"^/page/(\d+)/?$")
_POST_SITEMAP = re.compile(r"^/wp-sitemap-posts-post-(\d+)\.xml$")
_POST_FEED = re.compile(r"^/(\d+)\.html/feed/$")
_FEED_PATHS = ("/feed/", "/feed/atom/", "/comments/feed/")
_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360f8cfc0f01f0005000201ea2a4c0a0000000049454e44ae426082"
)


@dataclass(slots=True)
class ArticleSpec:
    """Everything drawn for one article; body and comments are generated from ``body_seed`` on demand."""

    id: int
    kind: str  # story | guide | baike | news
    theme: str  # justnews6 | justnews5
    title: str
    author: str  # nickname shown in a.nickname
    author_slug: str
    credit: str  # value of the 作者: line
    published: datetime
    modified: datetime
    categories: list[str]  # category slugs, primary first
    tags: list[str]
    views: int
    show_views: bool
    likes: int
    listed: bool
    summary: str
    related: list[int]  # post ids, or the id of a WordPress page (WEIXINQUN.id)
    related_style: str  # loop | list (6.x); 5.x always renders its own list
    related_title: str  # 相关推荐 | 相关文章
    n_comments: int
    body_seed: int
    city: str
    tpo: str
    drug: str
    copyright: str  # div | plain | both: where the notice lines are
    show_datetime: bool  # time[datetime] present (5.x pages may show only the visible date)
    breadcrumb: bool
    text_indent: bool
    entities: bool  # typographic quotes as numeric entities
    image_style: str  # figure | lazy
    trap: int | None  # index into corpus.TRAPS forced into the body
    extra_html: bool  # inline script and onclick in the body
    sitemap_lastmod: bool
    links: list[tuple[int, str]] = field(default_factory=list)  # (post id, title) linked from the body
    revision: int = 0  # bumped by Site.update_article: each adds an 【更新】 paragraph
    paragraphs: list[str] | None = None  # replaces the generated body when set
    in_sitemap: bool = True  # False: only in category listings (and home/feed while among the newest)
    repost_of: int | None = None  # a news or guide text reposted from this earlier post, a line added and cut
    added_comments: list[dict[str, object]] = field(default_factory=list)  # Site.add_comment, in order added
    comment_horizon: datetime | None = None  # generated comments fall before this (None: Site.built_at)

    @property
    def path(self) -> str:
        return f"/{self.id}.html"

    def url(self, base: str) -> str:
        return f"{base}{self.path}"


def _weighted(rng: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    roll, total = rng.random(), 0.0
    for value, weight in options:
        total += weight
        if roll < total:
            return value
    return options[-1][0]


def tag_slug(name: str) -> str:
    """WordPress slug of a tag: lower case, non-ASCII percent-encoded in lower-case hex."""
    return quote(name.lower(), safe="").lower()


def tag_path(name: str) -> str:
    """A tag listing's path, without a trailing slash as category links."""
    return f"/tag/{tag_slug(name)}"


def http_date(dt: datetime) -> str:
    return format_datetime(dt.astimezone(UTC), usegmt=True)


def article_id(raw_path: str) -> int | None:
    """The post id of an article page's path (query string allowed), or None for any other path."""
    match = _ARTICLE.match(raw_path.split("?", 1)[0].split("#", 1)[0])
    return int(match[1]) if match else None


def rfc822(dt: datetime) -> str:
    """A feed's date (pubDate, lastBuildDate) as WordPress writes it: ``Sun, 02 Jun 2024 15:10:00 +0000``."""
    return http_date(dt).replace("GMT", "+0000")


def atom_time(dt: datetime) -> str:
    """An Atom date as WordPress writes it: UTC, ``2024-06-02T15:10:00Z``."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Draw:
    """Draws the metadata of new articles from one random stream."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def spec(self, post_id: int, published: datetime, now: datetime, index: int, old: bool) -> ArticleSpec:
        rng = self.rng
        kind = _weighted(rng, KIND_WEIGHTS)
        primary = _weighted(rng, KIND_CATEGORIES[kind])
        categories = [primary]
        if rng.random() < 0.12:
            categories.append(rng.choice([c.slug for c in CATEGORIES if c.slug != primary]))
        patient = rng.choice(PATIENT_USERS)
        city, tpo = rng.choice(corpus.CITIES), rng.choice(corpus.TPO_RA)
        drug = rng.choice((*corpus.TPO_RA, "利妥昔单抗", "间充质干细胞"))
        if kind == "story":
            if rng.random() < 0.8:
                user = patient
                credit = patient.nick if rng.random() < 0.7 else f"{patient.nick}(病友投稿)"
            else:
                user = rng.choice(EDITOR_USERS)
                credit = f"病友 {patient.nick}"
        else:
            user = rng.choice(EDITOR_USERS)
            credit = rng.choice((corpus.SITE_NAME, f"{corpus.SITE_NAME}整理", user.nick, f"{user.nick}编译"))
        title = corpus.make_title(rng, kind, patient.nick, city, tpo, drug, published.year)
        if rng.random() < 0.35:
            modified = published + timedelta(seconds=rng.randint(3600, 400 * 86400))
            modified = min(modified, now - timedelta(minutes=5))
            modified = max(modified, published)
        else:
            modified = published
        theme_name = JUSTNEWS5 if rng.random() < 0.25 else JUSTNEWS6
        copyright_mode = "div"  # old posts may carry the notice as plain paragraphs
        if old and rng.random() < 0.5:
            copyright_mode = "plain" if rng.random() < 0.5 else "both"
        n_tags = rng.choice((0, 1, 2, 2, 3, 4))
        trap = (
            corpus_trap(index)
            if index % 5 == 2
            else (rng.randrange(len(corpus.TRAPS)) if rng.random() < 0.05 else None)
        )
        return ArticleSpec(
            id=post_id,
            kind=kind,
            theme=theme_name,
            title=title,
            author=user.nick,
            author_slug=user.slug,
            credit=credit,
            published=published,
            modified=modified,
            categories=categories,
            tags=rng.sample(corpus.TAGS, n_tags),
            views=int(math.exp(rng.uniform(3.5, 10.3))),
            show_views=rng.random() < 0.7,
            likes=int(rng.random() ** 3 * 90),
            listed=rng.random() >= 1 / 15,
            summary=corpus.make_summary(rng, kind, patient.nick, tpo, drug) if rng.random() < 0.25 else "",
            related=[],
            related_style="list" if rng.random() < 0.4 else "loop",
            related_title="相关推荐" if rng.random() < 0.7 else "相关文章",
            n_comments=rng.randint(1, 6) if rng.random() < 0.4 else 0,
            body_seed=rng.getrandbits(32),
            city=city,
            tpo=tpo,
            drug=drug,
            copyright=copyright_mode,
            show_datetime=theme_name == JUSTNEWS6 or rng.random() < 0.6,
            breadcrumb=rng.random() < 0.6,
            text_indent=rng.random() < 0.2,
            entities=rng.random() < 0.5,
            image_style="lazy" if theme_name == JUSTNEWS6 and rng.random() < 0.3 else "figure",
            trap=trap,
            extra_html=rng.random() < 0.1,
            sitemap_lastmod=rng.random() < 0.7,
        )


FLASH_YEARS = (2015, 2018)  # old posts of these years (inclusive) may embed a legacy flash player
FLASH_SHARE = 0.3


def flash_style(spec: ArticleSpec) -> str | None:
    """The legacy flash player an old post's body embeds (one of :data:`corpus.FLASH_STYLES`), or None.
    Drawn from a stream of its own, so the rest of the site is as it was before players were added."""
    rng = random.Random(f"flash-{spec.body_seed}")
    if FLASH_YEARS[0] <= spec.published.year <= FLASH_YEARS[1] and rng.random() < FLASH_SHARE:
        return rng.choice(corpus.FLASH_STYLES)
    return None


def corpus_trap(index: int) -> int:
    return (index // 5) % len(corpus.TRAPS)


def _publication_times(rng: random.Random, n: int, now: datetime) -> list[datetime]:
    """Times in roughly id order: the bulk since 2016, the last few within the week before ``now``."""
    n_recent = min(n, max(2, min(12, n // 25)))
    bulk = n - n_recent
    span = (now - timedelta(days=7) - SITE_START).total_seconds()
    times = sorted(SITE_START + timedelta(seconds=rng.uniform(0, span)) for _ in range(bulk))
    recent = sorted(now - timedelta(seconds=rng.uniform(600, 6.9 * 86400)) for _ in range(n_recent))
    if n_recent >= 2:
        recent[-1] = now - timedelta(minutes=rng.randint(12, 50))  # one shows 'N分钟前'
        recent[-2] = min(recent[-2], now - timedelta(hours=rng.randint(2, 20)))
        recent.sort()
    times += recent
    # Drafts published late: a few posts swap times with a neighbour, so id order != publication order.
    for i in range(bulk):
        if rng.random() < 0.04:
            j = min(bulk - 1, i + rng.randint(1, 5))
            times[i], times[j] = times[j], times[i]
    return [t.replace(second=rng.randint(0, 59) if rng.random() < 0.5 else 0, microsecond=0) for t in times]


def _pick_related(rng: random.Random, spec: ArticleSpec, peers: list[int], position: int, pool: list[int]) -> list[int]:
    k = rng.randint(4, 6)
    window = [p for p in peers[max(0, position - 40) : position + 40] if p != spec.id]
    if len(window) < k:
        window += [p for p in rng.sample(pool, min(len(pool), k * 3)) if p != spec.id and p not in window]
    chosen = rng.sample(window, min(k, len(window)))
    if rng.random() < 0.1:
        chosen.insert(rng.randint(0, len(chosen)), WEIXINQUN.id)
    return chosen


def build_site(n_articles: int = 40, seed: int = 0, now: datetime = DEFAULT_NOW, *, theme_drift: bool = False) -> Site:
    """A deterministic site of ``n_articles`` synthetic articles; pages render lazily.

    ``theme_drift=True`` serves article and listing pages with the theme's class names renamed
    (:attr:`Site.theme_drift`)."""
    rng = random.Random(seed)
    ids: list[int] = []
    post_id = FIRST_POST_ID + rng.randint(0, 30)
    for _ in range(n_articles):
        ids.append(post_id)
        post_id += rng.randint(1, 40)
    times = _publication_times(rng, n_articles, now)
    draw = _Draw(rng)
    old_limit = n_articles // 3
    specs = [draw.spec(pid, times[i], now, i, i < old_limit) for i, pid in enumerate(ids)]
    seen: dict[str, int] = {}
    for spec in specs:  # the site has no two posts of one title: number repeats as editors do
        count = seen.get(spec.title, 0) + 1
        seen[spec.title] = count
        if count > 1:
            spec.title = f"{spec.title}({count})"
    _draw_reposts(specs, random.Random(seed * 7919 + 17))  # its own stream: the rest of the site is unchanged
    if n_articles >= 15 and all(s.listed for s in specs):
        specs[n_articles // 2].listed = False
    if specs:
        latest = max(specs, key=lambda s: (s.published, s.id))
        latest.listed = True  # the newest post is on the home page
    by_category: dict[str, list[int]] = {}
    for spec in specs:
        by_category.setdefault(spec.categories[0], []).append(spec.id)
    position = {pid: i for peers in by_category.values() for i, pid in enumerate(peers)}
    titles = {s.id: s.title for s in specs}
    for index, spec in enumerate(specs):
        spec.related = _pick_related(rng, spec, by_category[spec.categories[0]], position[spec.id], ids)
        earlier = ids[max(0, index - 200) : index]
        if earlier and rng.random() < 0.5:
            spec.links = [(pid, titles[pid]) for pid in rng.sample(earlier, min(len(earlier), rng.randint(1, 2)))]
    return Site(specs, seed=seed, now=now, next_id=post_id, theme_drift=theme_drift)


REPOST_SHARE = 0.04  # of news and guide posts: the site reposts such texts now and then
REPOST_KINDS = ("news", "guide")


def _draw_reposts(specs: list[ArticleSpec], rng: random.Random) -> None:
    """Some news and guide posts repost an earlier one of the same kind (same text, a source line added and
    the last paragraph cut): the near-duplicates an export flags."""
    for index, spec in enumerate(specs):
        if spec.kind not in REPOST_KINDS or rng.random() >= REPOST_SHARE:
            continue
        earlier = [
            other for other in specs[max(0, index - 400) : index] if other.kind == spec.kind and other.repost_of is None
        ]
        if earlier:
            spec.repost_of = rng.choice(earlier).id


# --------------------------------------------------------------------------- the site


class Site:
    """The replica's state and renderer. Thread-safe: the server renders while tests mutate.

    ``theme_drift`` (settable at any time): when True, article pages and listing pages (home and its
    ``/page/n/``, category, tag, author, search) pass through :func:`~itp6crawl.replica.rename.rename_theme_classes`,
    as if the theme had been replaced: no theme class or id rule matches them, while every link (href,
    ``rel``) and every text stays identical. Other pages (WordPress pages, 404, feeds) are unchanged.
    """

    def __init__(
        self,
        articles: list[ArticleSpec],
        *,
        seed: int = 0,
        now: datetime = DEFAULT_NOW,
        next_id: int | None = None,
        theme_drift: bool = False,
    ) -> None:
        self.seed = seed
        self.theme_drift = theme_drift
        self.now = now
        self.built_at = now  # generated comments stay before it, so moving the clock moves none of them
        self._by_id: dict[int, ArticleSpec] = {a.id: a for a in articles}
        self._articles = sorted(articles, key=lambda a: a.id)
        self._next_id = next_id or (max(self._by_id, default=FIRST_POST_ID) + 1)
        self._lock = threading.RLock()
        self._version = 0
        self._derived: dict[str, object] = {}
        self._derived_version = -1
        self._bodies: OrderedDict[tuple[int, int], list[Chunk]] = OrderedDict()
        self._page_cache: dict[int, tuple[tuple[str | None, str], Response]] = {}  # profile.page_cache
        self._added = 0
        self.changed_at = max((a.modified for a in articles), default=now)
        self._generated: dict[tuple[object, ...], list[dict[str, object]]] = {}
        self._all_comments: tuple[int, list[tuple[int, dict[str, object]]]] | None = None
        # WordPress's comment ids are global and only grow: new ones start above any the site ever used.
        self._next_comment_id = max((self._last_generated_id(a) for a in articles), default=0) + 1

    @staticmethod
    def _last_generated_id(spec: ArticleSpec) -> int:
        """The highest id among a post's generated comments (0 if none): they are ``id * 10 + number + 3``."""
        generated = spec.n_comments - len(spec.added_comments)
        return spec.id * 10 + generated + 2 if generated > 0 else 0

    # ----------------------------------------------------------------- state
    @property
    def lock(self) -> threading.RLock:
        """Held while rendering; a caller reading several parts of the site at once holds it too."""
        return self._lock

    @property
    def articles(self) -> list[ArticleSpec]:
        """Live articles in id order (a copy of the list; the specs themselves are live)."""
        with self._lock:
            return list(self._articles)

    def article(self, post_id: int) -> ArticleSpec | None:
        return self._by_id.get(post_id)

    def article_count(self) -> int:
        """How many posts are live."""
        return len(self._articles)

    def pick_article(self, rng: random.Random) -> ArticleSpec | None:
        """A live post drawn uniformly with ``rng`` (None on an empty site): cheap at any size."""
        with self._lock:
            return self._articles[rng.randrange(len(self._articles))] if self._articles else None

    def _touch(self, when: datetime | None = None) -> None:
        self._version += 1
        self.changed_at = max(self.changed_at, when or self.now)

    def _index(self) -> dict[str, object]:
        """Derived orders and lists, recomputed after each change."""
        if self._derived_version == self._version:
            return self._derived
        order = sorted(self._articles, key=lambda a: (a.published, a.id))
        chain = [a for a in order if a.in_sitemap]  # the prev/next chain: hidden posts are left out
        listed_desc = [a for a in reversed(order) if a.listed]
        by_category: dict[str, list[ArticleSpec]] = {c.slug: [] for c in CATEGORIES}
        by_tag: dict[str, list[ArticleSpec]] = {}
        by_author: dict[str, list[ArticleSpec]] = {}
        for a in listed_desc:
            for slug in a.categories:
                by_category[slug].append(a)
            if not a.in_sitemap:  # in category listings (and home, feed) only
                continue
            for tag in a.tags:
                by_tag.setdefault(tag, []).append(a)
            by_author.setdefault(a.author_slug, []).append(a)
        hot = sorted((a for a in self._articles if a.listed and a.in_sitemap), key=lambda a: (-a.views, a.id))[:6]
        tag_counts = sorted(by_tag, key=lambda t: (-len(by_tag[t]), corpus.TAGS.index(t)))[:12]
        self._derived = {
            "chain": chain,
            "chain_keys": [(a.published, a.id) for a in chain],
            "position": {a.id: i for i, a in enumerate(chain)},
            "listed_desc": listed_desc,
            "by_category": by_category,
            "by_tag": by_tag,
            "by_author": by_author,
            "hot": hot,
            "cloud": tag_counts,
        }
        self._derived_version = self._version
        return self._derived

    # ----------------------------------------------------------------- mutation
    def update_article(
        self,
        post_id: int,
        *,
        title: str | None = None,
        paragraphs: list[str] | None = None,
        summary: str | None = None,
        tags: list[str] | None = None,
        views: int | None = None,
        likes: int | None = None,
        listed: bool | None = None,
        in_sitemap: bool | None = None,
        modified: datetime | None = None,
        revise: bool | None = None,
    ) -> ArticleSpec:
        """Change an article. Content changes (title, paragraphs, summary, tags, revise) set its modified
        time (``modified`` or ``site.now``); with no argument at all the body gets one more 【更新】
        paragraph. Views, likes, listed and in_sitemap change without touching the modified time (a
        views-only change alters the page, so its ETag, but neither Last-Modified nor the sitemap)."""
        with self._lock:
            spec = self._by_id[post_id]
            content = any(v is not None for v in (title, paragraphs, summary, tags)) or bool(revise)
            quiet = (views, likes, listed, in_sitemap)
            if revise is None and not content and all(v is None for v in quiet):
                revise = content = True
            if title is not None:
                spec.title = title
            if paragraphs is not None:
                spec.paragraphs = list(paragraphs)
            if summary is not None:
                spec.summary = summary
            if tags is not None:
                spec.tags = list(tags)
            if views is not None:
                spec.views = views
            if likes is not None:
                spec.likes = likes
            if listed is not None:
                spec.listed = listed
            if in_sitemap is not None:
                spec.in_sitemap = in_sitemap
            if revise:
                spec.revision += 1
            if content:
                spec.modified = max(modified or self.now, spec.published)
            self._bodies = OrderedDict((k, v) for k, v in self._bodies.items() if k[0] != post_id)
            self._touch(spec.modified)
            return spec

    def remove_article(self, post_id: int) -> ArticleSpec:
        """Delete an article: its URL answers 404 and it leaves every list, sitemap and neighbour link."""
        with self._lock:
            spec = self._by_id.pop(post_id)
            # By identity, from the id order: list.remove would compare every dataclass field by field.
            at = bisect.bisect_left(self._articles, post_id, key=lambda a: a.id)
            if not (at < len(self._articles) and self._articles[at] is spec):
                at = next(i for i, a in enumerate(self._articles) if a is spec)
            del self._articles[at]
            self._touch()
            return spec

    def add_article(
        self,
        *,
        published: datetime | None = None,
        listed: bool = True,
        in_sitemap: bool = True,
        **fields: object,
    ) -> ArticleSpec:
        """Publish a new article (at ``site.now`` unless given); any ArticleSpec field may be overridden.

        ``listed=False``: in no sitemap and no listing, reached only through other articles' links (the
        prev/next chain). ``in_sitemap=False``: the opposite, listed in its category listings (and on the
        home page and feed while it is among the ten newest) but in no sitemap, no tag or author listing,
        not in the sidebar's hot posts, and no other article links to it (related and prev/next pass it
        over; body links are drawn at build time, before it exists; its own page still links to the two
        posts around its place in publication order). ``Site.gold`` marks it ``"in_sitemap": False``.

        A post linked ONLY from a category listing page, e.g. page 2 of 治疗 (zhiliao)::

            spec = site.add_article(
                in_sitemap=False,
                published=datetime(2017, 3, 1, 9, 0, tzinfo=SHANGHAI),  # old: far from the home page and feed
                categories=["zhiliao"],  # one category (a category with over 10 posts puts it on a later page)
            )
            site.category_page_of(spec.id)  # -> "/category/zhiliao/page/4", say
        """
        with self._lock:
            self._added += 1
            rng = random.Random(f"{self.seed}-added-{self._added}")
            post_id = self._next_id
            self._next_id += rng.randint(1, 40)
            when = (published or self.now).replace(microsecond=0)
            spec = _Draw(rng).spec(post_id, when, self.now, 1, False)
            spec.modified = when
            spec.listed = listed
            spec.in_sitemap = in_sitemap
            spec.views, spec.likes, spec.n_comments = rng.randint(5, 60), 0, 0
            for name, value in fields.items():
                if not hasattr(spec, name):
                    raise TypeError(f"ArticleSpec has no field {name!r}")
                setattr(spec, name, value)
            spec.comment_horizon = max(self.now, when)  # its generated comments (if any) fall before this
            self._next_comment_id = max(self._next_comment_id, self._last_generated_id(spec) + 1)
            peers = self._last_peers(spec.categories[0], 30)
            if peers and not fields.get("related"):
                spec.related = rng.sample(peers, min(len(peers), rng.randint(4, 6)))
            self._by_id[post_id] = spec
            self._articles.append(spec)
            self._touch(when)
            return spec

    def _last_peers(self, category: str, count: int) -> list[int]:
        """The ids of the last ``count`` posts in sitemaps whose primary category is ``category`` (or, when
        there is none, of any category), in id order: scanned from the end, so cheap on a big site."""
        same: list[int] = []
        for a in reversed(self._articles):
            if a.in_sitemap and a.categories[0] == category:
                same.append(a.id)
                if len(same) == count:
                    break
        if not same:
            same = [a.id for a in reversed(self._articles) if a.in_sitemap][:count]
        return same[::-1]

    # ----------------------------------------------------------------- article parts
    def body(self, spec: ArticleSpec) -> list[Chunk]:
        """The chunks of an article's entry-content (cached)."""
        key = (spec.id, spec.revision)
        with self._lock:
            cached = self._bodies.get(key)
            if cached is not None:
                self._bodies.move_to_end(key)
                return cached
            if spec.paragraphs is not None:
                chunks = [
                    Chunk(f"<p>{corpus.escape_text(p, spec.entities)}</p>", [collapse(p)]) for p in spec.paragraphs
                ]
                chunks = [c if c.blocks[0] else Chunk(c.html, []) for c in chunks]
                chunks += [
                    Chunk(f"<p>【更新】第{number}次修订。</p>", [f"【更新】第{number}次修订。"])
                    for number in range(1, spec.revision + 1)
                ]
            elif spec.repost_of is not None and (original := self._by_id.get(spec.repost_of)) is not None:
                source = f"本文转载自{corpus.SITE_NAME}往期文章,略有删改。"
                text = self._generated_body(replace(original, revision=0))[:-1]  # as first published, cut
                chunks = [Chunk(f"<p>{source}</p>", [source]), *text]
            else:
                chunks = self._generated_body(spec)
            self._bodies[key] = chunks
            if len(self._bodies) > 4096:
                self._bodies.popitem(last=False)
            return chunks

    @staticmethod
    def _generated_body(spec: ArticleSpec) -> list[Chunk]:
        ctx = BodyContext(
            seed=spec.body_seed,
            kind=spec.kind,
            published=spec.published,
            nick=spec.credit,
            city=spec.city,
            tpo=spec.tpo,
            drug=spec.drug,
            link_targets=[(f"/{pid}.html", t) for pid, t in spec.links],
            trap=spec.trap,
            entities=spec.entities,
            image_style=spec.image_style,
            extra_html=spec.extra_html,
            revision=spec.revision,
            upload_id=spec.id + 1,
            flash=flash_style(spec),
        )
        return corpus.write_body(ctx)

    def excerpt(self, spec: ArticleSpec) -> str:
        if spec.summary:
            return spec.summary
        text = " ".join(b for c in self.body(spec) for b in c.blocks)
        return text[:88] + "..." if len(text) > 88 else text

    def comments(self, spec: ArticleSpec) -> list[dict[str, object]]:
        """Comments in page order (each thread depth-first), with parent ids: the generated ones (stable: their
        times fall before the site was built, or the post was added) and then those of :meth:`add_comment`."""
        with self._lock:
            flat = [dict(c) for c in self._generated_comments(spec)]
            for added in spec.added_comments:
                item = dict(added)
                parent = item["parent_id"]
                if parent is None:
                    flat.append(item)
                    continue
                at = next(i for i, c in enumerate(flat) if c["comment_id"] == parent)
                subtree = {parent}
                at += 1
                while at < len(flat) and flat[at]["parent_id"] in subtree:  # after the parent's last descendant
                    subtree.add(flat[at]["comment_id"])
                    at += 1
                flat.insert(at, item)
            return flat

    def _generated_comments(self, spec: ArticleSpec) -> list[dict[str, object]]:
        """The comments drawn from the post's seed (cached: they never change while the post does not)."""
        count = spec.n_comments - len(spec.added_comments)
        if count <= 0:
            return []
        horizon = spec.comment_horizon or self.built_at
        key = (spec.id, spec.body_seed, count, horizon, spec.published, spec.author, spec.tpo, spec.city)
        cached = self._generated.get(key)
        if cached is not None:
            return cached
        rng = random.Random(spec.body_seed ^ 0x5EED)
        span = max(60.0, (horizon - spec.published).total_seconds() - 60)
        offsets = sorted(rng.uniform(60, span) for _ in range(count))
        threads: list[list[dict[str, object]]] = []
        for number, offset in enumerate(offsets):
            when = (spec.published + timedelta(seconds=offset)).replace(second=0, microsecond=0)
            reply = bool(threads) and rng.random() < 0.35
            author = spec.author if reply and rng.random() < 0.5 else rng.choice((*corpus.NICKNAMES, "游客"))
            item: dict[str, object] = {
                "author": author,
                "time": when,
                "text": corpus.make_comment(rng, reply, spec.tpo, spec.city),
                "comment_id": spec.id * 10 + number + 3,
                "parent_id": None,
            }
            if reply:
                thread = rng.choice(threads)
                item["parent_id"] = thread[0]["comment_id"]
                thread.append(item)
            else:
                threads.append([item])
        generated = [c for thread in threads for c in thread]
        self._generated[key] = generated
        return generated

    def add_comment(
        self,
        post_id: int,
        when: datetime | None = None,
        *,
        author: str | None = None,
        text: str | None = None,
        parent_id: int | None = None,
    ) -> dict[str, object]:
        """A new comment on ``post_id`` at ``when`` (default ``site.now``), shown after the existing ones (a
        reply at the end of its parent's thread). Its id is above every id used so far, as WordPress's are.
        The post's modified time stays (WordPress does not touch it); its page and comment count change."""
        with self._lock:
            spec = self._by_id[post_id]
            if parent_id is not None and not any(c["comment_id"] == parent_id for c in self.comments(spec)):
                raise ValueError(f"post {post_id} has no comment {parent_id}")
            comment_id = self._next_comment_id
            self._next_comment_id += 1
            rng = random.Random(f"{self.seed}-comment-{comment_id}")
            drawn_author = rng.choice((*corpus.NICKNAMES, "游客"))
            drawn_text = corpus.make_comment(rng, parent_id is not None, spec.tpo, spec.city)
            item: dict[str, object] = {
                "author": author if author is not None else drawn_author,
                "time": (when or self.now).replace(microsecond=0),
                "text": text if text is not None else drawn_text,
                "comment_id": comment_id,
                "parent_id": parent_id,
            }
            spec.added_comments.append(item)
            spec.n_comments += 1
            self._touch(item["time"])  # type: ignore[arg-type]
            return dict(item)

    def all_comments(self) -> list[tuple[int, dict[str, object]]]:
        """``(post id, comment)`` for every comment of a live post, newest first (time, then id): the feeds'
        and the REST API's source. Cached until the site changes."""
        with self._lock:
            if self._all_comments is not None and self._all_comments[0] == self._version:
                return self._all_comments[1]
            found = [(a.id, c) for a in self._articles if a.n_comments for c in self.comments(a)]
            found.sort(key=lambda pc: (pc[1]["time"], pc[1]["comment_id"]), reverse=True)
            self._all_comments = (self._version, found)
            return found

    def fingerprint(self, post_id: int) -> str | None:
        """What an archive keeps of the post, cheaply: changes with its content (title, body revision, tags,
        summary, modified time, categories) or its comments, not with views; None for a deleted post."""
        with self._lock:
            spec = self._by_id.get(post_id)
            if spec is None:
                return None
            content = "\x1f".join(
                (spec.title, spec.summary, ",".join(spec.tags), ",".join(spec.categories), *(spec.paragraphs or ()))
            )
            last = spec.added_comments[-1]["comment_id"] if spec.added_comments else 0
            crc = zlib.crc32(content.encode())
            return f"{spec.modified.isoformat()}|r{spec.revision}|c{spec.n_comments}.{last}|{crc:08x}"

    def count_view(self, post_id: int) -> bool:
        """One more view of the post (the theme's counter, on each fetch); its modified time stays. False when
        no such post."""
        with self._lock:
            spec = self._by_id.get(post_id)
            if spec is None:
                return False
            spec.views += 1
            return True

    def last_activity(self, spec: ArticleSpec) -> datetime:
        """The post's modified time or its newest comment's, whichever is later (what a page cache stores)."""
        times = [c["time"] for c in self.comments(spec)]
        return max([spec.modified, *times])  # type: ignore[type-var]

    # ----------------------------------------------------------------- views
    def _chrome(self, base: str, current: str = "") -> Chrome:
        index = self._index()
        return Chrome(
            base=base,
            now=self.now,
            categories=[(c.slug, c.name, base + c.path) for c in CATEGORIES],
            hot=[self._card(a, base) for a in index["hot"]],  # type: ignore[union-attr]
            tags=[(t, base + tag_path(t)) for t in index["cloud"]],  # type: ignore[union-attr]
            current=current,
        )

    def _card(self, spec: ArticleSpec, base: str) -> PostCard:
        category = CATEGORY_BY_SLUG[spec.categories[0]]
        return PostCard(
            url=spec.url(base),
            title=spec.title,
            date=spec.published,
            category_name=category.name,
            category_url=base + category.path,
            excerpt=self.excerpt(spec),
            thumb=self._thumb(spec, base),
            views=spec.views,
            comments=spec.n_comments,
            likes=spec.likes,
            author=spec.author,
            author_url=base + USER_BY_SLUG[spec.author_slug].path,
        )

    @staticmethod
    def _thumb(spec: ArticleSpec, base: str) -> str:
        return f"{base}/wp-content/uploads/{spec.published:%Y/%m}/thumb-{spec.id}.png"

    def _page_card(self, page: WpPage, base: str) -> PostCard:
        return PostCard(
            url=base + page.path,
            title=page.title,
            date=page.date,
            category_name="病友群",
            category_url=base + page.path,
            excerpt=page.paragraphs[0],
            thumb=f"{base}/wp-content/uploads/2020/05/qun.png",
            views=12873,
            comments=0,
            likes=35,
        )

    def _related(self, spec: ArticleSpec, base: str) -> list[PostCard]:
        cards = []
        for rid in spec.related:
            if rid in PAGE_BY_ID:
                cards.append(self._page_card(PAGE_BY_ID[rid], base))
            elif rid in self._by_id and self._by_id[rid].in_sitemap:  # hidden posts: never a related link
                cards.append(self._card(self._by_id[rid], base))
        return cards

    def _neighbours(self, spec: ArticleSpec) -> tuple[ArticleSpec | None, ArticleSpec | None]:
        """Prev/next in publication order among the posts in sitemaps; a hidden post (``in_sitemap=False``)
        links to the two around its place, but no post links back to it."""
        index = self._index()
        chain: list[ArticleSpec] = index["chain"]  # type: ignore[assignment]
        i = index["position"].get(spec.id)  # type: ignore[union-attr]
        if i is None:
            after = bisect.bisect_left(index["chain_keys"], (spec.published, spec.id))  # type: ignore[arg-type]
            return (chain[after - 1] if after > 0 else None), (chain[after] if after < len(chain) else None)
        return (chain[i - 1] if i > 0 else None), (chain[i + 1] if i + 1 < len(chain) else None)

    def _comment_views(self, spec: ArticleSpec, base: str) -> list[CommentView]:
        views: dict[int, CommentView] = {}
        roots: list[CommentView] = []
        for c in self.comments(spec):
            author = str(c["author"])
            member = USER_BY_NICK.get(author)  # guests (游客) have no member page
            view = CommentView(
                int(c["comment_id"]),
                author,
                c["time"],
                str(c["text"]),  # type: ignore[arg-type]
                f"{base}/wp-content/uploads/avatar/{zlib.crc32(author.encode()) % 20}.png",
                author_url=base + member.path if member else "",
                author_id=member.id if member else 0,
            )
            views[view.id] = view
            parent = c["parent_id"]
            (views[parent].children if parent else roots).append(view)  # type: ignore[index]
        return roots

    def content_html(self, spec: ArticleSpec, base: str) -> str:
        html_text = "\n".join(c.html for c in self.body(spec)).replace(corpus.BASE, base)
        if spec.copyright in ("plain", "both"):
            html_text += "\n" + theme.plain_copyright(spec.credit, spec.url(base))
        return html_text

    def article_view(self, spec: ArticleSpec, base: str) -> ArticleView:
        prev, nxt = self._neighbours(spec)

        def neighbour(other: ArticleSpec | None) -> Neighbour | None:
            if other is None:
                return None
            return Neighbour(other.url(base), other.title, other.published, self._thumb(other, base))

        user = USER_BY_SLUG[spec.author_slug]
        images = [i for c in self.body(spec) for i in c.images]
        return ArticleView(
            id=spec.id,
            url=spec.url(base),
            theme=spec.theme,
            title=spec.title,
            author=spec.author,
            author_url=base + user.path,
            author_id=user.id,
            avatar=f"{base}/wp-content/uploads/avatar/{user.id % 20}.png",
            credit=spec.credit,
            published=spec.published,
            modified=spec.modified,
            show_datetime=spec.show_datetime,
            categories=[(s, CATEGORY_BY_SLUG[s].name, base + CATEGORY_BY_SLUG[s].path) for s in spec.categories],
            tags=[(t, base + tag_path(t)) for t in spec.tags],
            views=spec.views if spec.show_views else None,
            likes=spec.likes,
            summary=spec.summary,
            description=self.excerpt(spec),
            content_html=self.content_html(spec, base),
            copyright_div=spec.copyright in ("div", "both"),
            related_title=spec.related_title,
            related_style=spec.related_style,
            related=self._related(spec, base),
            prev=neighbour(prev),
            next=neighbour(nxt),
            comments=self._comment_views(spec, base),
            n_comments=spec.n_comments,
            breadcrumb=spec.breadcrumb,
            text_indent=spec.text_indent,
            image=base + images[0]["src"] if images and images[0]["src"].startswith("/") else self._thumb(spec, base),
        )

    # ----------------------------------------------------------------- gold
    def gold_article(self, spec: ArticleSpec, base: str) -> dict[str, object]:
        """What a perfect extractor returns for one article page."""
        with self._lock:
            prev, nxt = self._neighbours(spec)
            chunks = self.body(spec)
            related = [{"url": c.url, "title": c.title, "date": theme.ymd(c.date)} for c in self._related(spec, base)]
            return {
                "id": spec.id,
                "url": spec.url(base),
                "theme": spec.theme,
                "title": collapse(spec.title),
                "author": spec.author,
                "credit": collapse(spec.credit),
                "published_at": iso(spec.published),
                "modified_at": iso(spec.modified),
                "categories": [CATEGORY_BY_SLUG[s].name for s in spec.categories],
                "tags": list(spec.tags),
                "summary": collapse(spec.summary),
                "body": [b for c in chunks for b in c.blocks if b],
                "images": [
                    {
                        "src": base + i["src"] if i["src"].startswith("/") else i["src"],
                        "alt": i["alt"],
                        "caption": i["caption"],
                    }
                    for c in chunks
                    for i in c.images
                ],
                "views": spec.views if spec.show_views else None,
                "likes": spec.likes,
                "related": related,
                "prev_url": prev.url(base) if prev else None,
                "next_url": nxt.url(base) if nxt else None,
                "prev_title": prev.title if prev else None,
                "next_title": nxt.title if nxt else None,
                "comments": [
                    {
                        "author": c["author"],
                        "time": iso(c["time"]),
                        "text": collapse(str(c["text"])),  # type: ignore[arg-type]
                        "comment_id": c["comment_id"],
                        "parent_id": c["parent_id"],
                    }
                    for c in self.comments(spec)
                ],
                "listed": spec.listed,
                "in_sitemap": spec.in_sitemap,
                "repost_of": spec.repost_of,
            }

    def gold(self, base_url: str) -> list[dict[str, object]]:
        """One dict per live article, in id order."""
        base = base_url.rstrip("/")
        with self._lock:
            return [self.gold_article(a, base) for a in self._articles]

    # ----------------------------------------------------------------- rendering
    def render(self, path: str, base_url: str, profile: Profile = FRIENDLY) -> Response:
        """Status, headers and body for any request path (query string included), served as ``profile`` says
        (:mod:`~itp6crawl.replica.profiles`; the view counter is the server's, not applied here)."""
        base = base_url.rstrip("/")
        post_id = article_id(path) if profile.page_cache else None
        with self._lock:
            if post_id is not None:
                return self._cached_article(post_id, path, base, profile)
            status, headers, body = self._route(path or "/", base, profile)
        if not profile.html_validators and (
            headers.get("Content-Type") == HTML_TYPE or path.split("?", 1)[0].startswith("/wp-sitemap")
        ):  # WordPress core generates these per request: no ETag, no Last-Modified
            headers.pop("ETag", None)
            headers.pop("Last-Modified", None)
        return status, headers, body

    def _cached_article(self, post_id: int, path: str, base: str, profile: Profile) -> Response:
        """An article as a page cache serves it: the copy rendered when it was last invalidated (by an
        edit or a comment: its fingerprint), byte for byte, views and relative dates included."""
        key = (self.fingerprint(post_id), base)
        cached = self._page_cache.get(post_id)
        if cached is None or cached[0] != key:
            cached = (key, self._route(path, base, profile))
            self._page_cache[post_id] = cached
        status, headers, body = cached[1]
        return status, dict(headers), body

    def _route(self, raw: str, base: str, profile: Profile = FRIENDLY) -> Response:
        path, _, query = raw.partition("?")
        path = path.split("#", 1)[0] or "/"
        params = parse_qs(query)
        if path in _FEED_PATHS or _POST_FEED.match(path):
            return self._feed(path, params, base, profile)
        if path in ("/feed", "/feed/atom", "/comments/feed"):
            return self._redirect(f"{base}{path}/" + (f"?{query}" if query else ""))
        if path == "/" and "p" in params:
            return self._shortlink(params["p"][0], base)
        if path == "/" and "s" in params:
            return self._search(params["s"][0], base)
        if path == "/":
            return self._home(base)
        if match := _ARTICLE.match(path):
            spec = self._by_id.get(int(match[1]))
            return self._article(spec, base, profile) if spec else self._not_found(base)
        if match := _ARTICLE_SLASH.match(path):
            return self._redirect(f"{base}/{match[1]}.html")
        if match := _HOME_PAGE.match(path):
            number = int(match[1])
            if number <= 1 or not path.endswith("/"):
                return self._redirect(f"{base}/" if number <= 1 else f"{base}/page/{number}/")
            return self._home_page_n(number, base)
        if match := _LISTING.match(path):
            return self._listing(match[1], unquote(match[2]), int(match[3] or 1), base, match[3] is not None)
        if match := _LISTING_SLASH.match(path):  # old links: WordPress redirect_canonical drops the slash
            return self._listing(match[1], unquote(match[2]), int(match[3] or 1), base, match[3] is not None, True)
        slug = path.strip("/")
        if slug in PAGES:
            if not path.endswith("/"):
                return self._redirect(f"{base}/{slug}/")
            return self._wp_page(PAGES[slug], base)
        if path == "/robots.txt":
            return self._ok(self.robots(base).encode(), "text/plain; charset=utf-8", self.changed_at)
        if path.startswith("/wp-sitemap"):
            return self._feeds(path, base, profile)
        if path.startswith("/wp-json"):
            body = json.dumps(
                {
                    "code": "rest_no_route",
                    "message": "未找到匹配URL和请求方式的路由。",
                    "data": {"status": 404},
                },
                ensure_ascii=False,
            ).encode()
            return 404, {"Content-Type": "application/json; charset=UTF-8"}, body
        if path.startswith(("/wp-content/", "/wp-includes/")):
            return self._static(path, base)
        return self._not_found(base)

    # ----------------------------------------------------------------- responses
    @staticmethod
    def _ok(body: bytes, content_type: str, last_modified: datetime) -> Response:
        headers = {
            "Content-Type": content_type,
            "Last-Modified": http_date(last_modified),
            "ETag": '"' + hashlib.sha1(body).hexdigest()[:24] + '"',
        }
        return 200, headers, body

    def _html(
        self,
        page: str,
        last_modified: datetime,
        base: str,
        shortlink_id: int | None = None,
        *,
        themed: bool = False,
    ) -> Response:
        """A 200 HTML response; ``themed`` pages (articles, listings) are renamed while ``theme_drift`` is on."""
        if themed and self.theme_drift:
            page = rename_theme_classes(page)
        status, headers, body = self._ok(page.encode("utf-8"), HTML_TYPE, last_modified)
        headers["Link"] = f'<{base}/wp-json/>; rel="https://api.w.org/"'
        if shortlink_id is not None:
            headers["Link"] += f", <{base}/?p={shortlink_id}>; rel=shortlink"
        return status, headers, body

    @staticmethod
    def _redirect(location: str) -> Response:
        return 301, {"Location": location, "Content-Type": HTML_TYPE}, b""

    def _not_found(self, base: str) -> Response:
        chrome = self._chrome(base)
        page = theme.document(
            chrome,
            head_html=theme.head(
                chrome,
                title=f"页面未找到 - {corpus.SITE_NAME}",
                canonical=f"{base}/",
                description=corpus.SITE_TAGLINE,
            ),
            body_class="error404 lang-cn el-boxed header-fixed",
            main_html=theme.not_found_main(base),
            theme=JUSTNEWS6,
        )
        return 404, {"Content-Type": HTML_TYPE}, page.encode("utf-8")

    def _shortlink(self, value: str, base: str) -> Response:
        if value.isdigit():
            if int(value) in self._by_id:
                return self._redirect(self._by_id[int(value)].url(base))
            if int(value) in PAGE_BY_ID:
                return self._redirect(base + PAGE_BY_ID[int(value)].path)
        return self._not_found(base)

    def _article(self, spec: ArticleSpec, base: str, profile: Profile = FRIENDLY) -> Response:
        view = self.article_view(spec, base)
        chrome = self._chrome(base, spec.categories[0])
        jsonld = {
            "@context": "https://schema.org",
            "@type": "Article",
            "@id": view.url,
            "url": view.url,
            "headline": spec.title,
            "image": [view.image],
            "description": view.description,
            "datePublished": iso(spec.published),
            "dateModified": iso(spec.modified),
            "author": {"@type": "Person", "name": spec.author, "url": view.author_url},
            "publisher": {
                "@type": "Organization",
                "name": corpus.SITE_NAME,
                "logo": {"@type": "ImageObject", "url": f"{base}/wp-content/uploads/2019/03/logo.png"},
            },
        }
        og_extra = [
            ("article:published_time", iso(spec.published)),
            ("article:modified_time", iso(spec.modified)),
            ("article:author", spec.author),
        ]
        og_extra += [("article:section", name) for _, name, _ in view.categories[:1]]
        og_extra += [("article:tag", t) for t in spec.tags]
        head_html = theme.head(
            chrome,
            title=f"{spec.title} - {corpus.SITE_NAME}",
            canonical=view.url,
            description=view.description,
            keywords=",".join(spec.tags),
            og_type="article",
            og_extra=og_extra,
            jsonld=jsonld,
            shortlink=f"{base}/?p={spec.id}",
            theme=spec.theme,
            image=view.image,
        )
        body_class = (
            f"post-template-default single single-post postid-{spec.id} single-format-standard "
            "lang-cn el-boxed header-fixed"
        )
        trail = [(view.categories[0][1], view.categories[0][2])] if spec.breadcrumb else None
        page = theme.document(
            chrome,
            head_html=head_html,
            body_class=body_class,
            main_html=theme.article_main(view, self.now),
            theme=spec.theme,
            trail=trail,
            post_id=spec.id,
        )
        # A page cache's copy is as new as the post's last edit or comment; WordPress's own answer says modified.
        last_modified = self.last_activity(spec) if profile.page_cache else spec.modified
        return self._html(page, last_modified, base, spec.id, themed=True)

    def _wp_page(self, page: WpPage, base: str) -> Response:
        chrome = self._chrome(base)
        content = "\n".join(f"<p>{corpus.escape_text(p, True)}</p>" for p in page.paragraphs)
        if page is WEIXINQUN:
            content += (
                f'\n<figure id="attachment_2047" style="width: 430px" class="wp-caption aligncenter">'
                '<img class="size-full wp-image-2047" src="'
                f'{base}/wp-content/uploads/2019/03/qun-qrcode.png" '
                'alt="病友群二维码" width="430" height="430"><figcaption class="wp-caption-text">病友群二维码'
                "</figcaption></figure>"
            )
        head_html = theme.head(
            chrome,
            title=f"{page.title} - {corpus.SITE_NAME}",
            canonical=base + page.path,
            description=page.paragraphs[0],
            shortlink=f"{base}/?p={page.id}",
        )
        document = theme.document(
            chrome,
            head_html=head_html,
            body_class=f"page-template-default page page-id-{page.id} lang-cn el-boxed",
            main_html=theme.page_main(page.id, page.title, content),
            theme=JUSTNEWS6,
            post_id=page.id,
        )
        return self._html(document, page.date, base, page.id)

    def _list_page(
        self,
        base: str,
        *,
        title: str,
        heading: str,
        description: str,
        canonical: str,
        items: list[ArticleSpec],
        page: int,
        url_of: Callable[[int], str],
        load_more: bool = False,
        current: str = "",
        body_class: str,
        pages: int | None = None,
    ) -> Response:
        chrome = self._chrome(base, current)
        cards = [self._card(a, base) for a in items]
        total_pages = pages if pages is not None else max(1, math.ceil(len(items) / PER_PAGE))
        pager = theme.pagination(page, total_pages, url_of, load_more)
        main = theme.listing_main(chrome, heading=heading, description=description, cards=cards, pager=pager)
        head_html = theme.head(chrome, title=title, canonical=canonical, description=description or heading)
        document = theme.document(chrome, head_html=head_html, body_class=body_class, main_html=main, theme=JUSTNEWS6)
        last = max((a.modified for a in items), default=self.changed_at)
        return self._html(document, last, base, themed=True)

    def _home(self, base: str) -> Response:
        listed: list[ArticleSpec] = self._index()["listed_desc"]  # type: ignore[assignment]
        pages = max(1, math.ceil(len(listed) / PER_PAGE))
        return self._list_page(
            base,
            title=f"{corpus.SITE_NAME} - {corpus.SITE_TAGLINE}",
            heading="最新文章",
            description=corpus.SITE_TAGLINE,
            canonical=f"{base}/",
            items=listed[:PER_PAGE],
            page=1,
            url_of=lambda n: f"{base}/" if n == 1 else f"{base}/page/{n}/",
            current="home",
            body_class="home blog lang-cn el-boxed header-fixed",
            pages=pages,
        )

    def _home_page_n(self, number: int, base: str) -> Response:
        """The theme's quirk: /page/n/ of the home page is a themed page without items."""
        chrome = self._chrome(base, "home")
        main = theme.listing_main(chrome, heading="最新文章", description="", cards=[], pager="")
        head_html = theme.head(
            chrome,
            title=f"{corpus.SITE_NAME} - 第{number}页",
            canonical=f"{base}/page/{number}/",
            description=corpus.SITE_TAGLINE,
        )
        document = theme.document(
            chrome,
            head_html=head_html,
            body_class="home blog paged lang-cn el-boxed",
            main_html=main,
            theme=JUSTNEWS6,
        )
        return self._html(document, self.changed_at, base, themed=True)

    def _listing_items(self, kind: str, slug: str) -> tuple[str, list[ArticleSpec], str, str, bool] | None:
        """(canonical slug, items, name, description, load_more) of a category, tag or author listing."""
        index = self._index()
        if kind == "category":
            category = CATEGORY_BY_SLUG.get(slug)
            if category is None:
                return None
            items = index["by_category"][slug]  # type: ignore[index]
            return slug, items, category.name, f"{category.name}相关文章", category.load_more
        if kind == "tag":
            tag = next((t for t in index["by_tag"] if t.lower() == slug.lower()), None)  # type: ignore[union-attr]
            if tag is None:
                return None
            return tag_slug(tag), index["by_tag"][tag], tag, "", False  # type: ignore[index]
        user = USER_BY_SLUG.get(slug)
        if user is None:
            return None
        return slug, index["by_author"].get(slug, []), user.nick, "", False  # type: ignore[union-attr]

    def category_page_of(self, post_id: int, slug: str | None = None) -> str | None:
        """The path of the listing page of category ``slug`` (default: the post's primary category) that
        lists the post, e.g. ``/category/zhiliao/page/3``; None when no page lists it."""
        with self._lock:
            spec = self._by_id.get(post_id)
            if spec is None:
                return None
            slug = slug or spec.categories[0]
            items = self._index()["by_category"].get(slug, [])  # type: ignore[union-attr]
            position = next((i for i, a in enumerate(items) if a.id == post_id), None)
            if position is None:
                return None
            page = position // PER_PAGE + 1
            return f"/category/{slug}" + (f"/page/{page}" if page > 1 else "")

    def _listing(
        self, kind: str, slug: str, page: int, base: str, explicit_page: bool = False, slash: bool = False
    ) -> Response:
        """A category, tag or author listing, served without a trailing slash (``/category/x``,
        ``/category/x/page/2``); the slash form and ``/page/1`` answer 301 to it, as WordPress's
        redirect_canonical does."""
        found = self._listing_items(kind, slug)
        if found is None:
            return self._not_found(base)
        slug, items, name, description, load_more = found
        pages = max(1, math.ceil(len(items) / PER_PAGE))
        root = f"{base}/{kind}/{slug}"
        if page > pages or page < 1:
            return self._not_found(base)

        def url_of(n: int) -> str:
            return root if n == 1 else f"{root}/page/{n}"

        if slash or (explicit_page and page == 1):
            return self._redirect(url_of(page))

        chunk = items[(page - 1) * PER_PAGE : page * PER_PAGE]
        suffix = f" - 第{page}页" if page > 1 else ""
        return self._list_page(
            base,
            title=f"{name}{suffix} - {corpus.SITE_NAME}",
            heading=name,
            description=description,
            canonical=url_of(page),
            items=chunk,
            page=page,
            url_of=url_of,
            load_more=load_more,
            current=slug if kind == "category" else "",
            pages=pages,
            body_class=f"archive {kind} {kind}-{slug} lang-cn el-boxed" + (" paged" if page > 1 else ""),
        )

    def _search(self, term: str, base: str) -> Response:
        listed: list[ArticleSpec] = self._index()["listed_desc"]  # type: ignore[assignment]
        found = [a for a in listed if term and term.lower() in a.title.lower()][:PER_PAGE]
        return self._list_page(
            base,
            title=f"{term} 的搜索结果 - {corpus.SITE_NAME}",
            heading=f"“{term}”的搜索结果",
            description="",
            canonical=f"{base}/?s={quote(term)}",
            items=found,
            page=1,
            url_of=lambda n: f"{base}/?s={quote(term)}",
            body_class="search search-results lang-cn el-boxed",
            pages=1,
        )

    # ----------------------------------------------------------------- robots, sitemaps, feed, static
    @staticmethod
    def robots(base: str) -> str:
        return (
            f"User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\n\nSitemap: {base}/wp-sitemap.xml\n"
        )

    def sitemap_chunks(self) -> list[list[ArticleSpec]]:
        """Listed articles in id order, 2,000 to a posts sitemap (WordPress core); ``in_sitemap=False`` left out."""
        listed = [a for a in self._articles if a.listed and a.in_sitemap]
        return [listed[i : i + SITEMAP_SIZE] for i in range(0, len(listed), SITEMAP_SIZE)] or [[]]

    def _feeds(self, path: str, base: str, profile: Profile = FRIENDLY) -> Response:
        xml_type = "application/xml; charset=UTF-8"
        head = '<?xml version="1.0" encoding="UTF-8"?>\n'
        urlset = '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        if path == "/wp-sitemap.xml":
            names = [f"wp-sitemap-posts-post-{n}.xml" for n in range(1, len(self.sitemap_chunks()) + 1)]
            names += ["wp-sitemap-posts-page-1.xml", "wp-sitemap-taxonomies-category-1.xml"]
            body = (
                head + f'<?xml-stylesheet type="text/xsl" href="{base}/wp-sitemap-index.xsl" ?>\n'
                '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                + "".join(f"<sitemap><loc>{base}/{n}</loc></sitemap>" for n in names)
                + "</sitemapindex>\n"
            )
            return self._ok(body.encode(), xml_type, self.changed_at)
        if match := _POST_SITEMAP.match(path):
            chunks = self.sitemap_chunks()
            number = int(match[1])
            if not 1 <= number <= len(chunks):
                return self._not_found(base)
            entries = []
            for a in chunks[number - 1]:
                lastmod = ""
                if a.sitemap_lastmod and profile.sitemap_lastmod:
                    lastmod = f"<lastmod>{a.modified.astimezone(UTC).isoformat()}</lastmod>"
                entries.append(f"<url><loc>{a.url(base)}</loc>{lastmod}</url>")
            body = (
                head
                + f'<?xml-stylesheet type="text/xsl" href="{base}/wp-sitemap.xsl" ?>\n'
                + urlset
                + "".join(entries)
                + "</urlset>\n"
            )
            last = max((a.modified for a in chunks[number - 1]), default=self.changed_at)
            return self._ok(body.encode(), xml_type, last)
        if path == "/wp-sitemap-posts-page-1.xml":
            entries = "".join(f"<url><loc>{base}{p.path}</loc></url>" for p in (OTHER_PAGES[0], WEIXINQUN))
            body = head + f'<?xml-stylesheet type="text/xsl" href="{base}/wp-sitemap.xsl" ?>\n' + urlset + entries
            return self._ok((body + "</urlset>\n").encode(), xml_type, WEIXINQUN.date)
        if path == "/wp-sitemap-taxonomies-category-1.xml":
            entries = "".join(f"<url><loc>{base}{c.path}</loc></url>" for c in CATEGORIES)
            body = head + f'<?xml-stylesheet type="text/xsl" href="{base}/wp-sitemap.xsl" ?>\n' + urlset + entries
            return self._ok((body + "</urlset>\n").encode(), xml_type, self.changed_at)
        if path in ("/wp-sitemap.xsl", "/wp-sitemap-index.xsl"):
            body = (
                '<?xml version="1.0" encoding="UTF-8"?>\n<xsl:stylesheet version="1.0" '
                'xmlns:xsl="http://www.w3.org/1999/XSL/Transform"></xsl:stylesheet>\n'
            )
            return self._ok(body.encode(), "application/xml; charset=UTF-8", STATIC_DATE)
        return self._not_found(base)

    # ----------------------------------------------------------------- feeds (WordPress core)
    def feed_posts(self, orderby: str = "date", order: str = "DESC") -> list[ArticleSpec]:
        """Listed posts as the feeds select them: by publication date, or by modified time (then id)."""
        index = self._index()
        if orderby == "modified":
            ordered = index.get("listed_by_modified")
            if ordered is None:
                listed: list[ArticleSpec] = index["listed_desc"]  # type: ignore[assignment]
                ordered = sorted(listed, key=lambda a: (a.modified, a.id), reverse=True)
                index["listed_by_modified"] = ordered
        else:
            ordered = index["listed_desc"]
        return list(reversed(ordered)) if order.upper() == "ASC" else ordered  # type: ignore[arg-type]

    def _feed(self, path: str, params: dict[str, list[str]], base: str, profile: Profile) -> Response:
        """/feed/, /feed/atom/, /comments/feed/ and /{id}.html/feed/: ten items a page (``?paged=N``, 404 past
        the end); always with Last-Modified and ETag, as WordPress core sends for feeds."""
        paged_raw = params.get("paged", ["1"])[0]
        paged = int(paged_raw) if paged_raw.isdigit() and int(paged_raw) > 0 else 1
        start, stop = (paged - 1) * PER_PAGE, paged * PER_PAGE
        if path in ("/feed/", "/feed/atom/"):
            orderby, order = "date", "DESC"
            if profile.feed_orderby:  # public query vars of class-wp.php
                orderby = params.get("orderby", ["date"])[0].lower()
                order = params.get("order", ["DESC"])[0]
            posts = self.feed_posts(orderby, order)
            chunk = posts[start:stop]
            if not chunk and paged > 1:
                return self._not_found(base)
            built = max((a.modified for a in self._articles), default=self.changed_at)
            if path == "/feed/":
                body, kind = self.rss(base, chunk, built), "application/rss+xml; charset=UTF-8"
            else:
                body, kind = self.atom(base, chunk, built), "application/atom+xml; charset=UTF-8"
            return self._ok(body.encode(), kind, built)
        if path == "/comments/feed/":
            comments = self.all_comments()
            title, link = f"{corpus.SITE_NAME}的评论", base
        else:
            spec = self._by_id.get(int(_POST_FEED.match(path)[1]))  # type: ignore[index]
            if spec is None:
                return self._not_found(base)
            mine = sorted(self.comments(spec), key=lambda c: (c["time"], c["comment_id"]), reverse=True)
            comments = [(spec.id, c) for c in mine]
            title, link = f"《{spec.title}》的评论", spec.url(base)
        chunk_c = comments[start:stop]
        if not chunk_c and paged > 1:
            return self._not_found(base)
        built = comments[0][1]["time"] if comments else self.changed_at  # type: ignore[assignment]
        body = self.comments_rss(base, chunk_c, built, title, link)  # type: ignore[arg-type]
        return self._ok(body.encode(), "application/rss+xml; charset=UTF-8", built)  # type: ignore[arg-type]

    def rss(self, base: str, posts: list[ArticleSpec] | None = None, built: datetime | None = None) -> str:
        """RSS 2.0 of ``posts`` (default: the ten newest listed), as WordPress's feed-rss2.php writes it."""
        if posts is None:
            posts = self.feed_posts()[:PER_PAGE]
        if built is None:
            built = max((a.modified for a in self._articles), default=self.changed_at)
        items = "".join(
            f"<item><title>{html.escape(a.title)}</title><link>{a.url(base)}</link>"
            f"<comments>{a.url(base)}#respond</comments>"
            f"<dc:creator><![CDATA[{a.author}]]></dc:creator>"
            f"<pubDate>{rfc822(a.published)}</pubDate>"
            + "".join(f"<category><![CDATA[{CATEGORY_BY_SLUG[c].name}]]></category>" for c in a.categories)
            + f'<guid isPermaLink="false">{base}/?p={a.id}</guid>'
            f"<description><![CDATA[{self.excerpt(a)}]]></description>"
            f"<wfw:commentRss>{a.url(base)}/feed/</wfw:commentRss>"
            f"<slash:comments>{a.n_comments}</slash:comments></item>\n"
            for a in posts
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:wfw="http://wellformedweb.org/CommentAPI/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:atom="http://www.w3.org/2005/Atom" '
            'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/" '
            'xmlns:slash="http://purl.org/rss/1.0/modules/slash/">\n<channel>\n'
            f"<title>{corpus.SITE_NAME}</title>\n"
            f'<atom:link href="{base}/feed/" rel="self" type="application/rss+xml" />\n'
            f"<link>{base}</link>\n<description>{corpus.SITE_TAGLINE}</description>\n"
            f"<lastBuildDate>{rfc822(built)}</lastBuildDate>\n"
            f"<language>zh-CN</language>\n<sy:updatePeriod>hourly</sy:updatePeriod>\n"
            f"<sy:updateFrequency>1</sy:updateFrequency>\n{items}</channel>\n</rss>\n"
        )

    def atom(self, base: str, posts: list[ArticleSpec], built: datetime) -> str:
        """Atom 1.0 of ``posts``, as WordPress's feed-atom.php writes it."""
        entries = "".join(
            f"<entry><author><name>{html.escape(a.author)}</name></author>"
            f'<title type="html"><![CDATA[{a.title}]]></title>'
            f'<link rel="alternate" type="text/html" href="{a.url(base)}"/>'
            f"<id>{base}/?p={a.id}</id><updated>{atom_time(a.modified)}</updated>"
            f"<published>{atom_time(a.published)}</published>"
            + "".join(f'<category scheme="{base}" term="{CATEGORY_BY_SLUG[c].name}"/>' for c in a.categories)
            + f'<summary type="html"><![CDATA[{self.excerpt(a)}]]></summary>'
            f'<link rel="replies" type="application/atom+xml" href="{a.url(base)}/feed/atom/" '
            f'thr:count="{a.n_comments}"/><thr:total>{a.n_comments}</thr:total></entry>\n'
            for a in posts
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
            'xmlns:thr="http://purl.org/syndication/thread/1.0" xml:lang="zh-CN">\n'
            f'<title type="text">{corpus.SITE_NAME}</title>\n<subtitle type="text">{corpus.SITE_TAGLINE}</subtitle>\n'
            f"<updated>{atom_time(built)}</updated>\n"
            f'<link rel="alternate" type="text/html" href="{base}/"/>\n<id>{base}/feed/atom/</id>\n'
            f'<link rel="self" type="application/atom+xml" href="{base}/feed/atom/"/>\n{entries}</feed>\n'
        )

    def comments_rss(
        self, base: str, comments: list[tuple[int, dict[str, object]]], built: datetime, title: str, link: str
    ) -> str:
        """RSS 2.0 of comments (feed-rss2-comments.php): each item links ``{post}.html#comment-{id}``."""
        items = []
        for post_id, c in comments:
            spec = self._by_id[post_id]
            url = f"{spec.url(base)}#comment-{c['comment_id']}"
            text = str(c["text"])
            items.append(
                f"<item><title>评论：{html.escape(spec.title)}</title><link>{url}</link>"
                f"<dc:creator><![CDATA[{c['author']}]]></dc:creator>"
                f"<pubDate>{rfc822(c['time'])}</pubDate>"  # type: ignore[arg-type]
                f'<guid isPermaLink="false">{url}</guid>'
                f"<description><![CDATA[{text}]]></description>"
                f"<content:encoded><![CDATA[<p>{html.escape(text)}</p>]]></content:encoded></item>\n"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:atom="http://www.w3.org/2005/Atom" '
            'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">\n<channel>\n'
            f"<title>{html.escape(title)}</title>\n<link>{link}</link>\n"
            f"<description>{corpus.SITE_TAGLINE}</description>\n"
            f"<lastBuildDate>{rfc822(built)}</lastBuildDate>\n"
            f"<sy:updatePeriod>hourly</sy:updatePeriod>\n<sy:updateFrequency>1</sy:updateFrequency>\n"
            f"{''.join(items)}</channel>\n</rss>\n"
        )

    def _static(self, path: str, base: str) -> Response:
        if path.endswith(".png"):
            return self._ok(_PNG, "image/png", STATIC_DATE)
        if path.endswith(".css"):
            return self._ok(b"/* replica */\n", "text/css", STATIC_DATE)
        if path.endswith(".js"):
            return self._ok(b"/* replica */\n", "application/javascript", STATIC_DATE)
        return self._not_found(base)

    # ----------------------------------------------------------------- enumeration and files
    def paths(self) -> Iterator[str]:
        """Every page the site serves (not static assets or redirects), each once."""
        with self._lock:
            index = self._index()
            yield from ("/", "/page/2/", "/robots.txt", "/wp-sitemap.xml", "/feed/")
            for n in range(1, len(self.sitemap_chunks()) + 1):
                yield f"/wp-sitemap-posts-post-{n}.xml"
            yield from ("/wp-sitemap-posts-page-1.xml", "/wp-sitemap-taxonomies-category-1.xml")
            for kind, groups in (
                ("category", index["by_category"]),
                ("tag", index["by_tag"]),
                ("author", index["by_author"]),
            ):
                for key, items in groups.items():  # type: ignore[union-attr]
                    slug = tag_slug(key) if kind == "tag" else key
                    for page in range(1, max(1, math.ceil(len(items) / PER_PAGE)) + 1):
                        yield f"/{kind}/{slug}" + (f"/page/{page}" if page > 1 else "")
            for page in PAGES.values():
                yield page.path
            for spec in list(self._articles):
                yield spec.path

    def write(self, directory: Path | str, base_url: str) -> None:
        """Write every page under ``directory``, a 404 page and gold.json. A path ending in a slash or with no
        dot in its last segment is a directory index: ``/x/`` and ``/category/x`` become ``x/index.html`` and
        ``category/x/index.html``; ``/123.html`` and ``/robots.txt`` are files."""
        root = Path(directory)
        for path in self.paths():
            _, _, body = self.render(path, base_url)
            relative = unquote(path).lstrip("/")
            directory_index = not relative or relative.endswith("/") or "." not in relative.rsplit("/", 1)[-1]
            target = root / (f"{relative.rstrip('/')}/index.html".lstrip("/") if directory_index else relative)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(body)
        _, _, body = self._not_found(base_url.rstrip("/"))
        (root / "404.html").write_bytes(body)
        gold = json.dumps(self.gold(base_url), ensure_ascii=False, indent=1)
        (root / "gold.json").write_text(gold + "\n", encoding="utf-8")
