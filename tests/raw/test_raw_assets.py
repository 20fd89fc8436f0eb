"""Integration: landing files -> Dagster raw assets -> DuckDB, on small hand-written months."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path

import dagster as dg
import pandas as pd
import polars as pl
import pytest

from assets.raw.pseudonymise import pseudonymise
from assets.raw.writer import TABLES
from warehouse.settings import Settings

BRANDS = dg.AssetKey(["raw", "brands"])
ACCOUNTS = dg.AssetKey(["raw", "webcare_accounts"])
OPENING_HOURS = dg.AssetKey(["raw", "webcare_account_opening_hours"])
REFERENCE = (BRANDS, ACCOUNTS, OPENING_HOURS)
MENTIONS = dg.AssetKey(["raw", "mentions"])
COMPLAINTS = dg.AssetKey(["raw", "complaints"])
NPS = dg.AssetKey(["raw", "nps_responses"])
PRICES = dg.AssetKey(["raw", "stock_prices"])
MONTHLY = (MENTIONS, COMPLAINTS, NPS, PRICES)

MENTIONS_FILE = "mentions/demo/2010-03/mentions.csv"
MENTIONS_CSV = (
    "mention_id,platform,created_at,author_id,text,brand,in_reply_to_id,language,"
    "author_followers,url,deleted_at,is_automated\n"
    "m1,twitter,2010-03-01T10:00:00,@Jan_de_Vries,@BankX_Care mijn pas doet het niet,,,,12,,,\n"
    "m2,twitter,2010-03-01T10:05:00+01:00,bankx_care,@Jan_de_Vries we kijken ernaar ^JV,,m1,"
    ",,,,true\n"
    "m3,twitter,2010-03-28T02:30:00,piet,the telco network is down again,,,,,,,\n"
    "m4,twitter,2010-03-15T09:00:00,klaas,Telco is down again for me,,,,,,,\n"
    "m1,twitter,2010-03-01T10:00:00,@Jan_de_Vries,@BankX_Care mijn pas doet het niet,,,,12,,,\n"
    'm5,twitter,2010-03-20T12:00:00Z,anna,"multi\nline",,,,,,,\n'
    "m2,twitter,2010-03-01T10:06:00+01:00,BankX_Care,other text,,m1,,,,,\n"
    "m6,forum,2010-03-31T23:30:00Z,anna,late post,,,,,,,\n"
)
COMPLAINTS_JSONL = "\n".join(
    json.dumps(record)
    for record in (
        {
            "complaint_id": "c1",
            "brand": "bankx",
            "received_at": "2010-03-02T09:00:00",
            "channel": "Phone",
            "category": "card",
            "customer_id": "CUST-1",
            "social_handle": "@jan_de_vries",
            "resolved_at": "2010-03-03T09:00:00",
            "is_timely_response": True,
        },
        {
            "complaint_id": "c2",
            "brand": "bankx",
            "received_at": "2010-03-05T09:00:00",
            "channel": "email",
            "customer_id": "CUST-2",
        },
    )
)
PRICES_CSV = (
    "ticker,date,close,open,high,low,adj_close,volume,currency\n"
    "BNKX,2010-03-01,10.5,10,11,9.5,10.4,1000,EUR\n"
    "BNKX,2010-03-02,10.7,10.5,11,10,10.6,1200,EUR\n"
    "BNKX,2010-03-31,10.9,10.7,11,10.5,10.8,900,EUR\n"
    "BNKX,2010-04-01,11.0,10.9,11.2,10.8,10.9,800,EUR\n"
)
SNAPSHOTS = {
    "raw.mentions": "mention_id, created_at",
    "raw.complaints": "complaint_id",
    "raw.nps_responses": "response_id",
    "raw.stock_prices": "ticker, date",
    "raw.brands": "brand",
    "raw.webcare_accounts": "handle",
    "raw.webcare_account_opening_hours": "handle, weekday, opens_at",
    "raw.rejected_rows": "source, file, line",
}


def _nps_parquet() -> bytes:
    frame = pl.DataFrame(
        {
            "response_id": ["r1", "r2", "r3"],
            "brand": ["bankx", "bankx", "telco"],
            "answered_at": [
                datetime(2010, 3, 10, 8),
                datetime(2010, 3, 11, 8),
                datetime(2010, 3, 12, 8),
            ],
            "score": [9, 0, 10],
            "respondent_id": ["R-1", "Jan_de_Vries", None],
            "comment": [None, "slecht", "top"],
            "wave": ["2010-03"] * 3,
        }
    )
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


@pytest.fixture
def lenient(settings: Settings) -> Settings:
    """The test home with a 50% reject threshold, for months that plant several bad rows."""
    return Settings.from_env(home=settings.home, reject_threshold=0.5)


@pytest.fixture
def march(land: Callable[..., Path], reference_files: None) -> None:
    """One month of every partitioned source, plus a stock row and a mention in April."""
    land(MENTIONS_FILE, MENTIONS_CSV)
    land("complaints/demo/2010-03/complaints.jsonl", COMPLAINTS_JSONL)
    land("nps_responses/demo/2010-03/nps.parquet", _nps_parquet())
    land("stock_prices/demo/2010-03/prices.csv.gz", PRICES_CSV)


def _snapshot(query: Callable[..., list[tuple]]) -> dict[str, list[tuple]]:
    tables = {}
    for table, order in SNAPSHOTS.items():
        columns = [
            row[0]
            for row in query(
                "select column_name from information_schema.columns "
                "where table_schema = 'raw' and table_name = ? order by ordinal_position",
                [table.split(".")[1]],
            )
            if row[0] not in ("_loaded_at", "rejected_at")
        ]
        select = ", ".join(f'"{column}"' for column in columns)
        tables[table] = query(f"select {select} from {table} order by {order}")
    return tables


def test_a_month_loads_exact_rows_refusals_and_pseudonyms(
    march: None,
    lenient: Settings,
    materialise: Callable[..., dg.ExecuteInProcessResult],
    query: Callable[..., list[tuple]],
) -> None:
    materialise(REFERENCE, run_settings=lenient)
    result = materialise(MONTHLY, partition_key="2010-03", run_settings=lenient)

    key = lenient.pseudonymisation_key
    jan = pseudonymise(key, "jan_de_vries")
    assert query(
        "select mention_id, author_id, is_brand_account, brand, language, in_reply_to_id, "
        "extra->>'is_automated', _source_file, _source_line, partition_month "
        "from raw.mentions order by _source_line"
    ) == [
        ("m1", jan, False, "bankx", "nl", None, None, MENTIONS_FILE, 2, date(2010, 3, 1)),
        ("m2", "BankX_Care", True, "bankx", "nl", "m1", "true", MENTIONS_FILE, 3, date(2010, 3, 1)),
        (
            "m4",
            pseudonymise(key, "klaas"),
            False,
            "telco",
            "en",
            None,
            None,
            MENTIONS_FILE,
            5,
            date(2010, 3, 1),
        ),
        (
            "m5",
            pseudonymise(key, "anna"),
            False,
            None,
            None,
            None,
            None,
            MENTIONS_FILE,
            7,
            date(2010, 3, 1),
        ),
    ]
    assert query("select created_at from raw.mentions where mention_id = 'm1'") == [
        (datetime(2010, 3, 1, 9, 0),)
    ]
    assert query(
        "select file, line, \"column\", reason, record->>'text', partition_month "
        "from raw.rejected_rows where source = 'mentions' order by line"
    ) == [
        (
            MENTIONS_FILE,
            4,
            "created_at",
            "created_at: '2010-03-28T02:30:00' does not exist in Europe/Amsterdam "
            "(the clock jumps forward over that hour)",
            "the telco network is down again",
            date(2010, 3, 1),
        ),
        (
            MENTIONS_FILE,
            9,
            "mention_id",
            "mention_id: duplicate id with different content (first seen at line 3)",
            "other text",
            date(2010, 3, 1),
        ),
    ]

    assert query(
        "select complaint_id, channel, customer_id, social_handle, received_at, resolved_at, "
        "is_timely_response from raw.complaints order by complaint_id"
    ) == [
        (
            "c1",
            "phone",
            pseudonymise(key, "CUST-1"),
            jan,
            datetime(2010, 3, 2, 8),
            datetime(2010, 3, 3, 8),
            True,
        ),
        ("c2", "email", pseudonymise(key, "CUST-2"), None, datetime(2010, 3, 5, 8), None, None),
    ]
    # The complaint's social handle is the same person as the mention author.
    assert query(
        "select count(*) from raw.complaints c join raw.mentions m on m.author_id = c.social_handle"
    ) == [(1,)]
    assert query(
        "select response_id, score, respondent_id, comment, _source_line from raw.nps_responses "
        "order by response_id"
    ) == [
        ("r1", 9, pseudonymise(key, "R-1"), None, 1),
        ("r2", 0, jan, "slecht", 2),
        ("r3", 10, None, "top", 3),
    ]
    assert query("select ticker, date, close, volume from raw.stock_prices order by date") == [
        ("BNKX", date(2010, 3, 1), 10.5, 1000),
        ("BNKX", date(2010, 3, 2), 10.7, 1200),
        ("BNKX", date(2010, 3, 31), 10.9, 900),
    ]

    metadata = {
        event.asset_key.path[-1]: event.materialization.metadata
        for event in result.get_asset_materialization_events()
    }
    mentions = metadata["mentions"]
    assert mentions["rows_loaded"].value == 4
    assert mentions["rows_rejected"].value == 2
    assert mentions["duplicates_dropped"].value == 1
    assert mentions["files_read"].value == 1
    assert mentions["per_month_counts"].value == [
        {
            "month": "2010-03",
            "files": 1,
            "rows_loaded": 4,
            "rows_rejected": 2,
            "duplicates_dropped": 1,
        }
    ]
    assert metadata["stock_prices"]["rows_loaded"].value == 3


def test_reference_tables_and_opening_hours(
    land: Callable[..., Path],
    reference_files: None,
    lenient: Settings,
    materialise: Callable[..., dg.ExecuteInProcessResult],
    query: Callable[..., list[tuple]],
) -> None:
    land(
        "webcare_accounts/imports/more.csv",
        "brand,handle,platform,opening_hours\n"
        "telco,TelcoBot,twitter,weekdays 9 to 5\n"
        "telco,@telco_nl,facebook,sun 22:00-02:00\n",
    )
    materialise(REFERENCE, run_settings=lenient)
    assert query(
        "select brand, handle, is_bot, promised_response_minutes, timezone "
        "from raw.webcare_accounts "
        "order by handle"
    ) == [
        ("bankx", "BankX_Care", False, 60, "Europe/Amsterdam"),
        ("telco", "TelcoHelp", False, None, "Europe/Amsterdam"),
        ("telco", "telco_nl", False, None, "Europe/Amsterdam"),
    ]
    assert query(
        "select handle, weekday, opens_at, closes_at from raw.webcare_account_opening_hours "
        "order by handle, weekday"
    ) == [("BankX_Care", day, time(8), time(20)) for day in range(1, 6)] + [
        ("BankX_Care", 6, time(10), time(16)),
        ("telco_nl", 1, time(0), time(2)),
        ("telco_nl", 7, time(22), time(23, 59, 59, 999999)),
    ]
    assert query("select brand, keywords, shares_outstanding from raw.brands order by brand") == [
        ("bankx", ["bank x", "bankx"], 1000000),
        ("telco", ["telco"], None),
    ]
    assert query('select file, line, "column", reason, partition_month from raw.rejected_rows') == [
        (
            "webcare_accounts/imports/more.csv",
            2,
            "opening_hours",
            "opening_hours: 'weekdays' is not a day or a day range like 'mon-fri'",
            None,
        )
    ]


def test_rematerialising_a_month_changes_nothing_and_leaves_other_months(
    march: None,
    lenient: Settings,
    materialise: Callable[..., dg.ExecuteInProcessResult],
    query: Callable[..., list[tuple]],
) -> None:
    materialise(REFERENCE, run_settings=lenient)
    materialise(MONTHLY, partition_key="2010-03", run_settings=lenient)
    materialise(MONTHLY, partition_key="2010-04", run_settings=lenient)
    before = _snapshot(query)
    assert query("select count(*) from raw.mentions where partition_month = '2010-04-01'") == [(1,)]
    materialise(MONTHLY, partition_key="2010-03", run_settings=lenient)
    materialise(REFERENCE, run_settings=lenient)
    assert _snapshot(query) == before


def test_a_run_over_a_range_of_months_writes_each_month(
    march: None,
    lenient: Settings,
    materialise: Callable[..., dg.ExecuteInProcessResult],
    query: Callable[..., list[tuple]],
) -> None:
    result = materialise(
        [PRICES],
        tags={
            "dagster/asset_partition_range_start": "2010-03",
            "dagster/asset_partition_range_end": "2010-04",
        },
        run_settings=lenient,
    )
    assert query(
        "select partition_month, count(*) from raw.stock_prices group by all order by 1"
    ) == [(date(2010, 3, 1), 3), (date(2010, 4, 1), 1)]
    [event] = result.get_asset_materialization_events()[:1]
    assert [row["month"] for row in event.materialization.metadata["per_month_counts"].value] == [
        "2010-03",
        "2010-04",
    ]


def test_a_corrupted_file_fails_with_file_and_line_and_writes_nothing(
    land: Callable[..., Path],
    materialise: Callable[..., dg.ExecuteInProcessResult],
    query: Callable[..., list[tuple]],
) -> None:
    good = (
        "response_id,brand,answered_at,score\n"
        "r1,bankx,2010-05-03T10:00:00,8\n"
        "r2,bankx,2010-05-03T11:00:00,9\n"
    )
    land("nps_responses/demo/2010-05/nps.csv", good)
    materialise([NPS], partition_key="2010-05")
    land(
        "nps_responses/demo/2010-05/nps.csv",
        good.encode() + b"r3,bankx,2010-05-04T10:00:00,7 \xff\n",
    )
    with pytest.raises(dg.Failure) as failure:
        materialise([NPS], partition_key="2010-05")
    assert "nps_responses/demo/2010-05/nps.csv, line 4: is not valid UTF-8 (byte 0xff)" in (
        failure.value.description
    )
    assert query("select response_id from raw.nps_responses order by 1") == [("r1",), ("r2",)]

    land("nps_responses/demo/2010-05/nps.csv", good + 'r3,bankx,2010-05-04T10:00:00,7,"extra"\n')
    with pytest.raises(dg.Failure) as failure:
        materialise([NPS], partition_key="2010-05")
    assert "nps_responses/demo/2010-05/nps.csv, line 4: has 5 fields where the header has 4" in (
        failure.value.description
    )

    land(
        "nps_responses/demo/2010-05/nps.csv",
        "id,brand,when,score\nr1,bankx,2010-05-03T10:00:00,8\n",
    )
    with pytest.raises(dg.Failure) as failure:
        materialise([NPS], partition_key="2010-05")
    assert "nps_responses/demo/2010-05/nps.csv: cannot tell which nps_responses format" in (
        failure.value.description
    )
    assert "columns seen: id, brand, when, score" in failure.value.description


def test_a_file_over_the_reject_threshold_fails_and_keeps_the_reasons(
    settings: Settings,
    land: Callable[..., Path],
    materialise: Callable[..., dg.ExecuteInProcessResult],
) -> None:
    rows = [f"r{i},bankx,2010-06-0{1 + i % 9}T10:00:00,{i % 11}" for i in range(18)]
    rows += ["r18,bankx,2010-06-05T10:00:00,12", "r19,,2010-06-05T10:00:00,5"]
    land(
        "nps_responses/demo/2010-06/nps.csv",
        "response_id,brand,answered_at,score\n" + "\n".join(rows),
    )
    with pytest.raises(dg.Failure) as failure:
        materialise([NPS], partition_key="2010-06")
    description = failure.value.description
    assert (
        "nps_responses/demo/2010-06/nps.csv: 2 of 20 rows refused in the whole file (10.0%), "
        "2 of 20 in 2010-06 (10.0%); over the 5.0% threshold for the whole file "
        "(a month is judged on its own from 100 rows); "
        "top reasons: 1 x score: 12 is outside 0..10; 1 x brand: required value is missing"
    ) in description
    samples = failure.value.metadata["refused_rows_sample"].value
    assert (
        "| nps_responses/demo/2010-06/nps.csv | 20 | score | score: 12 is outside 0..10 |"
        in samples
    )
    assert not Path(settings.duckdb_path).exists()


def test_undatable_rows_belong_to_the_folder_month_else_the_first_month(
    land: Callable[..., Path],
    lenient: Settings,
    materialise: Callable[..., dg.ExecuteInProcessResult],
    query: Callable[..., list[tuple]],
) -> None:
    header = "response_id,brand,answered_at,score\n"
    land(
        "nps_responses/demo/2010-07/a.csv",
        header
        + "a1,bankx,2010-07-01T10:00:00,8\na2,bankx,2010-07-02T10:00:00,8\na3,bankx,soon,9\n",
    )
    land(
        "nps_responses/imports/b.csv",
        header + "b1,bankx,2010-09-02T10:00:00,8\nb2,bankx,,9\nb3,bankx,2010-08-02T10:00:00,8\n",
    )
    for month in ("2010-07", "2010-08", "2010-09"):
        materialise([NPS], partition_key=month, run_settings=lenient)
    assert query(
        "select file, line, reason, partition_month from raw.rejected_rows order by file"
    ) == [
        (
            "nps_responses/demo/2010-07/a.csv",
            4,
            "answered_at: cannot parse 'soon' as an ISO 8601 timestamp",
            date(2010, 7, 1),
        ),
        (
            "nps_responses/imports/b.csv",
            3,
            "answered_at: required value is missing",
            date(2010, 8, 1),
        ),
    ]
    assert query("select response_id, partition_month from raw.nps_responses order by 1") == [
        ("a1", date(2010, 7, 1)),
        ("a2", date(2010, 7, 1)),
        ("b1", date(2010, 9, 1)),
        ("b3", date(2010, 8, 1)),
    ]


def test_mentions_need_the_reference_tables_first(
    march: None, materialise: Callable[..., dg.ExecuteInProcessResult]
) -> None:
    with pytest.raises(
        dg.Failure, match="materialise raw/brands and raw/webcare_accounts before raw/mentions"
    ):
        materialise([MENTIONS], partition_key="2010-03")


def test_a_pandas_csv_loads_and_the_ignored_index_column_is_reported(
    settings: Settings,
    land: Callable[..., Path],
    materialise: Callable[..., dg.ExecuteInProcessResult],
    query: Callable[..., list[tuple]],
) -> None:
    answers = pd.DataFrame(
        {
            "response_id": ["r1", "r2"],
            "brand": ["bankx", "telco"],
            "answered_at": ["2010-05-03T10:00:00", "2010-05-04T10:00:00"],
            "score": [9, 3],
            "survey": ["spring", "spring"],
        }
    )
    # pandas writes its index as a first column with an empty header.
    land("nps_responses/imports/answers.csv", answers.to_csv())
    instance = dg.DagsterInstance.ephemeral()
    result = materialise([NPS], partition_key="2010-05", instance=instance)

    assert query(
        "select response_id, score, extra::varchar, _source_line from raw.nps_responses order by 1"
    ) == [("r1", 9, '{"survey":"spring"}', 2), ("r2", 3, '{"survey":"spring"}', 3)]
    note = (
        "nps_responses/imports/answers.csv: column 1 of 6 has no name (empty header, as "
        "pandas' DataFrame.to_csv writes its index); it is ignored, not loaded"
    )
    [event] = result.get_asset_materialization_events()
    assert event.materialization.metadata["ignored_columns"].value == [note]
    warnings = [
        entry.user_message
        for entry in instance.all_logs(result.run_id)
        if entry.level == logging.WARNING
    ]
    assert warnings == [note]


def test_a_fresh_home_gets_every_raw_table_and_warns_about_empty_reference(
    settings: Settings,
    land: Callable[..., Path],
    materialise: Callable[..., dg.ExecuteInProcessResult],
    query: Callable[..., list[tuple]],
) -> None:
    """No reference files at all: empty tables with their full schema and a warning each."""
    result = materialise(REFERENCE)
    metadata = {
        event.asset_key.path[-1]: event.materialization.metadata
        for event in result.get_asset_materialization_events()
    }
    assert metadata["webcare_accounts"]["warnings"].value == [
        "no webcare accounts landed: raw.webcare_accounts is empty, so brand accounts are "
        "known only where an export marks them (twcs inbound = False) and the response KPIs "
        "(first response times, promises kept) will be empty. Land them under "
        "landing/webcare_accounts/ to fill it."
    ]
    assert metadata["brands"]["warnings"].value == [
        "no brands landed: raw.brands is empty, so brands found in the data get sector "
        "'unassigned' and no ticker, and the share-price KPIs will be empty. Land them under "
        "landing/brands/ to fill it."
    ]
    assert metadata["webcare_account_opening_hours"]["rows_loaded"].value == 0
    columns = query(
        "select table_name, list(column_name order by ordinal_position) "
        "from information_schema.columns where table_schema = 'raw' group by table_name"
    )
    assert dict(columns) == {name: table.column_names for name, table in TABLES.items()}
    assert query(
        "select (select count(*) from raw.webcare_accounts) + (select count(*) from raw.brands)"
    ) == [(0,)]


def test_mentions_wait_for_reference_files_that_landed_but_are_not_loaded(
    march: None,
    lenient: Settings,
    materialise: Callable[..., dg.ExecuteInProcessResult],
) -> None:
    # Loading any source first creates every raw table, the reference ones empty.
    materialise([NPS], partition_key="2010-03", run_settings=lenient)
    with pytest.raises(
        dg.Failure,
        match=r"raw\.webcare_accounts is empty but landing/webcare_accounts/ holds files: "
        r"materialise raw/webcare_accounts before raw/mentions",
    ):
        materialise([MENTIONS], partition_key="2010-03", run_settings=lenient)
