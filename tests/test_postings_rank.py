"""Ranking from postings: any expression of phrases counted and ranked as FTS5 ranks it, to the last bit."""

import shutil
import sqlite3
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import record_answers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from itp6crawl import postings_search
from itp6crawl import search as search_module
from itp6crawl.match_tree import Operation, Token, parse_match, scored_as_whole_matches, tokens_of
from itp6crawl.search import search
from itp6crawl.store import Archive
from itp6crawl.store.toplists import BM25

WORDS = ["alpha", "beta", "gamma", "delta", "血小板", "治疗"]


def test_the_expressions_the_search_writes_parse_with_fts5s_precedence():
    tree = parse_match('"a" OR "b" AND "c" NOT "d"')
    assert tree == Operation(
        "OR", (Token("a", 0), Operation("AND", (Token("b", 1), Operation("NOT", (Token("c", 2), Token("d", 3))))))
    )
    assert parse_match('"a" AND "b" AND "c"') == Operation("AND", (Token("a", 0), Token("b", 1), Token("c", 2)))
    assert parse_match('"a" NOT "b" NOT "c"') == Operation(
        "NOT", (Operation("NOT", (Token("a", 0), Token("b", 1))), Token("c", 2))
    )
    nested = parse_match('(("a" AND "b") OR "c d") AND "e"')
    assert [token.text for token in tokens_of(nested)] == ["a", "b", "c d", "e"]
    assert parse_match('"say ""hi"""') == Token('say "hi"', 0)
    # FTS5 merges a child of the same operator into its parent, brackets or not; never a NOT
    assert parse_match('("a" OR "b") OR ("c" AND "d")') == Operation(
        "OR", (Token("a", 0), Token("b", 1), Operation("AND", (Token("c", 2), Token("d", 3))))
    )
    assert parse_match('"a" AND ("b" AND "c")') == Operation("AND", (Token("a", 0), Token("b", 1), Token("c", 2)))
    assert parse_match('"a" NOT ("b" NOT "c")') == Operation(
        "NOT", (Token("a", 0), Operation("NOT", (Token("b", 1), Token("c", 2))))
    )


def test_a_correction_beside_a_concepts_names_is_answered_from_the_postings(empty_archive):
    """A corrected unsegmented sentence: an OR of the readings, one of them a concept's names (an OR in
    brackets inside the OR). FTS5 merges the inner OR into the outer one, so the shape is an OR of ANDs of
    words, which the postings answer, as FTS5 does."""
    match = '(("alpha" AND "beta") OR (("gamma" AND "delta") OR "治疗") OR ("血小板" AND "beta"))'
    assert scored_as_whole_matches(parse_match(match))
    articles = [("alpha beta", "gamma delta 治疗"), ("血小板", "beta beta"), ("治疗", "alpha"), ("gamma", "delta")]
    with _archive_of(empty_archive, articles, 1) as path:
        assert _from_postings(path, match) == _fts5(path, match)


@pytest.mark.parametrize(
    "match",
    ['"eltrombo"*', 'title_seg : "a"', '""', '"a" AND', '("a"', '"a" "b"', "a", '"a" NEAR "b"'],
)
def test_anything_but_phrases_and_operators_is_left_to_fts5(match):
    assert parse_match(match) is None


def _fts5(path, match):
    with sqlite3.connect(path) as connection:
        total = connection.execute("SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH ?", (match,)).fetchone()
        ranked = connection.execute(
            f"SELECT rowid, {BM25} AS rank FROM articles_fts WHERE articles_fts MATCH ? ORDER BY rank, rowid",
            (match,),
        ).fetchall()
    return total[0], [tuple(row) for row in ranked]


def _from_postings(path, match, wanted=1000, params=None, all_live=True):
    query = SimpleNamespace(match=match)
    params = {"match": match, **(params or {})}
    with sqlite3.connect(path) as connection:
        view = postings_search.PostingsSearch(connection)
        matches = search_module._Matches("articles_fts MATCH :match", [], params, all_live, view)
        return search_module._rank_from_postings(query, matches, wanted)


_phrase = st.one_of(
    st.sampled_from(WORDS).map(lambda word: f'"{word}"'),
    st.lists(st.sampled_from(WORDS), min_size=2, max_size=3).map(lambda words: '"' + " ".join(words) + '"'),
)
_expression = st.recursive(
    _phrase,
    lambda inner: st.tuples(inner, st.sampled_from(["AND", "OR", "NOT"]), inner).map(
        lambda parts: f"({parts[0]} {parts[1]} {parts[2]})"
    ),
    max_leaves=6,
)
_texts = st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join)
_titles = st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join)
_articles = st.lists(st.tuples(_titles, _texts), min_size=1)


