"""The pure duplicate finder: titles, guards, scores, clusters, merging two rows (no files)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncd.merge.dupes import (
    DupeSettings, PairScore, combine_rows, find_duplicates, guard, match_duplicates, parse_title, score_rows,
)
from syncd.merge.dupes.cluster import build_clusters
from syncd.model import Table

COLUMNS = ["Task", "Campaign", "Owner", "Due"]


def clusters_of(titles: list[str], **kw) -> list[list[str]]:
    table = Table.from_lists(["Task"], [[t] for t in titles])
    found = find_duplicates(table, DupeSettings(**kw))
    return [[titles[i] for i in c.rows] for c in found.clusters]


@pytest.mark.parametrize("a, b", [
    ("Draft Q3 newsletter", "Q3 newsletter – draft"),
    ("Draft Q3 newsletter", "Draft the Q3 newsletter (v2)"),
    ("Draft Q3 newsletter", "Copy of draft Q3 newsletter"),
    ("Third quarter budget mtg", "Q3 budget meeting"),
    ("Plan the kick-off meeting", "plan kickoff mtg"),
    ("Café opening landing page", "Cafe Opening landing page"),
    ("Ｑ３ newsletter", "Q3 newsletter"),
    ("Write 3 blog posts about pricing", "Write three blog posts abt pricing"),
    ("Send invoice to Acme Corp", "Send invoice to Acme Corp."),
    ("Translate press kit into Polish", "Translate perss kit into Polish"),
])
def test_retyped_tasks_are_duplicates(a, b):
    assert clusters_of([a, b, "Book venue for launch party"]) == [[a, b]]


@pytest.mark.parametrize("a, b, why", [
    ("Q3 budget review", "Q4 budget review", "different quarter (Q3 / Q4)"),
    ("Newsletter #12", "Newsletter #13", "different number (12 / 13)"),
    ("Banner v2 for launch", "Banner v3 for launch", "different version (V2 / V3)"),
    ("March report for the board", "April report for the board", "different month (Mar / Apr)"),
    ("2025 budget review", "2026 budget review", "different year (2025 / 2026)"),
    ("Q3 newsletter", "November newsletter", "different period"),
    ("Review Instagram ads for Diwali", "Pause Instagram ads for Diwali", "different action (Review / Pause)"),
])
def test_what_makes_another_task_is_never_flagged(a, b, why):
    assert guard(parse_title(a), parse_title(b)) == why
    assert clusters_of([a, b]) == []
    table = Table.from_lists(["Task"], [[a], [b]])
    assert score_rows(table, 0, 1).score == 0.0 and why in score_rows(table, 0, 1).why


@pytest.mark.parametrize("a, b", [
    ("Draft Q3 newsletter", "Write the Q3 newsletter"),  # synonyms are one action
    ("Q3 newsletter", "September newsletter"),  # September is in Q3
    ("Draft Q3 newsletter", "Draft the Q3 newsletter (v2)"),  # a version on one side only is a qualifier
    ("Product photos - shoot", "Shoot product photos"),  # the action at the end
])
def test_no_guard_where_the_titles_can_be_one_task(a, b):
    assert guard(parse_title(a), parse_title(b)) is None


def test_other_columns_nudge_a_tracker_score():
    rows = [
        ["Order t-shirts for the summit", "Partner Summit", "Ann", None],
        ["Order t-shirt for summit", "Partner Summit", "Bob", None],
        ["Order t-shirts for the summit", "Spring Sale", "Ann", None],
    ]
    table = Table.from_lists(COLUMNS, rows)
    same_campaign = score_rows(table, 0, 1)
    other_campaign = score_rows(table, 0, 2)
    assert same_campaign.score >= 0.85 and "same Campaign" in same_campaign.why
    assert other_campaign.score < 0.85 and "different Campaign" in other_campaign.why


def test_a_cluster_is_not_held_together_by_one_weak_link():
    # 0~1 and 1~2 are strong, but 0 and 2 are different tasks: 2 must not join 0's cluster
    scores = {(0, 1): 0.95, (1, 2): 0.9, (0, 2): 0.0}

    def score(i, j, floor=None):
        return PairScore(min(i, j), max(i, j), scores[(min(i, j), max(i, j))], "why")

    clusters = build_clusters([score(0, 1), score(1, 2)], score, 0.85)
    assert all(not {0, 2} <= set(c.rows) for c in clusters)
    assert [c.rows for c in clusters] == [(0, 1)]
    # with every pair strong enough, the three are one cluster
    scores[(0, 2)] = 0.88
    assert [c.rows for c in build_clusters([score(0, 1), score(1, 2)], score, 0.85)] == [(0, 1, 2)]


def test_keep_apart_pairs_are_never_linked():
    table = Table.from_lists(["Task"], [["Draft Q3 newsletter"], ["Q3 newsletter - draft"]])
    assert len(find_duplicates(table).clusters) == 1
    assert find_duplicates(table, keep_apart=[(0, 1)]).clusters == ()


def test_combine_rows_fills_empty_cells_and_reports_differences():
    combined = combine_rows(["Draft Q3 newsletter", None, "Ann", 500], ["Q3 newsletter", "Autumn", "Bob", 500.0])
    assert combined.values == ("Draft Q3 newsletter", "Autumn", "Ann", 500)
    assert combined.filled == (1,)
    assert combined.differing == ((0, "Draft Q3 newsletter", "Q3 newsletter"), (2, "Ann", "Bob"))


def test_match_duplicates_respects_the_teams_ids():
    cols = ("ID", "Task")
    a = Table(cols, (("T-8", "Draft Q4 newsletter"), (None, "Book venue")))
    b = Table(cols, (("T-9", "Draft the Q4 newsletter (v2)"), (None, "Book the venue (urgent)")))
    assert match_duplicates(a, b, title="Task", key="ID") == [(1, 1)]


def test_hostile_text_is_cut_and_never_crashes():
    huge = "Draft Q3 newsletter " + "x" * 200_000
    title = parse_title(huge)
    assert title.words[:3] == ("draft", "q3", "newsletter")
    for text in ("", "   ", "\x00\x01", "🙂🙂", "#" * 50, "٣ تقرير", "ℌ𝔢𝔩𝔩𝔬"):
        parse_title(text)
    table = Table.from_lists(["Task"], [[huge], [huge], [""], [None], ["🙂"], [12], [True]])
    assert [c.rows for c in find_duplicates(table).clusters] == [(0, 1)]


WORDS = st.sampled_from(["draft", "review", "newsletter", "budget", "banner", "launch", "Q3", "Q4", "v2", "#12",
                         "September", "the", "for", "Café", "mtg", "kick-off", "report", "2026", "ads", "Send"])
TITLES = st.lists(WORDS, min_size=1, max_size=6).map(" ".join)


@settings(max_examples=150, deadline=None)
@given(TITLES, TITLES, TITLES)
def test_score_is_symmetric_and_bounded(a, b, c):
    table = Table.from_lists(["Task"], [[a], [b], [c]])
    ab, ba = score_rows(table, 0, 1), score_rows(table, 1, 0)
    assert ab.score == ba.score and 0.0 <= ab.score <= 1.0
    assert (guard(parse_title(a), parse_title(b)) is None) == (guard(parse_title(b), parse_title(a)) is None)


@settings(max_examples=150, deadline=None)
@given(TITLES, st.sampled_from(["Q1", "Q2", "Q3", "Q4"]), st.sampled_from(["Q1", "Q2", "Q3", "Q4"]))
def test_other_quarter_is_never_a_duplicate(base, q1, q2):
    if q1 == q2 or any(q in base for q in ("Q1", "Q2", "Q3", "Q4")):
        return
    assert clusters_of([f"{q1} {base}", f"{base} {q2}"]) == []


@settings(max_examples=100, deadline=None)
@given(TITLES)
def test_case_and_accents_do_not_matter(text):
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    assert parse_title(text.upper()).words == parse_title(plain.lower()).words


@pytest.mark.parametrize("rows", [2_000, 3_000])  # all against all, and the word index beyond 2,500 rows
def test_templated_titles_are_not_duplicates_and_are_not_scored_pair_by_pair(rows):
    # "Task 1 of the spring campaign" ... "Task 2000 ...": every pair alike but for its number, so no
    # pair may be flagged, and the number guard must rule them out before scoring, not after.
    titles = [f"Task {i} of the spring campaign" for i in range(1, rows + 1)]
    titles.append("task 7 of spring campaign (draft)")  # one real duplicate among them, retyped
    table = Table.from_lists(["Task"], [[t] for t in titles])
    found = find_duplicates(table)
    assert [[titles[i] for i in c.rows] for c in found.clusters] == [
        ["Task 7 of the spring campaign", "task 7 of spring campaign (draft)"]]
    # rows 1900-2000 name a year, not a number, so the guard lets them pair with the others (~190,000
    # pairs); all ~2 million pairs came out of blocking before the guard moved into it
    assert found.candidates < 250_000
    assert found.scored < 20_000


@pytest.mark.parametrize("rows", [200, 3_000])  # all against all, and the word index beyond 2,500 rows
def test_a_search_from_some_rows_finds_only_their_duplicates(rows):
    # What a sync after a few edits asks: the pairs of the rows that changed, not the whole table's.
    titles = [f"Task {i} of the spring campaign" for i in range(1, rows + 1)]
    titles += ["task 7 of spring campaign (draft)", "Task 9 of the spring campain"]
    table = Table.from_lists(["Task"], [[t] for t in titles])
    everything = [c.rows for c in find_duplicates(table).clusters]
    assert everything == [(6, rows), (8, rows + 1)]
    assert [c.rows for c in find_duplicates(table, focus=[rows + 1]).clusters] == [(8, rows + 1)]
    assert [c.rows for c in find_duplicates(table, focus=[6]).clusters] == [(6, rows)]
    assert find_duplicates(table, focus=[3, 4]).clusters == ()
    assert [c.rows for c in find_duplicates(table, focus=[]).clusters] == []


def test_scores_worked_out_in_bulk_are_the_scorers():
    from syncd.merge.dupes import prepare
    from syncd.merge.dupes.bulk import BulkScorer
    from syncd.merge.dupes.signature import signatures

    import numpy as np

    titles = ["Draft Q3 newsletter", "Q3 newsletter – draft", "Draft the Q3 newsletter (v2)", "Q4 newsletter",
              "Review the Diwali ads", "Pause the Diwali ads", "Diwali ads - review", "Book venue for launch",
              "Reserve venue for the launch", "Send invoice to Acme Corp", "Send invoice to Acme Corp.",
              "Translate press kit into Polish", "Translate perss kit into Polish", "September newsletter"]
    campaigns = ["Spring Sale", "Spring Sale", None, "Partner Summit", "Diwali", "Diwali", "Diwali", "Launch",
                 "Launch", None, "Acme", "Spring Sale", "Spring sale", "Spring Sale"]
    owners = ["Bob Smith", "Robert Smith", "Ann", None, "Ann", "Ann", "Priya", "Sven", "Sven", "Lena", "Lena",
              None, "Marco", "Bob"]
    dues = ["2026-09-01", "2026-09-03", "2026-01-09", None, "2026-10-01", "2026-10-01", "2026-11-20",
            "2026-05-05", "2026-05-19", None, "2026-02-02", "2026-03-04", "2026-04-03", "2026-09-01"]
    table = Table.from_lists(COLUMNS, [list(r) for r in zip(titles, campaigns, owners, dues)])
    prep = prepare(table)
    pairs = np.array([(i, j) for i in range(len(titles)) for j in range(i + 1, len(titles))])
    figures = BulkScorer(prep, signatures(prep.main)).scores(pairs)
    assert (figures == figures).sum() >= 3  # retyped and reordered titles are settled in bulk
    for (i, j), figure in zip(pairs.tolist(), figures.tolist()):
        if figure == figure:
            assert abs(figure - prep.score(i, j).score) < 1e-4, (titles[i], titles[j])
    # a focused search builds the scorer for some rows only: the same figures for their pairs, and
    # pairs with any other row are left to the scorer
    some = np.array([0, 1, 2, 7, 8, 11, 12])
    within = np.isin(pairs[:, 0], some) & np.isin(pairs[:, 1], some)
    partial = BulkScorer(prep, signatures(prep.main), some).scores(pairs)
    assert np.array_equal(partial[within], figures[within], equal_nan=True)
    assert (partial[within] == partial[within]).sum() >= 3
    assert np.isnan(partial[~within]).all()
    # and pruning with it keeps those pairs for the scorer, whatever they would score
    bound, exact = BulkScorer(prep, signatures(prep.main), some).figures(pairs[:, 0], pairs[:, 1])
    assert (bound[~within] == 1.0).all() and not exact[~within].any()


def test_titles_parsed_ahead_are_not_parsed_again_by_the_search(monkeypatch):
    # a sync parses the titles while a core waits for the last copies; the search then only
    # parses what the last merges brought, and finds what it finds without that
    import syncd.merge.dupes.score as score
    from syncd.merge.dupes import warm_up

    titles = ["Draft Q3 newsletter", "Q3 newsletter – draft", "Book venue for launch party", "Order cake",
              "Plan the kick-off meeting", "plan kickoff mtg"] * 2
    table = Table.from_lists(["Task"], [[f"{t} {n // 6}"] for n, t in enumerate(titles)])
    expected = [c.rows for c in find_duplicates(table).clusters]
    assert expected  # the retyped titles are found
    monkeypatch.setattr(score, "_memo", {})
    parsed = []
    real = score.normalise_value
    monkeypatch.setattr(score, "normalise_value", lambda kind, v: parsed.append(v) or real(kind, v))
    slices = list(warm_up(table, chunk=5))
    assert [n for n in slices if n] == [5, 5, 2] and len(parsed) == 12  # 0: a step that only plans
    assert [c.rows for c in find_duplicates(table).clusters] == expected and len(parsed) == 12
    grown = Table.from_lists(["Task"], [list(r) for r in table.rows] + [["Order the cake 1"]])
    find_duplicates(grown)
    assert parsed[12:] == ["Order the cake 1"]  # only the new title


def test_equal_values_of_different_types_are_normalised_apart(monkeypatch):
    # 1 == 1.0 == True in Python, but a "TRUE" typed in a number column is not the number 1
    import syncd.merge.dupes.score as score
    from syncd.merge.dupes.fields import normalise_value

    monkeypatch.setattr(score, "_memo", {})
    for column in ([1, True, 1.0, None, "1"], [True, 1], ["Ann", None, "Ann"]):
        expected = [normalise_value("number", v) for v in column]
        assert score._memo_column("number", column) == expected
        assert score._memo_column("number", column) == expected  # and again, from the memo


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50), st.integers(0, 9)), max_size=60),
       st.booleans())
def test_the_postings_order_is_numpy_lexsort_s_whether_or_not_its_one_key_fits(rows, huge):
    """Blocking sorts its postings by one combined key where it fits in 63 bits, else by lexsort:
    both must give lexsort's stable order, or the candidate pairs (and so the clusters) would move."""
    import numpy as np

    from syncd.merge.dupes.blocking import _order_by

    first, second, third = (np.array([r[k] for r in rows], dtype=np.int64) for k in range(3))
    span = 2**40 if huge else 51  # 2**40 * 2**40 cannot fit: the lexsort path
    assert _order_by(first, second, third, span, span).tolist() == np.lexsort((third, second, first)).tolist()
    assert _order_by(first, second, None, span, 1).tolist() == np.lexsort((second, first)).tolist()


