"""What an export wrote (:class:`ExportResult`), and the documents that travel with it: ``DATASHEET.md``
and the dataset card ``README.md``.

The datasheet follows the sections of Gebru et al., "Datasheets for Datasets" (2021), filled with the
figures of this export; the card carries the YAML header dataset hubs read (Hugging Face's ``configs``),
so the folder loads as a dataset as it is (``datasets.load_dataset("path/to/folder")``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .store.datasets import ArticleFilter


@dataclass(slots=True)
class ExportedFile:
    view: str
    path: Path
    rows: int


@dataclass(slots=True)
class ExportResult:
    out: Path
    format: str
    files: list[ExportedFile] = field(default_factory=list)
    duplicates: int = 0  # articles marked near-duplicates of an earlier one
    dropped: int = 0  # of them, left out (--dedup)
    seconds: float = 0.0
    facts: dict[str, Any] = field(default_factory=dict)

    def rows(self, view: str) -> int:
        return next((file.rows for file in self.files if file.view == view), 0)


NOTICE = (
    "The articles were written by the members and editors of ITP6病友网 (www.itp6.com); the site states "
    "that copyright stays with the authors (文章版权归作者所有) and that reposting needs their permission."
)
NOT_MEDICAL_ADVICE = (
    "This is not medical advice. The articles are patients' experiences, notes on guidelines and news; "
    "they may be wrong, outdated or right only for one person. Do not use the data, or a model trained "
    "on it, to diagnose, to choose or change a treatment, or to answer patients' medical questions."
)


DEDUP_NOTE = {
    True: "They were left out of this export (`--dedup`).",
    False: "They are included; filter on `dup_of` to drop them.",
}


def size_category(rows: int) -> str:
    """Hugging Face's size categories."""
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if rows < limit:
            return name
    return "1M<n<10M"


def _filters(articles: ArticleFilter) -> str:
    chosen = [f"status {articles.status}"]
    chosen += [
        f"{name} {value}" for name in ("since", "until", "category", "tag") if (value := getattr(articles, name))
    ]
    if articles.match:
        chosen.append(f"matching the search `{articles.match}`")
    return ", ".join(chosen)