@pytest.fixture(scope="module")
def empty_archive(tmp_path_factory):
    path = tmp_path_factory.mktemp("empty") / "itp6.db"
    Archive.open(path).close()
    return path


def _insert(connection, articles, first_id, spacing):
    with connection:
        for number, (title, body) in enumerate(articles):
            article_id = first_id + number * spacing
            connection.execute(
                "INSERT INTO articles (id, url, title, title_seg, body_seg, search_extra, status)"
                " VALUES (?, ?, ?, ?, ?, '', 'live')",
                (article_id, f"https://www.itp6.com/{article_id}.html", title, title, body),
            )


@contextmanager
def _archive_of(empty_archive, articles, spacing):
    """A throwaway archive of ``articles`` (ids ``spacing`` apart) with postings for every word."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "itp6.db"
        shutil.copy(empty_archive, path)
        with Archive.open(path) as archive:
            _insert(archive.db.conn, articles, 1, spacing)
            archive.refresh_search(force=True, min_articles=1, size=2)
        yield path


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    articles=_articles, expressions=st.lists(_expression, min_size=1, max_size=8), spacing=st.sampled_from([1, 3001])
)
def test_random_expressions_count_and_rank_as_fts5_does(empty_archive, articles, expressions, spacing):
    """Every match, in FTS5's order, with FTS5's rank to the last bit, and the same count: nested ANDs, ORs
    and NOTs of tokens from postings and phrases asked of FTS5, including a phrase in an OR's branch that
    does not match (FTS5 scores it only where every node above it matches). Ids spread over many blocks.
    Phrases come from their words' positions: FTS5 is asked of none that it finds."""
    with _archive_of(empty_archive, articles, spacing) as path, pytest.MonkeyPatch.context() as patch:
        patch.setattr(postings_search, "ASK_FTS5_UP_TO", 0)
        for match in expressions:
            answer = _from_postings(path, match)
            if not scored_as_whole_matches(parse_match(match)):
                assert answer is None, match  # left to FTS5 (see the test below)
                continue
            assert answer is not None, match
            total, page = answer
            assert (total, page) == _fts5(path, match), match


_word = st.sampled_from(WORDS).map(lambda word: f'"{word}"')
_alternatives = st.lists(
    st.one_of(_word, st.lists(_word, min_size=2, max_size=3).map(lambda words: "(" + " AND ".join(words) + ")")),
    min_size=2,
    max_size=3,
).map(lambda alternatives: "(" + " OR ".join(alternatives) + ")")


def _written(operands: list[str], excluded: list[str]) -> str:
    core = operands[0] if len(operands) == 1 else "(" + " AND ".join(operands) + ")"
    if not excluded:
        return core
    return f"({core} NOT " + (excluded[0] if len(excluded) == 1 else "(" + " OR ".join(excluded) + ")") + ")"