@pytest.mark.parametrize("left, right", [(40, 300), (900, 1_400), (300, 2_500)])  # all against all, word index
def test_pairs_across_two_stacked_tables_are_the_full_search_s_pairs_across(left, right):
    """The merge matches the tasks one copy added with those others added by comparing only rows of
    one side with the other's (a third of the work): it must find every such pair the search over
    both tables together finds, and no other."""
    import random

    import numpy as np

    from syncd.merge.dupes import prepare
    from syncd.merge.dupes.blocking import candidate_pairs

    rng = random.Random(left)
    words = ["draft", "review", "newsletter", "launch", "venue", "invoice", "Acme", "Q3", "Berlin", "ads",
             "spring", "sale", "press", "kit", "Polish", "book", "budget", "meeting", "2026", "v2"]
    titles = [" ".join(rng.sample(words, rng.randint(2, 6))) for _ in range(left + right)]
    for k in range(0, left, 7):  # retyped across the two sides
        titles[left + rng.randrange(right)] = titles[k].replace("a", "e", 1) + " (copy)"
    emails = [f"p{rng.randrange(60)}@x.org" if rng.random() < 0.3 else None for _ in titles]
    table = Table.from_lists(["Task", "E-mail"], [[t, e] for t, e in zip(titles, emails)])
    prep = prepare(table, DupeSettings())
    everything = candidate_pairs(prep, 50.0)
    across = everything[(everything[:, 0] < left) & (everything[:, 1] >= left)]
    got = candidate_pairs(prep, 50.0, across=left)
    assert len(across) > 0
    assert np.array_equal(got, across)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["a", "b", "q3", "v2", "-", "draft", "final", "copy", "of", "the",
                                           "Q1", "2026", "sept", "draft", "review", "Review", "(v2)"]),
                         max_size=8).map(" ".join), max_size=30))
def test_word_frequencies_count_each_title_s_distinct_words_once(texts):
    """The search weighs a word by how many titles hold it, each title counting it once: counted
    from a title's content words and qualifiers, which must together be its distinct words."""
    import math
    from collections import Counter

    from syncd.merge.dupes import prepare

    table = Table.from_lists(["Task"], [[t or None] for t in texts])
    prep = prepare(table, DupeSettings())
    if prep is None or not prep.title_main:
        return
    titles = [t for t in prep.main if t is not None]
    expected = Counter(w for t in titles for w in set(t.words))
    n = max(len(table), 1)
    assert prep.idf == pytest.approx({w: math.log((n + 1) / (c + 0.5)) + 0.5 for w, c in expected.items()})
