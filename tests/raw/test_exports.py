"""Exports checked before `webcare ingest` lands them: one that cannot load stops with one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from assets.raw import derive_reference_files
from assets.raw.errors import LandingFileError
from assets.raw.parsing import check_exports
from warehouse.settings import Settings

CANONICAL_MENTIONS = (
    "mention_id,platform,created_at,author_id,text\n"
    "m1,twitter,2017-10-31T22:10:47Z,jan,@AskCiti my card is blocked\n"
)
TWCS_WITHOUT_INBOUND = (
    "tweet_id,author_id,created_at,text\n1,115712,Tue Oct 31 22:10:47 +0000 2017,hello\n"
)
CFPB_BAD_DATES = (
    "Date received,Company,Submitted via,Complaint ID\n"
    "18.03.2020,ACME INC,Web,1\n"
    "19.03.2020,ACME INC,Web,2\n"
)


def _export(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("source", "fmt", "name", "text", "problem"),
    [
        (
            "mentions",
            "twcs",
            "mentions.csv",
            CANONICAL_MENTIONS,
            "is not in format 'twcs': missing column(s) inbound, tweet_id "
            "(format 'twcs' needs author_id, created_at, inbound, text, tweet_id); "
            "columns seen: mention_id, platform, created_at, author_id, text; "
            "the header fits format canonical",
        ),
        (
            "mentions",
            "twcs",
            "twcs.csv",
            TWCS_WITHOUT_INBOUND,
            "is not in format 'twcs': missing column(s) inbound "
            "(format 'twcs' needs author_id, created_at, inbound, text, tweet_id); "
            "columns seen: tweet_id, author_id, created_at, text",
        ),
        (
            "complaints",
            "cfpb",
            "cfpb.csv",
            CFPB_BAD_DATES,
            "column 'Date received' is not readable on any of its 2 rows, so no row can be "
            "placed in a month (line 2: Date received: cannot parse '18.03.2020' as a date "
            "(YYYY/M/D, M/D/YYYY or YYYY-MM-DD)); nothing was loaded",
        ),
    ],
)
def test_an_export_that_cannot_load_names_the_file_and_the_column(
    settings: Settings,
    tmp_path: Path,
    source: str,
    fmt: str,
    name: str,
    text: str,
    problem: str,
) -> None:
    path = _export(tmp_path, name, text)
    with pytest.raises(LandingFileError) as error:
        check_exports(source, fmt, [path], settings)
    assert str(error.value) == f"{path}: {problem}"
    assert "\n" not in str(error.value)


def test_a_good_export_is_returned_parsed_and_a_missing_one_left_to_the_caller(
    settings: Settings, tmp_path: Path
) -> None:
    good = _export(
        tmp_path,
        "cfpb.csv",
        CFPB_BAD_DATES.replace("18.03.2020", "2020/3/18").replace("19.03.2020", "3/19/2020"),
    )
    [parsed] = check_exports("complaints", "cfpb", [good, tmp_path / "missing.csv"], settings)
    assert parsed.format == "cfpb"
    assert parsed.rows["complaint_id"].to_list() == ["1", "2"]
    assert not settings.landing_path.exists()


def test_derived_reference_files_are_all_or_nothing(settings: Settings, tmp_path: Path) -> None:
    good = _export(
        tmp_path,
        "good.csv",
        "tweet_id,author_id,inbound,created_at,text\n"
        "1,AskCiti,False,Tue Oct 31 22:10:47 +0000 2017,hello\n",
    )
    bad = _export(tmp_path, "bad.csv", TWCS_WITHOUT_INBOUND)
    with pytest.raises(LandingFileError, match=r"bad\.csv: is not in format 'twcs'"):
        derive_reference_files("mentions", "twcs", [good, bad], settings.landing_path)
    assert not settings.landing_path.exists()
