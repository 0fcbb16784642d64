"""Server profiles: how the replica's HTTP manners match a given way of serving a WordPress site.

The crawler must cope with the live site as WordPress core serves it (no validators on HTML, a view
counter in every page), while older tests rely on the friendlier default; a profile names each manner so
both can be served from one :class:`~itp6crawl.replica.site.Site`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Profile:
    """One way of serving the site. Feeds carry validators and answer 304 in every profile (core does)."""

    name: str
    html_validators: bool  # ETag/Last-Modified on HTML pages and sitemaps, 304 to conditional GETs of them
    sitemap_lastmod: bool  # False: no <lastmod> in any post sitemap, whatever spec.sitemap_lastmod says
    view_counter: bool  # each GET of an article page (through ReplicaServer) adds a view before rendering
    rest_api: bool  # /wp-json/ answers (wp/v2 posts and comments); otherwise rest_no_route for every path
    feed_orderby: bool  # feeds honour the public query vars orderby/order (stock WordPress does)
    page_cache: bool = False  # a page-cache plugin: validators change only with content or comments


_WORDPRESS = Profile(
    "wordpress",
    html_validators=False,
    sitemap_lastmod=False,
    view_counter=True,
    rest_api=False,
    feed_orderby=True,
)
PROFILES: dict[str, Profile] = {
    # Today's replica: validators on every page, a sitemap lastmod where a post has one, no view counter.
    "friendly": replace(_WORDPRESS, name="friendly", html_validators=True, sitemap_lastmod=True, view_counter=False),
    # WordPress core: no validators on HTML or sitemaps, no lastmod, the view counter in every page.
    "wordpress": _WORDPRESS,
    "wordpress-rest": replace(_WORDPRESS, name="wordpress-rest", rest_api=True),
    # A page-cache plugin in front: validators, and a copy that changes only with an edit or a comment.
    "cached": replace(_WORDPRESS, name="cached", html_validators=True, view_counter=False, page_cache=True),
}
FRIENDLY = PROFILES["friendly"]


def get_profile(profile: str | Profile) -> Profile:
    """The profile named ``profile`` (or ``profile`` itself); an unknown name is a ValueError naming the known."""
    if isinstance(profile, Profile):
        return profile
    try:
        return PROFILES[profile]
    except KeyError:
        raise ValueError(f"unknown profile {profile!r}; known profiles: {', '.join(PROFILES)}") from None
