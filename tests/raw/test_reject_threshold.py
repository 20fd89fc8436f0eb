"""The reject threshold: a file's share over the whole file, a month's share from enough rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from warehouse.settings import Settings

NPS = dg.AssetKey(["raw", "nps_responses"])
HEADER = "response_id,brand,answered_at,score\n"


def _answers(prefix: str, month: str, good: int, broken: int = 0) -> str:
    """`good` valid answers and `broken` ones with score 12 (out of range), all in `month`."""
    rows = [f"{prefix}{i},bankx,{month}-{1 + i % 28:02d}T10:00:00,{i % 11}" for i in range(good)]
    rows += [f"{prefix}x{i},bankx,{month}-15T10:00:00,12" for i in range(broken)]
    return "".join(row + "\n" for row in rows)


def _range(first: str, last: str) -> dict[str, str]:
    return {
        "dagster/asset_partition_range_start": first,
        "dagster/asset_partition_range_end": last,
    }


def test_one_broken_line_in_a_small_month_of_a_large_file_loads(
    land: Callable[..., Path],
    materialise: Callable[..., dg.ExecuteInProcessResult],
    query: Callable[..., list[tuple]],
) -> None:
    """1 of 2 rows in April is 50%, but April holds too few rows to be judged alone."""
    land(
        "nps_responses/imports/export.csv",
        HEADER + _answers("m", "2010-03", 300) + _answers("a", "2010-04", 1, broken=1),
    )
    materialise([NPS], tags=_range("2010-03", "2010-04"))
    assert query(
        "select partition_month, count(*) from raw.nps_responses group by all order by 1"
    ) == [(date(2010, 3, 1), 300), (date(2010, 4, 1), 1)]
    assert query('select line, "column", reason, partition_month from raw.rejected_rows') == [
        (303, "score", "score: 12 is outside 0..10", date(2010, 4, 1))
    ]


def test_a_month_with_enough_rows_is_judged_on_its_own(
    settings: Settings,
    land: Callable[..., Path],
    materialise: Callable[..., dg.ExecuteInProcessResult],
    query: Callable[..., list[tuple]],
) -> None:
    land(
        "nps_responses/imports/export.csv",
        HEADER + _answers("m", "2010-03", 1000) + _answers("a", "2010-04", 94, broken=6),
    )
    with pytest.raises(dg.Failure) as failure:
        materialise([NPS], partition_key="2010-04")
    assert failure.value.description == (
        "raw/nps_responses failed; nothing was written.\n"
        "nps_responses: 1 file(s) refused more rows than allowed; nothing was written.\n"
        "nps_responses/imports/export.csv: 6 of 1,100 rows refused in the whole file (0.5%), "
        "6 of 100 in 2010-04 (6.0%); over the 5.0% threshold in 2010-04 "
        "(a month is judged on its own from 100 rows); "
        "top reasons: 6 x score: 12 is outside 0..10"
    )
    assert not Path(settings.duckdb_path).exists()

    # Judged from 101 rows, April (100 rows) only counts towards the whole file's 0.5%.
    tolerant = Settings.from_env(
        home=settings.home,
        reject_min_month_rows=101,
    )
    materialise([NPS], partition_key="2010-04", run_settings=tolerant)
    assert query("select count(*) from raw.nps_responses") == [(94,)]
    assert query("select count(*) from raw.rejected_rows") == [(6,)]


def test_the_whole_file_share_counts_months_the_run_does_not_load(
    settings: Settings,
    land: Callable[..., Path],
    materialise: Callable[..., dg.ExecuteInProcessResult],
) -> None:
    """March is clean, but 3 of the file's 30 rows are refused: March fails too, once."""
    land(
        "nps_responses/imports/export.csv",
        HEADER + _answers("m", "2010-03", 20) + _answers("a", "2010-04", 7, broken=3),
    )
    with pytest.raises(dg.Failure) as failure:
        materialise([NPS], partition_key="2010-03")
    assert (
        "nps_responses/imports/export.csv: 3 of 30 rows refused in the whole file (10.0%), "
        "0 of 20 in 2010-03 (0.0%); over the 5.0% threshold for the whole file "
        "(a month is judged on its own from 100 rows); "
        "top reasons: 3 x score: 12 is outside 0..10"
    ) in failure.value.description
    assert not Path(settings.duckdb_path).exists()

    with pytest.raises(dg.Failure) as failure:
        materialise([NPS], tags=_range("2010-03", "2010-04"))
    # The same whole-file verdict for both months is said once.
    assert failure.value.description.count("nps_responses/imports/export.csv:") == 1
    samples = failure.value.metadata["refused_rows_sample"].value.splitlines()[2:]
    assert samples == [
        f"| nps_responses/imports/export.csv | {line} | score | score: 12 is outside 0..10 |"
        for line in (29, 30, 31)
    ]


def test_the_minimum_month_rows_setting_reads_its_environment_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert Settings.from_env(tmp_path).reject_min_month_rows == 100
    monkeypatch.setenv("WEBCARE_REJECT_MIN_MONTH_ROWS", "250")
    assert Settings.from_env(tmp_path).reject_min_month_rows == 250
