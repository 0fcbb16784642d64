"""The records that travel through the pipeline."""

from __future__ import annotations

from itp6crawl.records import Article, Link


def test_an_articles_public_form_names_its_neighbours_by_url():
    article = Article(url="https://www.itp6.com/2.html", prev=Link("https://www.itp6.com/1.html"))
    data = article.to_dict()
    assert data["prev_url"] == "https://www.itp6.com/1.html" and data["next_url"] is None
    assert data["prev"] == {"url": "https://www.itp6.com/1.html", "title": "", "date": None}
