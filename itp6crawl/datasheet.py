"""What an export wrote (:class:`ExportResult`), and the documents that travel with it: ``DATASHEET.md``
and the dataset card ``README.md``.

The datasheet follows the sections of Gebru et al., "Datasheets for Datasets" (2021), filled with the
figures of this export; the card carries the YAML header dataset hubs read (Hugging Face's ``configs``),
so the folder loads as a dataset as it is (``datasets.load_dataset("path/to/folder")``), and its
``features`` (``dataset_info``), so every format loads with the same column types.

Both state only what is true of the export they travel with: the crawl as its runs recorded it (requests,
time, robots.txt, the sites), the scripts its text is actually written in, the links that leave it; every
time in China time (+08:00), as in the archive.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from .neardup import DUP_PERMUTATIONS, DUP_SHINGLE, DUP_THRESHOLD
from .store.datasets import ArticleFilter
from .urls import is_loopback


@dataclass(slots=True)
class ExportedFile:
    view: str
    path: Path
    rows: int
    columns: dict[str, str] = field(default_factory=dict)  # name -> int64, string, list, timestamp or date


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


# --------------------------------------------------------------------------- scripts of the text

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# A Latin-script term: two or more letters, digits and the joiners of medical names (TPO-RA, CD4+CD25+).
_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-+/^][A-Za-z0-9]+)*\+?")
_PRUNE_AT = 50_000  # distinct Latin terms kept before the ones seen once are forgotten


@cache
def _traditional() -> re.Pattern[str]:
    """The CJK characters (basic block and extension A) that OpenCC's t2s turns into another one: written
    in Traditional Chinese only (後, 幹, 細, 醫), never in Simplified."""
    from opencc import OpenCC

    characters = [chr(code) for code in (*range(0x3400, 0x4DC0), *range(0x4E00, 0xA000))]
    simplified = OpenCC("t2s").convert("\n".join(characters)).split("\n")
    return re.compile("[" + "".join(c for c, s in zip(characters, simplified, strict=True) if c != s) + "]")


@dataclass(slots=True)
class ScriptCounter:
    """Which scripts the exported articles are written in, counted article by article."""

    articles: int = 0
    han: int = 0  # articles with Chinese characters
    traditional: int = 0  # of all articles, those with Traditional characters
    latin: int = 0  # those with Latin-script terms
    traditional_characters: Counter[str] = field(default_factory=Counter)
    latin_terms: Counter[str] = field(default_factory=Counter)

    def add(self, *texts: str | None) -> None:
        text = "\n".join(part for part in texts if part)
        self.articles += 1
        self.han += bool(_HAN.search(text))
        if found := _traditional().findall(text):
            self.traditional += 1
            self.traditional_characters.update(found)
        if terms := [term for term in _LATIN.findall(text) if len(term) > 1]:
            self.latin += 1
            self.latin_terms.update(terms)
            if len(self.latin_terms) > _PRUNE_AT:  # memory stays flat: rare terms cannot be the most frequent
                self.latin_terms = Counter({term: n for term, n in self.latin_terms.items() if n > 1})

    def describe(self) -> str:
        """The datasheet's language line: only the scripts actually found."""
        if not self.articles:
            return "no articles, so no text"
        parts = [f"Chinese in {self.han:,} of the {self.articles:,} articles"]
        if self.traditional:
            shown = "".join(character for character, _ in self.traditional_characters.most_common(8))
            parts.append(
                f"Traditional characters in {self.traditional:,} of them (most frequent: {shown});"
                " the rest is Simplified"
            )
        elif self.han:
            parts.append("all of it Simplified: no article has a Traditional character")
        if self.latin:
            shown = ", ".join(term for term, _ in self.latin_terms.most_common(8))
            parts.append(f"Latin-script terms in {self.latin:,} articles (most frequent: {shown})")
        else:
            parts.append("no Latin-script terms")
        return "; ".join(parts)


NOTICE = (
    "The articles were written by the members and editors of ITP6病友网 (www.itp6.com); the site states "
    "that copyright stays with the authors (文章版权归作者所有) and that reposting needs their permission."
)
NOT_MEDICAL_ADVICE = (
    "This is not medical advice. The articles are patients' experiences, notes on guidelines and news; "
    "they may be wrong, outdated or right only for one person. Do not use the data, or a model trained "
    "on it, to diagnose, to choose or change a treatment, or to answer patients' medical questions."
)

