"""The replica's WordPress REST API (``/wp-json/``), served when the profile turns it on.

Follows what WordPress answers for ``wp/v2/posts`` and ``wp/v2/comments``: its parameters (per_page, page,
orderby, order, after, modified_after, _fields, post), its 400 errors, and its paging headers, so the
crawler's REST client can be tested against the manners of the real thing.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import parse_qsl, urlencode

from . import corpus
from .theme import SHANGHAI

if TYPE_CHECKING:
    from .site import ArticleSpec, Response, Site

T = TypeVar("T")
JSON_TYPE = "application/json; charset=UTF-8"
_SINGLE_POST = re.compile(r"^/wp-json/wp/v2/posts/(\d+)/?$")


class RestError(Exception):
    """A WordPress REST error: its code, message and HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400, params: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.status, self.params = code, message, status, params


def _json(status: int, payload: object, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return status, {"Content-Type": JSON_TYPE, **(headers or {})}, body


def _error(error: RestError) -> Response:
    data: dict[str, object] = {"status": error.status}
    if error.params:
        data["params"] = error.params
    return _json(error.status, {"code": error.code, "message": error.message, "data": data})


def wp_local(dt: datetime) -> str:
    """WordPress's ``date``/``modified``: site-local time, no offset (``2024-06-02T23:10:00``)."""
    return dt.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M:%S")


def wp_gmt(dt: datetime) -> str:
    """WordPress's ``date_gmt``/``modified_gmt``: UTC, no offset."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _invalid(name: str, why: str) -> RestError:
    return RestError("rest_invalid_param", f"无效参数：{name}", 400, {name: why})


def _int(params: dict[str, str], name: str, default: int, low: int, high: int | None = None) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _invalid(name, f"{name}不是integer类型。") from None
    if value < low or (high is not None and value > high):
        bound = f"{low}到{high}" if high is not None else f"大于等于{low}"
        raise _invalid(name, f"{name}必须在{bound}之间。")
    return value


def _choice(params: dict[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = params.get(name, default)
    if value not in allowed:
        raise _invalid(name, f"{name}不是{', '.join(allowed)}之一。")
    return value


def _date(params: dict[str, str], name: str) -> datetime | None:
    """An ISO 8601 parameter; without an offset it is site-local time, as WordPress reads it."""
    raw = params.get(name)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(name, f"{name}不是有效的日期。") from None
    return value if value.tzinfo else value.replace(tzinfo=SHANGHAI)


def _fields(params: dict[str, str], item: dict[str, object]) -> dict[str, object]:
    """Only the keys named in ``_fields`` (a comma list; ``title.rendered`` keeps ``title``)."""
    raw = params.get("_fields")
    if not raw:
        return item
    wanted = {f.strip().split(".", 1)[0] for f in raw.split(",") if f.strip()}
    return {k: v for k, v in item.items() if k in wanted}


def _paged(
    base: str,
    route: str,
    params: dict[str, str],
    pairs: list[tuple[str, str]],
    items: list[T],
    make: Callable[[T], dict[str, object]],
    past_the_end: str,
) -> Response:
    """One page of ``items`` (each made into its object by ``make``, for the page shown only) with X-WP-Total,
    X-WP-TotalPages and Link (prev/next) headers."""
    per_page = _int(params, "per_page", 10, 1, 100)
    page = _int(params, "page", 1, 1)
    total = len(items)
    pages = math.ceil(total / per_page)
    if total and page > pages:
        raise RestError(past_the_end, "请求的页数大于总页数。", 400)
    chunk = items[(page - 1) * per_page : page * per_page]
    headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
    links = []
    kept = [(k, v) for k, v in pairs if k != "page"]
    if page > 1:
        links.append(f'<{base}/wp-json/{route}?{urlencode([*kept, ("page", str(page - 1))])}>; rel="prev"')
    if page < pages:
        links.append(f'<{base}/wp-json/{route}?{urlencode([*kept, ("page", str(page + 1))])}>; rel="next"')
    if links:
        headers["Link"] = ", ".join(links)
    return _json(200, [_fields(params, make(i)) for i in chunk], headers)


def post_object(spec: ArticleSpec, base: str) -> dict[str, object]:
    """A post as ``wp/v2/posts`` shows it (the context=view fields the crawler reads)."""
    from .site import CATEGORY_BY_SLUG, USER_BY_SLUG

    return {
        "id": spec.id,
        "date": wp_local(spec.published),
        "date_gmt": wp_gmt(spec.published),
        "guid": {"rendered": f"{base}/?p={spec.id}"},
        "modified": wp_local(spec.modified),
        "modified_gmt": wp_gmt(spec.modified),
        "slug": str(spec.id),
        "status": "publish",
        "type": "post",
        "link": spec.url(base),
        "title": {"rendered": html.escape(spec.title, quote=False)},
        "author": USER_BY_SLUG[spec.author_slug].id,
        "comment_status": "open",
        "ping_status": "closed",
        "categories": [CATEGORY_BY_SLUG[c].term_id for c in spec.categories],
    }


def comment_object(post_id: int, comment: dict[str, object], base: str) -> dict[str, object]:
    """A comment as ``wp/v2/comments`` shows it."""
    from .site import USER_BY_NICK

    member = USER_BY_NICK.get(str(comment["author"]))
    when: datetime = comment["time"]  # type: ignore[assignment]
    return {
        "id": comment["comment_id"],
        "post": post_id,
        "parent": comment["parent_id"] or 0,
        "author": member.id if member else 0,
        "author_name": comment["author"],
        "date": wp_local(when),
        "date_gmt": wp_gmt(when),
        "link": f"{base}/{post_id}.html#comment-{comment['comment_id']}",
        "content": {"rendered": f"<p>{html.escape(str(comment['text']), quote=False)}</p>\n"},
        "status": "approved",
        "type": "comment",
    }


def _posts(site: Site, base: str, params: dict[str, str], pairs: list[tuple[str, str]]) -> Response:
    orderby = _choice(params, "orderby", "date", ("date", "modified", "id"))
    order = _choice(params, "order", "desc", ("asc", "desc"))
    after, modified_after = _date(params, "after"), _date(params, "modified_after")
    before, modified_before = _date(params, "before"), _date(params, "modified_before")
    posts = site.articles
    if after:
        posts = [a for a in posts if a.published > after]
    if before:
        posts = [a for a in posts if a.published < before]
    if modified_after:
        posts = [a for a in posts if a.modified > modified_after]
    if modified_before:
        posts = [a for a in posts if a.modified < modified_before]
    key = {
        "date": lambda a: (a.published, a.id),
        "modified": lambda a: (a.modified, a.id),
        "id": lambda a: (a.id,),
    }[orderby]
    posts.sort(key=key, reverse=order == "desc")  # type: ignore[arg-type]
    return _paged(
        base, "wp/v2/posts", params, pairs, posts, lambda a: post_object(a, base), "rest_post_invalid_page_number"
    )


def _comments(site: Site, base: str, params: dict[str, str], pairs: list[tuple[str, str]]) -> Response:
    orderby = _choice(params, "orderby", "date_gmt", ("date", "date_gmt", "id"))
    order = _choice(params, "order", "desc", ("asc", "desc"))
    after, before = _date(params, "after"), _date(params, "before")
    found = site.all_comments()
    if "post" in params:
        try:
            wanted = {int(p) for p in params["post"].split(",") if p.strip()}
        except ValueError:
            raise _invalid("post", "post不是integer类型。") from None
        found = [pc for pc in found if pc[0] in wanted]
    if after:
        found = [pc for pc in found if pc[1]["time"] > after]  # type: ignore[operator]
    if before:
        found = [pc for pc in found if pc[1]["time"] < before]  # type: ignore[operator]
    if orderby == "id":
        found = sorted(found, key=lambda pc: pc[1]["comment_id"], reverse=order == "desc")  # type: ignore[arg-type,return-value]
    elif order == "asc":
        found = list(reversed(found))
    return _paged(
        base,
        "wp/v2/comments",
        params,
        pairs,
        found,
        lambda pc: comment_object(pc[0], pc[1], base),
        "rest_comment_invalid_page_number",  # the comments controller's own code
    )


def answer(site: Site, path: str, query: str, base: str) -> Response:
    """The REST API's answer to ``path`` (under /wp-json) with ``query``; the caller holds the site's lock."""
    pairs = parse_qsl(query, keep_blank_values=True)
    params = dict(pairs)
    try:
        if path in ("/wp-json", "/wp-json/"):
            return _json(
                200,
                {
                    "name": corpus.SITE_NAME,
                    "description": corpus.SITE_TAGLINE,
                    "url": base,
                    "home": base,
                    "gmt_offset": 8,
                    "timezone_string": "Asia/Shanghai",
                    "namespaces": ["wp/v2"],
                    "routes": {"/wp/v2/posts": {"methods": ["GET"]}, "/wp/v2/comments": {"methods": ["GET"]}},
                },
            )
        if path.rstrip("/") == "/wp-json/wp/v2/posts":
            return _posts(site, base, params, pairs)
        if path.rstrip("/") == "/wp-json/wp/v2/comments":
            return _comments(site, base, params, pairs)
        if match := _SINGLE_POST.match(path):
            spec = site.article(int(match[1]))
            if spec is None:
                raise RestError("rest_post_invalid_id", "无效的文章ID。", 404)
            return _json(200, _fields(params, post_object(spec, base)))
    except RestError as error:
        return _error(error)
    return _error(RestError("rest_no_route", "未找到匹配URL和请求方式的路由。", 404))
