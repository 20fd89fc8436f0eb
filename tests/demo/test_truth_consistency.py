"""The truth describes exactly what lies in the landing files.

The files are read back with polars and checked by a small reference validation written
here from DATA_CONTRACTS.md (not from the generator's plan): rows per month, refused rows
by reason with file and line, identical duplicates, months of timestamps, inbound counts
and true labels per brand-month, complaints, NPS and share prices.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from demo import texts

SOURCES = ("mentions", "complaints", "nps_responses", "stock_prices")
TZ = ZoneInfo("Europe/Amsterdam")


@pytest.fixture(scope="module")
def brands(small_demo) -> pl.DataFrame:
    """The brands reference file."""
    return pl.read_csv(small_demo.landing / "brands" / "demo" / "brands.csv", infer_schema=False)


def test_months_and_files_match_truth(small_demo, loaded):
    truth = small_demo.truth
    assert truth["months"] == [f"{2010 + i // 12}-{i % 12 + 1:02d}" for i in range(24)]
    for source in SOURCES:
        assert sorted(loaded[source]) == truth["months"], source
        for month, expected in truth["expected_counts"][source].items():
            month_dir = small_demo.landing / source / "demo" / month
            assert sorted(
                p.relative_to(small_demo.landing).as_posix() for p in month_dir.iterdir()
            ) == sorted(expected["files"])
    formats = {f for m in truth["expected_counts"]["mentions"].values() for f in m["formats"]}
    assert formats == {"csv", "csv.gz", "jsonl", "parquet"}
    assert any(len(m["files"]) == 2 for m in truth["expected_counts"]["mentions"].values())


def test_counts_and_refusals_match_truth(small_demo, loaded):
    truth = small_demo.truth
    bad_by_month = defaultdict(set)
    for bad in truth["bad_rows"]:
        bad_by_month[(bad["source"], bad["month"])].add(
            (bad["file"], bad["line"], bad["column"], bad["reason"])
        )
    dup_by_month = defaultdict(set)
    for dup in truth["identical_duplicates"]:
        dup_by_month[(dup["source"], dup["month"])].add((dup["file"], dup["line"]))
    totals = Counter()
    for source in SOURCES:
        for month, result in loaded[source].items():
            expected = truth["expected_counts"][source][month]
            rows = len(result["loaded"]) + len(result["rejected"]) + len(result["identical"])
            assert rows == expected["rows_in_files"], (source, month)
            assert len(result["loaded"]) == expected["loaded"], (source, month)
            assert len(result["rejected"]) == expected["rejected"], (source, month)
            assert len(result["identical"]) == expected["identical_duplicates"], (source, month)
            assert dict(Counter(r[3] for r in result["rejected"])) == expected["rejected_by_reason"]
            assert set(result["rejected"]) == bad_by_month[(source, month)], (source, month)
            assert set(result["identical"]) == dup_by_month[(source, month)], (source, month)
            totals[source] += len(result["rejected"])
            for r in result["rejected"]:
                totals[(source, r[3])] += 1
    # Every kind of planted defect occurs, and every source has some.
    assert all(totals[s] > 0 for s in SOURCES)
    for reason in ("unparsable_timestamp", "missing_required", "duplicate_id"):
        assert totals[("mentions", reason)] > 0
    assert totals[("nps_responses", "score_out_of_range")] > 0
    assert totals[("stock_prices", "non_positive_close")] > 0
    assert sum(len(v) for v in dup_by_month.values()) > 0


def test_reject_share_per_file_stays_well_under_threshold(small_demo, read_landing):
    per_file = Counter(b["file"] for b in small_demo.truth["bad_rows"])
    for path, n_bad in per_file.items():
        rows = read_landing(small_demo.landing / path).height
        assert n_bad / rows < 0.03, path


def test_every_valid_row_lies_in_the_file_of_its_month(loaded):
    for source in SOURCES:
        for month, result in loaded[source].items():
            for row in result["loaded"]:
                when = row["_at"]
                local = (
                    when
                    if isinstance(when, date) and not isinstance(when, datetime)
                    else when.astimezone(TZ)
                )
                assert f"{local.year:04d}-{local.month:02d}" == month, (
                    source,
                    row["_file"],
                    row["_line"],
                )


def test_timestamp_forms_are_mixed_and_dst_rows_present(small_demo, loaded):
    forms = Counter()
    for result in loaded["mentions"].values():
        for row in result["loaded"]:
            value = row["created_at"]
            forms[
                "z"
                if value.endswith("Z")
                else "offset"
                if re.search(r"[+-]\d\d:\d\d$", value)
                else "naive"
            ] += 1
    assert min(forms.values()) > 0.15 * sum(forms.values())
    dst = small_demo.truth["dst_rows"]
    october = [r for r in dst if r["created_at"].startswith(("2010-10-31T02:", "2011-10-30T02:"))]
    # Both sides of the repeated October hour, each with its explicit offset.
    assert {r["created_at"][-6:] for r in october} == {"+02:00", "+01:00"}
    assert any(r["created_at"].startswith(("2010-03-28T03:", "2011-03-27T03:")) for r in dst)
    by_id = {r["mention_id"]: r for res in loaded["mentions"].values() for r in res["loaded"]}
    for r in dst:
        assert by_id[r["mention_id"]]["_at"].strftime("%Y-%m-%dT%H:%M:%SZ") == r["utc"]


def _label_patterns() -> dict[int, re.Pattern]:
    """One regex per true label from the generator's templates (slots match anything)."""
    by_label: dict[int, list[str]] = defaultdict(list)
    for (_, label), items in texts.INBOUND.items():
        by_label[label] += [t for _, t in items]
    for language in ("nl", "en"):
        by_label[0] += list(texts.CRISIS[language]) + list(texts.ESCALATION[language])
        by_label[1] += list(texts.NEWS[language])
        by_label[2] += list(texts.RECOVERY[language])
    for (_, label), items in texts.FOLLOW_UP.items():
        by_label[label] += list(items)

    def to_regex(template: str) -> str:
        parts = re.split(r"\{\w+\}", template)
        return ".*?".join(re.escape(p) for p in parts)

    return {
        label: re.compile("(?:" + "|".join(to_regex(t) for t in items) + ")")
        for label, items in by_label.items()
    }


