"""Change signals: the feed and REST readers, and a run's reading back to its marks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from itp6crawl import signals
from itp6crawl.signals import ChangeSignals, CommentSignal, PostSignal, SignalError

SITE = "https://www.itp6.com"
T0 = datetime(2024, 6, 1, tzinfo=UTC)


def atom(entries: list[tuple[int, datetime, datetime]]) -> bytes:
    rows = "".join(
        f'<entry><title>t{pid}</title><link rel="alternate" type="text/html" href="{SITE}/{pid}.html"/>'
        f"<id>{SITE}/?p={pid}</id><published>{published:%Y-%m-%dT%H:%M:%SZ}</published>"
        f"<updated>{updated:%Y-%m-%dT%H:%M:%SZ}</updated></entry>"
        for pid, published, updated in entries
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">{rows}</feed>'.encode()


def comments_rss(comments: list[tuple[int, int, datetime]]) -> bytes:
    items = "".join(
        f"<item><title>评论：t{pid}</title><link>{SITE}/{pid}.html#comment-{cid}</link>"
        f"<pubDate>{at:%a, %d %b %Y %H:%M:%S} +0000</pubDate><description>x</description></item>"
        for pid, cid, at in comments
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>{items}</channel></rss>'.encode()


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def test_the_atom_reader_gives_each_post_its_publication_and_modification_times():
    (post,) = signals.atom_posts(atom([(16001, day(0), day(3))]))
    assert post == PostSignal(f"{SITE}/16001.html", 16001, day(0), day(3))


@pytest.mark.parametrize(
    "body",
    [b"<html><body>maintenance</body></html>", b"not xml at all", b'<rss version="2.0"><channel/></rss>'],
)
def test_a_body_that_is_no_atom_feed_is_refused_with_its_reason(body):
    with pytest.raises(SignalError):
        signals.atom_posts(body)


def test_the_comments_reader_takes_post_and_comment_id_from_the_link_and_skips_items_without_one():
    body = comments_rss([(16001, 812, day(1)), (16002, 811, day(0.5))]).replace(
        b"</channel>", b"<item><link>https://www.itp6.com/16003.html</link></item></channel>"
    )
    assert signals.rss_comments(body) == [
        CommentSignal(f"{SITE}/16001.html", 16001, 812, day(1)),
        CommentSignal(f"{SITE}/16002.html", 16002, 811, day(0.5)),
    ]


def test_the_rest_readers_take_wordpress_gmt_times_without_offset_as_utc():
    posts = json.dumps(
        [{"id": 5, "link": f"{SITE}/5.html", "date_gmt": "2024-06-01T00:00:00", "modified_gmt": "2024-06-02T08:00:00"}]
    )
    assert signals.rest_posts(posts.encode()) == [PostSignal(f"{SITE}/5.html", 5, day(0), day(1 + 1 / 3))]
    comments = json.dumps([{"id": 9, "post": 5, "link": f"{SITE}/5.html#comment-9", "date_gmt": "2024-06-01T00:00:00"}])
    assert signals.rest_comments(comments.encode()) == [CommentSignal(f"{SITE}/5.html", 5, 9, day(0))]
    with pytest.raises(SignalError):
        signals.rest_posts(b'{"code": "rest_no_route"}')


def test_a_feed_in_modification_order_is_told_from_the_date_order_a_site_ignoring_orderby_sends():
    reordered = signals.atom_posts(atom([(16001, day(0), day(9)), (16005, day(5), day(5))]))
    date_order = signals.atom_posts(atom([(16005, day(5), day(5)), (16001, day(0), day(9))]))
    cannot_tell = signals.atom_posts(atom([(16005, day(5), day(5)), (16001, day(0), day(0))]))
    assert signals.orderby_honoured(reordered)
    assert not signals.orderby_honoured(date_order)  # modification times rise: not that order
    assert not signals.orderby_honoured(cannot_tell)  # the same in both orders: proves nothing
    assert signals.orderby_honoured(cannot_tell, proven_before=True)
    assert not signals.orderby_honoured(date_order, proven_before=True)


def test_the_modification_index_is_read_back_to_the_mark_and_only_then_complete():
    reading = ChangeSignals(modified_mark=day(5), max_pages=5)
    page1 = [PostSignal(f"{SITE}/{n}.html", n, day(0), day(20 - n)) for n in range(10)]  # modified days 20..11
    assert reading.modified_page(page1, 1, "feed") is True  # nothing at or before the mark yet
    assert reading.index_source is None and reading.next_modified_mark == day(5)
    page2 = [PostSignal(f"{SITE}/{n}.html", n, day(0), day(20 - n)) for n in range(10, 20)]  # days 10..1
    assert reading.modified_page(page2, 2, "feed") is False
    assert reading.index_source == "feed"
    assert len(reading.modified) == 15  # days 20..6: after the mark
    assert reading.next_modified_mark == day(20)


def test_the_comments_feed_is_paged_until_a_comment_already_seen():
    reading = ChangeSignals(comment_mark=100)
    assert reading.comments_page([CommentSignal(f"{SITE}/1.html", 1, 115 - n, None) for n in range(10)], 1)
    assert not reading.comments_complete
    assert not reading.comments_page([CommentSignal(f"{SITE}/2.html", 2, 102 - n, None) for n in range(5)], 2)
    assert reading.comments_complete and reading.next_comment_mark == 115
    assert set(reading.commented) == {f"{SITE}/1.html", f"{SITE}/2.html"}


def test_an_incomplete_reading_keeps_the_old_marks():
    reading = ChangeSignals(modified_mark=day(1), comment_mark=7, max_pages=1)
    assert not reading.modified_page([PostSignal(f"{SITE}/1.html", 1, day(0), day(3))] * 10, 1, "rest")  # page limit
    assert reading.index_source is None and reading.next_modified_mark == day(1)
    assert not reading.comments_page([CommentSignal(f"{SITE}/1.html", 1, 19 - n, None) for n in range(10)], 1)
    assert not reading.comments_complete and reading.next_comment_mark == 7