def write_datasheet(result: ExportResult, articles: ArticleFilter, dedup: bool) -> None:
    facts = result.facts
    n_articles = result.rows("dataset_articles")
    extractors = facts["extractors"]
    total_extracted = sum(extractors.values()) or 1
    fallback_share = extractors.get("fallback", 0) / total_extracted
    top_categories = ", ".join(f"{name} ({count})" for name, count in facts["categories"][:8])
    files = "\n".join(f"| `{file.path.name}` | `{file.view}` | {file.rows:,} |" for file in result.files)
    versions = ", ".join(f"{name} {version}" for name, version in facts["versions"].items())
    text = f"""# Datasheet: ITP6病友网 articles ({result.out.name})

Exported {facts["exported_at"]} by `itp6crawl export` ({result.format}); articles: {_filters(articles)}.
The sections follow "Datasheets for Datasets" (Gebru et al., 2021).

| file | view | rows |
|---|---|---|
{files}

## Motivation
- **Why was it created?** To keep a searchable, citable copy of a Chinese patient community about immune
  thrombocytopenia (ITP): treatment stories, guideline notes and research news, for patient groups and
  researchers studying how patients live with ITP and talk about it.
- **Who created it?** The itp6crawl project, from its own crawl of the public site. Nobody funded the
  crawl; the site's authors were not asked and are not its creators' partners.

## Composition
- **Instances**: {n_articles:,} articles (one row each in `articles`), {result.rows("dataset_links"):,}
  links between them (related posts, previous and next), {result.rows("dataset_comments"):,} comments,
  {result.rows("dataset_versions"):,} earlier versions of articles that changed.
- **Dates**: published from {facts["published_first"] or "-"} to {facts["published_last"] or "-"}.
- **Categories** (most frequent): {top_categories or "-"}.
- **Fields**: clean body text (paragraphs separated by a blank line), title, author nickname and credit
  line, dates (ISO 8601, +08:00), categories and tags (arrays), summary, length in characters and segmented
  words, views and likes as the page showed them, when the crawler first and last saw the article, and
  how many versions the archive holds.
- **Near-duplicates**: {result.duplicates:,} articles are near-duplicates of an earlier one (MinHash over
  5-word shingles of the segmented body, 128 permutations, estimated Jaccard similarity >= 0.8);
  `dup_of` names the earliest. {DEDUP_NOTE[dedup]}
- **Language**: Chinese (Simplified, some Traditional), with English medical terms (TPO-RA, IgG1, CD4+CD25+).
- **Personal information**: authors are identified by the nicknames they chose; stories describe their
  own illness, treatments and places. The data is sensitive health information even under a nickname.
- **Missing data**: `summary` is empty when the post has none; `views` and `likes` are NULL when the
  page did not show them; a comment's `parent_id` is NULL for top-level comments.

## Collection process
- **How**: {facts["runs"]} finished crawl run(s) of {facts["sites"] or "the site"} between
  {facts["runs_first"] or "-"} and {facts["runs_last"] or "-"}, with Scrapy, politely (robots.txt obeyed,
  one request at a time, about 2 s apart). Pages were discovered from the site's sitemaps, listings and
  related-post links; re-crawls revalidate pages (ETag, Last-Modified) and keep earlier versions.
- **Raw data**: every response is kept in WARC files beside the archive (not in this export).

## Preprocessing, cleaning, labelling
- Boilerplate removed from every page: tipping (打赏), contact (联系我们), navigation, previous/next,
  related-post lists, comment forms, share bars, disclaimers and the footer.
- Extraction: the site's theme rules for {extractors.get("theme", 0):,} articles, a generic extractor
  (trafilatura and readability-lxml, where they agree) for {extractors.get("fallback", 0):,}
  ({fallback_share:.1%}), when the theme was not recognised.
- Word counts use the jieba segmentation of the archive (rjieba, with a medical user dictionary);
  Traditional characters are folded to Simplified only for search, never in the text.
- Software: {versions}.

## Uses
- **Intended**: research on patient experience and health communication, corpus linguistics,
  information retrieval on Chinese medical text, and patient groups keeping their community's history.
- **Must not be used for**: {NOT_MEDICAL_ADVICE} Nor to re-identify authors, or to republish their texts
  as one's own.

## Distribution
- {NOTICE} This export is for research under that notice: share it only where the law and the authors'
  rights allow, and cite the site and the articles' URLs.
- License: other (the authors' copyright; no open license was granted).

## Maintenance
- Produced by `itp6crawl export`, which any holder of the archive can re-run; a scheduled crawl keeps the
  archive current, so a new export reflects new and changed articles.
- Report problems, or ask for an article to be removed, through the project's issue tracker.
"""
    (result.out / "DATASHEET.md").write_text(text, encoding="utf-8")


def write_dataset_card(result: ExportResult) -> None:
    n_articles = result.rows("dataset_articles")
    configs = "\n".join(
        f"- config_name: {file.view.removeprefix('dataset_')}\n"
        + ("  default: true\n" if number == 0 else "")
        + f"  data_files: {file.path.name}"
        for number, file in enumerate(result.files)
    )
    text = (
        f"""---
language:
- zh
- en
license: other
license_name: authors-copyright
license_link: https://www.itp6.com
pretty_name: ITP6病友网 articles
size_categories:
- {size_category(n_articles)}
task_categories:
- text-retrieval
- text-classification
tags:
- medical
- chinese
- immune-thrombocytopenia
- patient-experience
configs:
{configs}
---

# ITP6病友网 articles

Articles of ITP6病友网 (www.itp6.com), a Chinese community of people with immune thrombocytopenia (ITP):
{n_articles:,} articles with their related-post links, comments and earlier versions, exported
{result.facts["exported_at"]} by itp6crawl. See [DATASHEET.md](DATASHEET.md) for how it was collected and
cleaned, what it contains and what it must not be used for.

| config | file | rows |
|---|---|---|
"""
        + "\n".join(
            f"| {file.view.removeprefix('dataset_')} | `{file.path.name}` | {file.rows:,} |" for file in result.files
        )
        + f"""

{NOT_MEDICAL_ADVICE}

{NOTICE}
"""
    )
    (result.out / "README.md").write_text(text, encoding="utf-8")
