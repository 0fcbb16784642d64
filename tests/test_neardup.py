"""Near-duplicate detection: reposts point at the earliest copy."""

from __future__ import annotations

import sqlite3

from itp6crawl.neardup import near_duplicates
from itp6crawl.store import Archive, Segments
from itp6crawl.store.datasets import ArticleFilter


def test_near_duplicates_point_at_the_earliest_copy(tmp_path, article_factory, fetch_time):
    text = " ".join(f"词{i}" for i in range(300))
    later = text.replace("词250", "新词")
    path = tmp_path / "itp6.db"
    with Archive.open(path) as archive:
        for article_id, body, day in ((1, text, 1), (2, "完全 不同 的 文章 " * 40, 2), (3, later, 3), (4, text, 4)):
            article = article_factory(article_id, title=f"t{article_id}", body_text=body)
            article.published_at = f"2024-01-0{day}T10:00:00+08:00"
            archive.articles.save(article, Segments(article.title, body, ""), fetch_time)
    with sqlite3.connect(path) as connection:
        assert near_duplicates(connection, ArticleFilter()) == {3: 1, 4: 1}