def _derive_brand(row: dict, handles: dict[str, str], keywords: list[tuple[str, str]]) -> set[str]:
    """Brands a message names: by @handle, else by keyword."""
    named = {handles[h.lower()] for h in re.findall(r"@(\w+)", row["text"]) if h.lower() in handles}
    if named:
        return named
    lowered = row["text"].lower()
    return {brand for keyword, brand in keywords if keyword in lowered}


def test_inbound_counts_and_true_labels_per_brand_month(small_demo, loaded, accounts, brands):
    handles = {a["handle"].lower(): a["brand"] for a in accounts}
    keywords = [
        (k, b)
        for b, ks in zip(brands["brand"], brands["keywords"], strict=True)
        for k in ks.split("|")
    ]
    patterns = _label_patterns()
    counts: Counter = Counter()
    english = Counter()
    for month, result in loaded["mentions"].items():
        for row in result["loaded"]:
            if row["author_id"].lower() in handles:
                continue
            named = _derive_brand(row, handles, keywords)
            assert len(named) == 1, row["text"]
            brand = named.pop()
            if row["brand"] is not None:
                assert row["brand"] == brand, row["text"]
            labels = [
                label for label, pattern in patterns.items() if pattern.fullmatch(row["text"])
            ]
            assert len(labels) == 1, (row["text"], labels)
            counts[(brand, month, labels[0])] += 1
            english[(brand, month)] += row["language"] == "en"
    distinct = {row["text"] for res in loaded["mentions"].values() for row in res["loaded"]}
    assert len(distinct) > 2500
    for brand, months in small_demo.truth["sentiment"].items():
        for month, expected in months.items():
            got = [counts[(brand, month, k)] for k in range(3)]
            assert got == [expected["negative"], expected["neutral"], expected["positive"]], (
                brand,
                month,
            )
            assert sum(got) == expected["mentions"]