# How near-duplicates were found, stated from the figures the detection uses (the line break is the datasheet's).
DUP_METHOD = (
    f"MinHash over\n  {DUP_SHINGLE}-word shingles of the segmented body, {DUP_PERMUTATIONS} permutations, "
    f"estimated Jaccard similarity >= {DUP_THRESHOLD}"
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


FORMAT_TYPES = {
    "jsonl": "Times are ISO 8601 text with their offset (`2016-02-27T00:59:00+08:00`), link dates"
    " `YYYY-MM-DD`; categories and tags are arrays.",
    "csv": "Times are ISO 8601 text with their offset (`2016-02-27T00:59:00+08:00`), link dates"
    " `YYYY-MM-DD`; categories and tags are JSON arrays as text (CSV has no arrays).",
    "parquet": "Times are timezone-aware timestamps (`timestamp[s, tz=+08:00]`, stored by Parquet in"
    " milliseconds), link dates `date32`; categories and tags are lists of strings.",
}


def _links(result: ExportResult) -> str:
    """The links, with those that leave the export counted apart from those between its articles."""
    total = result.rows("dataset_links")
    off_archive = result.facts.get("links_outside_archive", 0)
    off_export = result.facts.get("links_outside_export", 0)
    text = f"{total:,} links (related posts, previous and next): {total - off_archive - off_export:,} between them"
    if off_archive:
        text += f", {off_archive:,} to pages the archive does not hold (`dst_id` empty)"
    if off_export:
        text += f", {off_export:,} to archived articles left out of this export"
    return text


def _scripts(facts: dict[str, Any]) -> str:
    scripts = facts.get("scripts")
    return scripts.describe() if isinstance(scripts, ScriptCounter) else "not counted"


def _collection(runs: list[dict[str, Any]]) -> str:
    """How the crawl went, from its runs' own figures (Scrapy's stats), per site crawled."""
    if not runs:
        return (
            "- **How**: the archive records no crawl run that fetched a page: its articles were stored"
            " without a crawl (by `itp6crawl reindex` from WARC files, or directly)."
        )
    lines = []
    for run in runs:
        site = run["site"] or "an unrecorded site"
        requests, seconds = run["requests"], float(run["seconds"] or 0)
        apart = seconds / requests if seconds else None
        where = site
        if is_loopback(site):
            where += ", a loopback address: a local copy of the site (the replica), not the site itself"
            if apart is not None and apart < 1:  # the polite default waits about 2 s; --local waits none
                where += ", crawled without delays (`--local`, allowed only for loopback sites)"
        count = f"{run['runs']:,} run{'s' if run['runs'] != 1 else ''}"
        if run["finished"] != run["runs"]:
            count += f" ({run['finished'] or 0:,} finished, the others stopped early)"
        pace = f"one request every {apart:.2g} s on average" if apart is not None else "no duration recorded"
        robots = "robots.txt read and obeyed" if run["robots"] else "robots.txt not read"
        warc = (
            "every response kept in WARC files beside the archive (not in this export)"
            if run["warc_files"] == run["runs"]
            else f"{run['warc_files']:,} of the runs kept their responses in WARC files"
        )
        lines.append(
            f"- **Crawled**: {where}; {count} between {run['first']} and {run['last']}: {requests:,} requests"
            f" in {seconds:,.1f} s of crawling, {pace}; {robots}; {warc}."
        )
    lines.append(
        "- **How**: with Scrapy. Pages were discovered from the site's sitemaps, listings and related-post"
        " links; re-crawls revalidate pages (ETag, Last-Modified) and keep earlier versions."
    )
    return "\n".join(lines)


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

Exported {facts["exported_at"]} (China time, like every time in this export) by `itp6crawl export`
({result.format}); articles: {_filters(articles)}.
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
- **Instances**: {n_articles:,} articles (one row each in `articles`), {_links(result)},
  {result.rows("dataset_comments"):,} comments, {result.rows("dataset_versions"):,} earlier versions of
  articles that changed.
- **Dates**: published from {facts["published_first"] or "-"} to {facts["published_last"] or "-"}.
- **Categories** (most frequent): {top_categories or "-"}.
- **Fields**: clean body text (paragraphs separated by a blank line), title, author nickname and credit
  line, times, categories and tags, summary, length in characters and segmented words, views and likes as
  the page showed them, when the crawler first and last saw the article, and how many versions the archive
  holds. {FORMAT_TYPES[result.format]} The dataset card's `features` declare every column's type.
- **Near-duplicates**: {result.duplicates:,} articles are near-duplicates of an earlier one ({DUP_METHOD});
  `dup_of` names the earliest. {DEDUP_NOTE[dedup]}
- **Language and scripts** (counted in the titles and bodies of this export): {_scripts(facts)}.
- **Personal information**: authors are identified by the nicknames they chose; stories describe their
  own illness, treatments and places. The data is sensitive health information even under a nickname.
- **Missing data**: `summary` is empty when the post has none; `views` and `likes` are NULL when the
  page did not show them; a comment's `parent_id` is NULL for top-level comments.

## Collection process
{_collection(facts["runs"])}

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


# A column's type as a Hugging Face ``features`` entry (the YAML of ``datasets.Features``). Times are
# declared timezone-aware, so JSON lines and CSV (ISO 8601 text with +08:00) load as Parquet does.
HF_FEATURES = {
    "int64": "dtype: int64",
    "string": "dtype: string",
    "list": "list: string",
    "timestamp": "dtype: timestamp[s, tz=+08:00]",
    "date": "dtype: date32",
}


def card_features(file: ExportedFile, format: str) -> str:
    """The ``features`` of one config: CSV's arrays are JSON text, so there they are strings."""
    lines = []
    for column, kind in file.columns.items():
        if kind == "list" and format == "csv":
            kind = "string"
        lines.append(f"  - name: {column}\n    {HF_FEATURES[kind]}")
    return "\n".join(lines)


def write_dataset_card(result: ExportResult) -> None:
    """The card: its ``configs`` and ``features`` name the files with rows only (``datasets`` cannot load
    an empty split: ``Instruction "train" corresponds to no data``); its table lists every file."""
    n_articles = result.rows("dataset_articles")
    loadable = [file for file in result.files if file.rows]
    header = ""
    if loadable:
        configs = "\n".join(
            f"- config_name: {_config(file)}\n"
            + ("  default: true\n" if number == 0 else "")
            + f"  data_files: {file.path.name}"
            for number, file in enumerate(loadable)
        )
        infos = "\n".join(
            f"- config_name: {_config(file)}\n  features:\n{card_features(file, result.format)}" for file in loadable
        )
        header = f"configs:\n{configs}\ndataset_info:\n{infos}\n"
    scripts = result.facts.get("scripts")
    languages = "- zh\n" + ("- en\n" if isinstance(scripts, ScriptCounter) and scripts.latin else "")
    rows = "\n".join(
        f"| {_config(file) if file.rows else '-'} | `{file.path.name}` | {file.rows:,} |" for file in result.files
    )
    if loadable:
        usage = (
            f'`datasets.load_dataset("path/to/{result.out.name}", "{_config(loadable[0])}")` loads a config'
            " (without a name: the default, articles) with the types its `features` declare; times load as"
            " timezone-aware timestamps (+08:00, China time) from every format."
        )
    else:
        usage = "This export has no rows, so it has no config to load."
    if len(loadable) < len(result.files):
        usage += " A file with no rows is not a config: `datasets` cannot load an empty split."
    text = f"""---
language:
{languages}license: other
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
{header}---

# ITP6病友网 articles

Articles of ITP6病友网 (www.itp6.com), a Chinese community of people with immune thrombocytopenia (ITP):
{n_articles:,} articles with their related-post links, comments and earlier versions, exported
{result.facts["exported_at"]} by itp6crawl. See [DATASHEET.md](DATASHEET.md) for how it was collected and
cleaned, what it contains and what it must not be used for.

| config | file | rows |
|---|---|---|
{rows}

{usage}

{NOT_MEDICAL_ADVICE}

{NOTICE}
"""
    (result.out / "README.md").write_text(text, encoding="utf-8")


def _config(file: ExportedFile) -> str:
    return file.view.removeprefix("dataset_")
