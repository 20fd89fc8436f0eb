"""`webcare ingest` of an export that cannot load: one line naming file and column, no writes.

Each stops with exit status 1 (bad data; 2 is a bad command line) before the export is landed:
no landing copy, no derived brands or accounts files, no warehouse rows.
"""

from pathlib import Path

import duckdb
import pytest

from orchestration import commands

CANONICAL_MENTIONS = (
    "mention_id,platform,created_at,author_id,text\n"
    "m1,twitter,2017-10-31T22:10:47Z,jan,@AskCiti my card is blocked\n"
    "m2,twitter,2017-10-31T22:14:00Z,AskCiti,@jan sorry to hear that\n"
)
TWCS_WITHOUT_INBOUND = (
    "tweet_id,author_id,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
    "1,115712,Tue Oct 31 22:10:47 +0000 2017,@AskCiti my card is blocked,2,\n"
    "2,AskCiti,Tue Oct 31 22:14:00 +0000 2017,@115712 Sorry! DM us,,1.0\n"
)
CFPB_UNREADABLE_DATES = (
    "Date received,Product,Company,Submitted via,Timely response?,Complaint ID\n"
    '18.03.2020,Mortgage,"WELLS FARGO & COMPANY",Phone,Yes,101\n'
    '01.12.2019,Debt collection,"ACME COLLECTIONS, INC.",Web,No,102\n'
)


@pytest.mark.parametrize(
    ("source", "fmt", "name", "text", "column", "expected"),
    [
        (
            "mentions",
            "twcs",
            "canonical_mentions.csv",
            CANONICAL_MENTIONS,
            "missing column(s) inbound, tweet_id",
            "format 'twcs' needs author_id, created_at, inbound, text, tweet_id",
        ),
        (
            "mentions",
            "twcs",
            "twcs_without_inbound.csv",
            TWCS_WITHOUT_INBOUND,
            "missing column(s) inbound ",
            "format 'twcs' needs author_id, created_at, inbound, text, tweet_id",
        ),
        (
            "complaints",
            "cfpb",
            "cfpb_unreadable_dates.csv",
            CFPB_UNREADABLE_DATES,
            "column 'Date received' is not readable on any of its 2 rows",
            "cannot parse '18.03.2020' as a date (YYYY/M/D, M/D/YYYY or YYYY-MM-DD)",
        ),
    ],
    ids=["canonical-mentions-as-twcs", "twcs-without-inbound", "cfpb-unreadable-dates"],
)
def test_an_export_that_cannot_load_stops_with_one_line_and_writes_nothing(
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    source: str,
    fmt: str,
    name: str,
    text: str,
    column: str,
    expected: str,
) -> None:
    export = tmp_path / name
    export.write_text(text)
    home = tmp_path / "home"

    status = commands.ingest(source, fmt, [str(export)], home=str(home))

    err = capfd.readouterr().err
    assert status == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"webcare ingest: {export}: ")
    assert column in lines[0]
    assert expected in lines[0]
    assert "Traceback" not in err
    # Nothing landed (no copy, no sidecar, no derived reference file), nothing loaded.
    landing = home / "landing"
    assert not landing.exists() or sorted(landing.rglob("*")) == []
    assert _rows(home / "warehouse.duckdb", source) == 0


def _rows(warehouse: Path, source: str) -> int:
    """Rows of raw.<source> in the home's warehouse (0 when there is no warehouse or table)."""
    if not warehouse.exists():
        return 0
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        found = conn.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'raw' and table_name = ?",
            [source],
        ).fetchone()[0]
        return conn.execute(f"select count(*) from raw.{source}").fetchone()[0] if found else 0