# The shapes the search writes: words, a concept's names or a correction as an OR of words or of ANDs of
# words, the exclusions as one NOT of words; or words and phrases of several words, all required.
_searched = st.one_of(
    st.builds(_written, st.lists(st.one_of(_word, _alternatives), min_size=1, max_size=4), st.lists(_word, max_size=2)),
    st.builds(_written, st.lists(_phrase, min_size=1, max_size=4), st.just([])),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(articles=_articles, expressions=st.lists(_searched, min_size=1, max_size=8), spacing=st.sampled_from([1, 3001]))
def test_the_shapes_the_search_writes_count_and_rank_as_fts5_does(empty_archive, articles, expressions, spacing):
    with _archive_of(empty_archive, articles, spacing) as path, pytest.MonkeyPatch.context() as patch:
        patch.setattr(postings_search, "ASK_FTS5_UP_TO", 0)
        for match in expressions:
            assert scored_as_whole_matches(parse_match(match)), match
            assert _from_postings(path, match) == _fts5(path, match), match


def test_shapes_fts5_scores_its_own_way_are_left_to_it(empty_archive, tmp_path):
    """FTS5 counts a phrase wherever its iterator stands: here "alpha alpha" (both words in article 2, not
    side by side) stops FTS5 counting "delta" in article 2, and an excluded word inside an OR is counted in an
    article its NOT does not match. A model of whole-node matches cannot know either: left to FTS5."""
    path = tmp_path / "itp6.db"
    shutil.copy(empty_archive, path)
    with Archive.open(path) as archive:
        _insert(archive.db.conn, [("alpha", ""), ("alpha", "delta")], 1, 1)
        archive.refresh_search(force=True, min_articles=1, size=2)
    quirky = '("alpha" OR ("alpha" AND ("delta" OR "alpha alpha")))'
    ranks = dict(_fts5(path, quirky)[1])
    alpha, delta = dict(_fts5(path, '"alpha"')[1]), dict(_fts5(path, '"delta"')[1])
    assert ranks[2] == alpha[2] + alpha[2] != alpha[2] + alpha[2] + delta[2]  # FTS5 leaves delta out of article 2
    assert _from_postings(path, quirky) is None
    assert _from_postings(path, '("alpha" AND "delta")') == _fts5(path, '("alpha" AND "delta")')
    # and a NOT inside an OR: FTS5 counts the excluded word where its iterator stands (article 1 holds it)
    excluded = '("alpha" OR ("beta" NOT "alpha"))'
    assert dict(_fts5(path, excluded)[1])[1] == alpha[1] + alpha[1]
    assert _from_postings(path, excluded) is None
    # and a phrase beside an OR under a NOT
    assert _from_postings(path, '(("alpha alpha" AND ("alpha" OR "delta")) NOT "gamma")') is None


def test_a_search_of_frequent_words_is_answered_from_the_postings(replica_archive, tmp_path, monkeypatch):
    """Two and three words, an OR, an exclusion, a category, phrases of frequent words: the postings answer,
    exactly as FTS5 would."""
    path = tmp_path / "itp6.db"
    shutil.copy(replica_archive, path)
    with Archive.open(path) as archive:
        archive.refresh_search(force=True, min_articles=8, size=4)
    answered = record_answers(monkeypatch, search_module, "_rank_from_postings", lambda answer: answer is not None)
    with sqlite3.connect(path) as connection:
        category = connection.execute("SELECT label FROM article_labels WHERE kind = 'category' LIMIT 1").fetchone()[0]
    for query, options in [
        ("的 治疗", {}),
        ("患者 激素 治疗", {}),
        ("激素 OR 泼尼松", {}),
        ("血小板 -儿童", {}),
        ("血小板", {"category": category}),
        ('"的 治疗"', {}),
        ('患者 "激素 治疗"', {}),
        ('"患者 的 治疗"', {"category": category}),
    ]:
        answered.clear()
        fast = search(path, query, limit=5, exact=True, **options)
        assert answered == [True], query
        with monkeypatch.context() as patch:
            patch.setattr(postings_search, "token_postings", lambda *args: None)
            patch.setattr(search_module, "top_lists", lambda *args: None)
            exact = search(path, query, limit=5, exact=True, **options)
        assert [(hit.id, hit.score) for hit in fast] == [(hit.id, hit.score) for hit in exact], query
        assert fast.total == exact.total, query


def test_gone_articles_and_a_date_filter(replica_archive, tmp_path):
    """A gone article is never counted nor ranked; a date filter (a condition on every row) is left to FTS5."""
    path = tmp_path / "itp6.db"
    shutil.copy(replica_archive, path)
    with Archive.open(path) as archive:
        archive.refresh_search(force=True, min_articles=8, size=4)
        best = search(path, "的 治疗", limit=1, exact=True)[0].id
        archive.db.execute("UPDATE articles SET status = 'gone' WHERE id = ?", [best])
        archive.db.conn.commit()
    total, page = _from_postings(path, '("血小板" AND "治疗")', all_live=False)
    fts5_total, fts5_page = _fts5(path, '("血小板" AND "治疗")')
    assert best not in [article_id for article_id, _ in page]
    assert total == fts5_total - 1 and page == [pair for pair in fts5_page if pair[0] != best]
    assert _from_postings(path, '"血小板"', params={"since": "2020-01-01"}) is None


def test_a_frequent_phrase_is_answered_from_its_words_positions(replica_archive, tmp_path, monkeypatch):
    """A phrase of frequent words, of two and three words, is found and ranked from the words' positions,
    exactly as FTS5 would; a phrase whose words' positions are unknown (postings written before them) is left
    to FTS5 when it is common, and asked of it when it is rare."""
    path = tmp_path / "itp6.db"
    shutil.copy(replica_archive, path)
    with Archive.open(path) as archive:
        archive.refresh_search(force=True, min_articles=8, size=4)
    monkeypatch.setattr(postings_search, "ASK_FTS5_UP_TO", 2)  # FTS5 is never asked: positions or nothing
    for match in ['"的 治疗"', '"血小板 计数"', '("患者" AND "的 治疗")', '"的 患者 的"']:
        answer = _from_postings(path, match)
        assert answer is not None, match
        assert answer == _fts5(path, match), match
    assert _from_postings(path, '"的 治疗"')[0] > 2
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE search_postings SET counts = NULL, positions = NULL")
    assert _from_postings(path, '"的 治疗"') is None
    monkeypatch.setattr(postings_search, "ASK_FTS5_UP_TO", 10_000)
    assert _from_postings(path, '"的 治疗"') == _fts5(path, '"的 治疗"')


def test_a_phrase_is_cut_into_the_index_terms_fts5_makes_of_it(empty_archive, tmp_path, monkeypatch):
    """A technical term or a phrase holding one is the phrase of unicode61's pieces (``10^9/l``: 10, 9, l;
    ``1μg/kg``: 1μg, kg), stemmed: answered from the positions, as FTS5 answers it. A character unicode61
    would fold (the micro sign, to μ) or strip (é) is left to FTS5, never guessed."""
    path = tmp_path / "itp6.db"
    shutil.copy(empty_archive, path)
    bodies = ["血小板 10^9/l 出血", "1μg/kg 出血 10^9/l", "出血 1μg kg", "platelets counted 10 9 l 出血", "café 出血"]
    with Archive.open(path) as archive:
        _insert(archive.db.conn, [("标题", body) for body in bodies], 1, 1)
        archive.refresh_search(force=True, min_articles=1, size=2)
    monkeypatch.setattr(postings_search, "ASK_FTS5_UP_TO", 0)  # FTS5 is never asked of a phrase it finds
    for match in ['"10^9/l 出血"', '"1μg/kg"', '"1μg kg"', '"Platelets counted"', '("出血" AND "9/L")']:
        answer = _from_postings(path, match)
        assert answer is not None and answer[0] > 0, match
        assert answer == _fts5(path, match), match
    for match in ['"1µg/kg"', '"Café 出血"']:  # U+00B5 MICRO SIGN; an accent
        assert _fts5(path, match)[0] > 0 and _from_postings(path, match) is None, match


def test_merged_positions_follow_each_article_and_a_place_beyond_the_limit_makes_them_unknown():
    from itp6crawl.store.postings import PLACE_LIMIT, Postings

    stored = Postings(
        np.array([1, 5], dtype=np.uint32),
        np.array([2, 4], dtype=np.uint16),
        np.array([10, 20], dtype=np.uint16),
        np.array([1, 2], dtype=np.uint8),
        np.array([4, 1, 9], dtype=np.uint16),
    )
    none = np.array([], dtype=np.uint32)
    added = stored.merged(none, {3: (1.0, 10)}, {3: [8, 5]})
    assert added.ids.tolist() == [1, 3, 5] and added.counts.tolist() == [1, 2, 2]
    assert added.positions.tolist() == [4, 5, 8, 1, 9]
    dropped = stored.merged(np.array([5], dtype=np.uint32), {}, {})
    assert dropped.ids.tolist() == [1] and dropped.counts.tolist() == [1] and dropped.positions.tolist() == [4]
    wide = stored.merged(none, {3: (1.0, 10)}, {3: [70_000]})
    assert wide.positions.tolist() == [4, 70_000, 1, 9] and wide.positions.dtype == np.uint32
    far = stored.merged(none, {3: (1.0, 10)}, {3: [PLACE_LIMIT]})
    assert far.ids.tolist() == [1, 3, 5] and far.counts is None and far.positions is None
    assert stored.merged(none, {3: (1.0, 10)}).positions is None  # no places given for the article added


def test_postings_follow_every_change_through_the_refresh(empty_archive, tmp_path, monkeypatch):
    """Inserted, rewritten and deleted articles in several blocks: the postings read before the refresh
    (the changes merged in) and after it (folded into the blocks) equal postings built anew."""
    from itp6crawl.store import postings, toplists
    from itp6crawl.store.toplists import token_postings

    monkeypatch.setattr(postings, "BLOCK_ARTICLES", 2)  # blocks of a few articles: 30 articles, many blocks
    monkeypatch.setattr(toplists, "REBUILD_SHARE", 10.0)  # fold the changes in, however many for 30 articles
    monkeypatch.setattr(toplists, "REBUILD_AVGDL_DRIFT", 10.0)

    path = tmp_path / "itp6.db"
    shutil.copy(empty_archive, path)
    with Archive.open(path) as archive:
        connection = archive.db.conn
        _insert(connection, [("alpha", "beta gamma " * (n % 4) + "delta" * (n % 5 == 0)) for n in range(30)], 1, 5003)
        archive.refresh_search(force=True, min_articles=1, size=2)
        blocks = connection.execute("SELECT COUNT(DISTINCT block) FROM search_postings").fetchone()[0]
        assert blocks >= 8
        with connection:
            connection.execute("UPDATE articles SET body_seg = 'gamma gamma delta' WHERE id = ?", (1 + 5003 * 4,))
            connection.execute("DELETE FROM articles WHERE id = ?", (1 + 5003 * 7,))
        _insert(connection, [("beta", "alpha delta")], 400_000, 1)
        merged = token_postings(connection, WORDS[:4], WORDS[:4])
        monkeypatch.setattr(postings_search, "ASK_FTS5_UP_TO", 0)  # phrases from the merged positions alone
        for match in ('"gamma delta"', '"beta gamma beta"', '"alpha delta"'):
            assert _from_postings(path, match) == _fts5(path, match), match
        assert archive.refresh_search(min_articles=1, size=2).incremental
        folded = token_postings(connection, WORDS[:4], WORDS[:4])
        archive.refresh_search(force=True, min_articles=1, size=2)
        rebuilt = token_postings(connection, WORDS[:4], WORDS[:4])
    assert merged.keys() == folded.keys() == rebuilt.keys() == set(WORDS[:4])
    for word in WORDS[:4]:
        assert rebuilt[word].positions is not None and len(rebuilt[word].positions) >= len(rebuilt[word].ids)
        for name in ("ids", "frequencies", "sizes", "counts", "positions"):
            assert np.array_equal(getattr(merged[word], name), getattr(rebuilt[word], name)), (word, name)
            assert np.array_equal(getattr(folded[word], name), getattr(rebuilt[word], name)), (word, name)
    assert 400_000 in rebuilt["delta"].ids and 1 + 5003 * 7 not in rebuilt["alpha"].ids


def test_postings_stay_exact_when_the_lists_are_deleted(replica_archive, tmp_path, monkeypatch):
    """The archive's README says either table may be emptied: postings left alone still follow changes."""
    path = tmp_path / "itp6.db"
    shutil.copy(replica_archive, path)
    with Archive.open(path) as archive:
        archive.refresh_search(force=True, min_articles=8, size=4)
        with archive.db.conn as connection:
            connection.execute("DELETE FROM search_top_terms")
            best = connection.execute("SELECT id FROM articles ORDER BY id LIMIT 1").fetchone()[0]
            connection.execute("UPDATE articles SET body_seg = body_seg || ' 血小板 治疗 治疗' WHERE id = ?", (best,))
        assert archive.refresh_search(min_articles=8, size=4).incremental
    match = '("血小板" AND "治疗")'
    assert _from_postings(path, match) == _fts5(path, match)


def test_a_search_from_the_shell_imports_numpy_only_when_the_postings_pay_for_it(replica_archive, tmp_path):
    """numpy takes about 80 ms to import: a one-word search (the top lists) and a search of words with few
    postings (FTS5 is faster than the import) leave it unloaded; the same words with the threshold at 0
    load it and answer from the postings, with the same hits."""
    path = tmp_path / "itp6.db"
    shutil.copy(replica_archive, path)
    with Archive.open(path) as archive:
        archive.refresh_search(force=True, min_articles=8, size=4)
    script = f"""
import sys
from itp6crawl import postings_search
from itp6crawl.search import search
first = [(hit.id, hit.score) for hit in search({str(path)!r}, "血小板", limit=5)]
second = search({str(path)!r}, "血小板 治疗", limit=5)
print("numpy" in sys.modules)
postings_search.WORTH_IMPORTING_NUMPY = 0
third = search({str(path)!r}, "血小板 治疗", limit=5)
same = [(hit.id, hit.score) for hit in second] == [(hit.id, hit.score) for hit in third]
print("numpy" in sys.modules, same, second.total == third.total)
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "True", "True", "True"], result.stdout + result.stderr
