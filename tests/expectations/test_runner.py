"""The runner: frames in any form, check results with severities and metadata, Data Docs."""

import time
from datetime import date, datetime

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pytest

from expectations.runner import ValidationSession, check_result, data_docs_index
from expectations.suites import raw_nps_responses
from expectations.suites._common import WARN, has_rows, level, new_suite
from expectations.window import MonthWindow

MARCH = MonthWindow(months=(date(2010, 3, 1),), now=datetime(2011, 1, 1))


def nps_rows(conn: duckdb.DuckDBPyConnection, n: int, bad_scores: int = 0) -> None:
    """`n` NPS answers in March 2010 (the last `bad_scores` of them scored 11)."""
    conn.execute(
        """
        create or replace table nps as
        select
            'r' || i::varchar as response_id,
            'bank_' || (i % 9)::varchar as brand,
            timestamp '2010-03-01 08:00' + to_seconds(i * 40) as answered_at,
            (case when i >= ? then 11 else i % 11 end)::integer as score,
            'p_' || lpad(printf('%x', i), 16, '0') as respondent_id,
            case when i % 3 = 0 then 'Prima service' end as comment,
            '2010-03' as wave,
            date '2010-03-01' as partition_month,
            'nps_responses/2010-03.csv' as _source_file,
            (i + 2)::bigint as _source_line
        from range(?) as t(i)
        """,
        [n - bad_scores, n],
    )


@pytest.fixture(scope="module")
def conn():
    with duckdb.connect() as connection:
        yield connection


def validate_nps(session, frame):
    return session.validate(
        raw_nps_responses.prepare(frame, MARCH),
        raw_nps_responses.build_suite(MARCH),
        label="2010-03",
        index_columns=("response_id", "_source_file", "_source_line"),
    )


@pytest.mark.parametrize("form", ["pandas", "arrow_table", "arrow_reader", "polars"])
def test_frames_from_duckdb_in_any_form_give_the_same_outcome(gx_session, conn, form):
    nps_rows(conn, 30, bad_scores=2)
    relation = conn.sql("select * from nps order by response_id")
    frame = {
        "pandas": relation.df,
        "arrow_table": lambda: relation.arrow().read_all(),
        "arrow_reader": relation.arrow,
        "polars": relation.pl,
    }[form]()
    outcome = validate_nps(gx_session, frame)
    assert outcome.failed_rules() == ["score is an NPS answer from 0 to 10"]
    failure = outcome.failures[0]
    assert failure.unexpected_count == 2
    assert [e["response_id"] for e in failure.examples] == ["r28", "r29"]
    assert failure.examples[0]["_source_line"] == 30


def test_check_result_of_an_error(gx_session, conn):
    nps_rows(conn, 10, bad_scores=1)
    outcome = validate_nps(gx_session, conn.sql("select * from nps").df())
    result = check_result([outcome], metadata={"months": "2010-03"})
    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.ERROR
    assert result.description.startswith("1 of ")
    assert "[error] raw.nps_responses: score is an NPS answer from 0 to 10 (1 unexpected" in (
        result.description
    )
    meta = {k: v.value for k, v in result.metadata.items()}
    assert meta["rows_validated"] == 10
    assert meta["expectations_failed_error"] == 1 and meta["expectations_failed_warn"] == 0
    assert meta["months"] == "2010-03"
    [failed] = meta["failed_expectations"]
    assert failed["rule"] == "score is an NPS answer from 0 to 10"
    assert failed["expectation"] == "expect_column_values_to_be_between"
    assert failed["severity"] == "error"
    assert failed["unexpected_count"] == 1
    assert failed["examples"] == [
        {
            "score": 11,
            "response_id": "r9",
            "_source_file": "nps_responses/2010-03.csv",
            "_source_line": 11,
        }
    ]
    assert "| error | raw.nps_responses | score is an NPS answer from 0 to 10 |" in meta["failures"]


def test_warn_only_failures_give_a_warning(gx_session):
    suite = new_suite("test.warn_only", [has_rows("row")])
    outcome = gx_session.validate(pd.DataFrame({"x": []}), suite)
    result = check_result([outcome])
    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.WARN
    assert result.description == (
        "1 of 1 expectations failed: [warn] test.warn_only: the months hold at least one row "
        "(observed 0)"
    )


def test_an_error_anywhere_outweighs_warnings(gx_session, conn):
    nps_rows(conn, 5, bad_scores=1)
    error = validate_nps(gx_session, conn.sql("select * from nps").df())
    warning = gx_session.validate(pd.DataFrame({"x": []}), new_suite("t.w", [has_rows("row")]))
    result = check_result([warning, error])
    assert result.severity == dg.AssetCheckSeverity.ERROR
    # Errors come first in the description: they are what stopped the run.
    assert result.description.index("[error]") < result.description.index("[warn]")