def test_complaints_per_brand_month_and_channel(small_demo, loaded):
    counts = Counter()
    social = Counter()
    for month, result in loaded["complaints"].items():
        for row in result["loaded"]:
            counts[(row["brand"], month, row["channel"])] += 1
            social[(row["brand"], month)] += row["social_handle"] is not None
    for brand, months in small_demo.truth["complaints"].items():
        for month, expected in months.items():
            got = {c: counts[(brand, month, c)] for c in expected["channels"]}
            assert got == expected["channels"], (brand, month)
            assert sum(got.values()) == expected["total"]
            assert social[(brand, month)] == expected["with_social_handle"]


def test_social_handles_of_complaints_are_mention_authors(loaded):
    authors = {row["author_id"] for res in loaded["mentions"].values() for row in res["loaded"]}
    handles = {
        row["social_handle"] for res in loaded["complaints"].values() for row in res["loaded"]
    } - {None}
    assert len(handles) > 50
    assert len(handles & authors) > 0.5 * len(handles)


def test_nps_recomputed_from_file_rows_equals_truth(small_demo, loaded):
    scores = defaultdict(list)
    for month, result in loaded["nps_responses"].items():
        for row in result["loaded"]:
            scores[(row["brand"], month)].append(int(row["score"]))
    for brand, months in small_demo.truth["nps"].items():
        for month, expected in months.items():
            values = scores[(brand, month)]
            promoters = sum(v >= 9 for v in values)
            detractors = sum(v <= 6 for v in values)
            assert len(values) == expected["responses"]
            assert (promoters, detractors) == (expected["promoters"], expected["detractors"])
            assert round(100 * (promoters - detractors) / len(values), 6) == expected["nps"]


def test_month_end_prices_and_returns_equal_truth(small_demo, loaded):
    closes = {}
    for month, result in loaded["stock_prices"].items():
        for row in result["loaded"]:
            key = (row["ticker"], month)
            if key not in closes or row["date"] > closes[key][0]:
                closes[key] = (row["date"], float(row["adj_close"]))
    for brand, entry in small_demo.truth["stock"].items():
        previous = None
        for month, expected in entry["months"].items():
            day, adj = closes[(entry["ticker"], month)]
            assert (day, adj) == (expected["month_end_date"], expected["month_end_adj_close"]), (
                brand
            )
            if previous is None:
                assert expected["monthly_return"] is None
            else:
                assert expected["monthly_return"] == pytest.approx(adj / previous - 1, abs=1e-8)
            previous = adj
    listed = {b for b, e in small_demo.truth["brands"].items() if e["listed"]}
    assert set(small_demo.truth["stock"]) == listed


def test_first_responses_per_account_equal_truth(small_demo, loaded, accounts):
    """Median calendar minutes from inbound to the first human reply, recomputed from the files."""
    rows = [r for res in loaded["mentions"].values() for r in res["loaded"]]
    bots = {a["handle"] for a in accounts if a["is_bot"]}
    humans = {a["handle"] for a in accounts if not a["is_bot"]}
    first: dict[str, datetime] = {}
    for r in rows:
        if r["author_id"] in humans and r["in_reply_to_id"] is not None:
            parent = r["in_reply_to_id"]
            first[parent] = min(first.get(parent, r["_at"]), r["_at"])
    for handle in humans:
        delays = []
        inbound = 0
        for r in rows:
            if r["author_id"] in humans | bots or not re.search(rf"@{handle}\b", r["text"]):
                continue
            inbound += 1
            if r["mention_id"] in first:
                delays.append((first[r["mention_id"]] - r["_at"]).total_seconds() / 60)
        expected = small_demo.truth["accounts"][handle]["realised"]
        assert inbound == expected["inbound_messages"], handle
        assert len(delays) == expected["answered"], handle
        delays.sort()
        mid = len(delays) // 2
        median = delays[mid] if len(delays) % 2 else (delays[mid - 1] + delays[mid]) / 2
        assert round(median, 3) == pytest.approx(
            expected["median_first_response_minutes"], abs=1e-3
        ), handle
