"""Reading the frames the checks validate: short DuckDB reads into pandas, values as parameters.

Table names are constants of this package, never user input; every value (a
month, a source) reaches SQL as a parameter.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import duckdb

from expectations.window import MonthWindow
from warehouse import contract

if TYPE_CHECKING:
    import pandas as pd

# Columns a check never needs: kept out of the frame so large JSON stays in DuckDB.
_SKIPPED_COLUMNS = ("extra", "_loaded_at")


class MissingTableError(RuntimeError):
    """A table a check reads does not exist in the warehouse."""


def require_tables(conn: duckdb.DuckDBPyConnection, *tables: str) -> None:
    """Fail with a message naming every missing ``schema.table`` among `tables`."""
    present = {
        f"{schema}.{name}"
        for schema, name in conn.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
    }
    missing = [t for t in tables if t not in present]
    if missing:
        raise MissingTableError(
            f"cannot check: {', '.join(missing)} missing from the warehouse "
            "(materialise the asset that writes it first)"
        )


def _columns(conn: duckdb.DuckDBPyConnection, table: str) -> str:
    schema, name = table.split(".")
    rows = conn.execute(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, name],
    ).fetchall()
    return ", ".join(f'"{c}"' for (c,) in rows if c not in _SKIPPED_COLUMNS)


def read_months(conn: duckdb.DuckDBPyConnection, table: str, window: MonthWindow) -> pd.DataFrame:
    """The rows of a monthly partitioned `table` whose ``partition_month`` is in `window`."""
    require_tables(conn, table)
    return conn.execute(
        f"select {_columns(conn, table)} from {table} "
        "where partition_month in (select unnest(?::date[]))",
        [list(window.months)],
    ).df()


def read_table(conn: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame:
    """Every row of `table` (a reference table or a mart)."""
    require_tables(conn, table)
    return conn.execute(f"select {_columns(conn, table)} from {table}").df()


def reject_shares(
    conn: duckdb.DuckDBPyConnection,
    source: str,
    table: str,
    window: MonthWindow | None,
    min_month_rows: int = 0,
) -> pd.DataFrame:
    """Rows loaded and rejected per month of `window` (one row, month null, for a reference
    source).

    Columns: ``source``, ``partition_month``, ``rows_loaded``, ``rows_rejected``,
    ``reject_share`` = rejected / (loaded + rejected); null for a month with fewer than
    `min_month_rows` rows, which is too small to be judged on its own (as the raw
    asset does; settings.reject_min_month_rows).
    """
    require_tables(conn, table, "raw.rejected_rows")
    if window is None:
        return conn.execute(
            f"""
            with counts as (
                select
                    (select count(*) from {table}) as rows_loaded,
                    (select count(*) from raw.rejected_rows where source = ?) as rows_rejected
            )
            select
                ?::varchar as source,
                null::date as partition_month,
                rows_loaded,
                rows_rejected,
                rows_rejected / nullif(rows_loaded + rows_rejected, 0) as reject_share
            from counts
            """,
            [source, source],
        ).df()
    return conn.execute(
        f"""
        with months as (select unnest(?::date[]) as partition_month),
        loaded as (
            select partition_month, count(*) as n
            from {table}
            where partition_month in (select partition_month from months)
            group by partition_month
        ),
        rejected as (
            -- Rows filed under a month only because their own date could not place
            -- them (undatable, too far ahead, before the first partition) are judged
            -- with their file by the loader, not as the month's losses.
            select partition_month, count(*) as n
            from raw.rejected_rows
            where
                source = ? and partition_month in (select partition_month from months)
                and is_dated_in_month is not false
            group by partition_month
        )
        select
            ?::varchar as source,
            months.partition_month,
            coalesce(loaded.n, 0) as rows_loaded,
            coalesce(rejected.n, 0) as rows_rejected,
            case
                when rows_loaded + rows_rejected >= greatest(?, 1)
                    then rows_rejected / (rows_loaded + rows_rejected)
            end as reject_share
        from months
        left join loaded using (partition_month)
        left join rejected using (partition_month)
        order by months.partition_month
        """,
        [list(window.months), source, source, min_month_rows],
    ).df()


def mention_scores(conn: duckdb.DuckDBPyConnection, window: MonthWindow) -> pd.DataFrame:
    """``scores.mention_sentiment`` of the months full-outer-joined with their inbound mentions."""
    require_tables(conn, "raw.mentions", "scores.mention_sentiment")
    return _scores_against_records(
        conn,
        window,
        scores="scores.mention_sentiment",
        records="""
            select platform, mention_id, partition_month as source_month
            from raw.mentions
            where partition_month in (select unnest($months)) and not is_brand_account
        """,
        key=contract.SCORE_TABLES["mention_sentiment"].primary_key,
    )


def nps_comment_scores(conn: duckdb.DuckDBPyConnection, window: MonthWindow) -> pd.DataFrame:
    """``scores.nps_comment_sentiment`` of the months full-outer-joined with their NPS responses
    whose comment is not blank."""
    require_tables(conn, "raw.nps_responses", "scores.nps_comment_sentiment")
    return _scores_against_records(
        conn,
        window,
        scores="scores.nps_comment_sentiment",
        records="""
            select response_id, partition_month as source_month
            from raw.nps_responses
            where partition_month in (select unnest($months))
                and comment is not null and trim(comment) <> ''
        """,
        key=contract.SCORE_TABLES["nps_comment_sentiment"].primary_key,
    )


def _scores_against_records(
    conn: duckdb.DuckDBPyConnection,
    window: MonthWindow,
    *,
    scores: str,
    records: str,
    key: tuple[str, ...],
) -> pd.DataFrame:
    keys = ", ".join(f"coalesce(s.{k}, r.{k}) as {k}" for k in key)
    join = " and ".join(f"s.{k} = r.{k}" for k in key)
    return conn.execute(
        f"""
        with records as ({records}),
        scored as (select * from {scores} where partition_month in (select unnest($months)))
        select
            {keys},
            s.partition_month,
            r.source_month,
            s.text_hash,
            s.label,
            s.p_negative,
            s.p_neutral,
            s.p_positive,
            s.score,
            s.model_version,
            r.{key[-1]} is not null as expected_score,
            s.{key[-1]} is not null as has_score
        from scored as s
        full outer join records as r on {join}
        """,
        {"months": list(window.months)},
    ).df()


def monthly_volumes(
    conn: duckdb.DuckDBPyConnection, table: str, first: date, last: date
) -> tuple[pd.DataFrame, list[date]]:
    """Rows per brand and month of `table` from `first` to `last`, and the months with any row."""
    require_tables(conn, table)
    counts = conn.execute(
        f"""
        select brand, partition_month as month, count(*) as volume
        from {table}
        where brand is not null and partition_month between ? and ?
        group by brand, partition_month
        """,
        [first, last],
    ).df()
    months = conn.execute(
        f"select distinct partition_month from {table} where partition_month between ? and ?",
        [first, last],
    ).fetchall()
    return counts, [m for (m,) in months]


def newest_row(conn: duckdb.DuckDBPyConnection, source: str) -> tuple[date | None, datetime | None]:
    """The newest partition month of ``raw.<source>`` and the time of its newest row
    (naive UTC); both None for an empty table."""
    table = contract.RAW_TABLES[source]
    return conn.execute(
        f"select max({table.partition_column}), max({table.partitioned_by}) from raw.{source}"
    ).fetchone()


def brand_month_spine(conn: duckdb.DuckDBPyConnection, months: str, brands: str) -> pd.DataFrame:
    """Every brand of `brands` x every month of `months` (``brand``, ``reporting_month``)."""
    require_tables(conn, months, brands)
    return conn.execute(
        f"select b.brand, m.reporting_month from {brands} as b cross join {months} as m"
    ).df()