def test_a_passing_check(gx_session, conn):
    nps_rows(conn, 12)
    result = check_result([validate_nps(gx_session, conn.sql("select * from nps").df())])
    assert result.passed
    assert result.description.startswith("all ") and result.description.endswith("(12 rows)")
    assert "failed_expectations" not in result.metadata


def test_a_missing_column_is_an_error_not_a_crash(gx_session):
    gx = pytest.importorskip("great_expectations")
    suite = new_suite(
        "test.missing",
        [gx.expectations.ExpectColumnValuesToNotBeNull(column="absent", **level(WARN))],
    )
    outcome = gx_session.validate(pd.DataFrame({"x": [1]}), suite)
    [failure] = outcome.failures
    assert failure.severity == WARN
    assert "absent" in str(failure.observed)


def test_data_docs_are_written_under_the_state_folder(tmp_path, conn):
    nps_rows(conn, 20, bad_scores=1)
    session = ValidationSession(tmp_path, run_name="run12345")
    outcome = validate_nps(session, conn.sql("select * from nps").df())

    class Home:
        state_dir = str(tmp_path)

    index = data_docs_index(Home())
    assert index == tmp_path / "data_docs" / "index.html"
    assert index.is_file()
    assert outcome.docs_page is not None and outcome.docs_page.is_file()
    assert outcome.docs_page.is_relative_to(tmp_path / "data_docs")
    page = outcome.docs_page.read_text()
    assert "score is an NPS answer from 0 to 10" in page
    assert "run12345" in index.read_text()
    # A second session (the next check) adds its page; the index lists both runs.
    second = ValidationSession(tmp_path, run_name="run67890")
    validate_nps(second, conn.sql("select * from nps").df())
    html = index.read_text()
    assert "run12345" in html and "run67890" in html
    # Offline: the index needs no script, and GX's pages get the local stylesheet.
    assert "<script" not in html
    assert outcome.docs_page.relative_to(tmp_path / "data_docs").as_posix() in html
    assert "\\2718" in page  # the failed-status mark drawn without a web font


def test_fifty_thousand_rows_validate_in_seconds(gx_session, conn):
    nps_rows(conn, 50_000, bad_scores=3)
    frame = conn.sql("select * from nps").df()
    validate_nps(gx_session, frame.head(10))  # warm the metric registry
    started = time.perf_counter()
    outcome = validate_nps(gx_session, frame)
    elapsed = time.perf_counter() - started
    assert outcome.failures[0].unexpected_count == 3
    # About a second on an idle core; the bound leaves room for a busy CI machine.
    assert elapsed < 10, f"validating 50k rows took {elapsed:.1f}s"


def test_jsonable_metadata_survives_numpy_and_nan(gx_session):
    frame = pd.DataFrame(
        {"x": np.array([1.5, np.nan, 3.0]), "t": pd.to_datetime(["2010-01-01"] * 3)}
    )
    gx = pytest.importorskip("great_expectations")
    suite = new_suite(
        "test.json",
        [gx.expectations.ExpectColumnMaxToBeBetween(column="x", max_value=2, **level(WARN))],
    )
    result = check_result([gx_session.validate(frame, suite)])
    [failed] = result.metadata["failed_expectations"].value
    assert failed["observed_value"] == 3.0


def test_data_docs_compile_gxs_page_templates_once_per_process(tmp_path, conn, monkeypatch):
    """Each check's session renders its page with a new GX view (a new Jinja
    environment); the templates compiled for an earlier page are loaded, not compiled
    again (expectations.gx_views)."""
    import jinja2

    nps_rows(conn, 20, bad_scores=1)
    frame = conn.sql("select * from nps").df()
    validate_nps(ValidationSession(tmp_path, run_name="first"), frame)
    compiled: list[str | None] = []
    compile_template = jinja2.Environment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):
        compiled.append(name)
        return compile_template(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    outcome = validate_nps(ValidationSession(tmp_path, run_name="second"), frame)
    assert "score is an NPS answer from 0 to 10" in outcome.docs_page.read_text()
    assert compiled == []


def test_importing_gx_prints_no_pyspark_warning():
    """GX imports PySpark whenever it is installed (it is, for the Spark target), and
    PySpark warned on every `make run` that it does not support pandas 3; the one place
    that imports GX keeps that out of the pipeline's output. A fresh interpreter: this
    one may have imported GX already."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys\n"
        "from expectations._gx import import_gx\n"
        "import_gx()\n"
        "print('pyspark imported:', 'pyspark' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-W", "always", "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    # the case the filter is for: GX did import PySpark
    assert "pyspark imported: True" in done.stdout
    assert "PySpark does not yet fully support pandas" not in done.stderr, done.stderr
