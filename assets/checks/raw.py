"""Blocking Great Expectations checks on the raw assets (what landed in ``raw.*``)."""

import importlib
from dataclasses import dataclass

import dagster as dg

from assets.checks import _reading
from assets.checks._running import GX_CHECK_NAME, asset_check, report, run_window, session
from warehouse import contract
from warehouse.resource import WAREHOUSE_POOL, WarehouseResource
from warehouse.settings import SOURCES, Settings


@dataclass(frozen=True)
class RawTable:
    """A raw table, the suite module that checks it, and the columns naming an offending row."""

    source: str
    suite_module: str
    key: tuple[str, ...]
    partitioned: bool = True

    @property
    def table(self) -> str:
        """``raw.<source>``."""
        return f"raw.{self.source}"

    @property
    def index_columns(self) -> tuple[str, ...]:
        """The key plus the lineage columns, so an offending row names its file and line."""
        return (*self.key, "_source_file", "_source_line")


RAW_TABLES = tuple(
    RawTable(
        name,
        f"expectations.suites.raw_{name}",
        contract.RAW_TABLES[name].primary_key,
        partitioned=contract.RAW_TABLES[name].partition_column is not None,
    )
    for name in SOURCES
)


def build_raw_checks(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetChecksDefinition]:
    """One blocking check per raw table: its suite and its reject share, for the run's months."""
    return [_raw_check(table, partitions_def) for table in RAW_TABLES]


def _raw_check(raw: RawTable, partitions_def: dg.PartitionsDefinition) -> dg.AssetChecksDefinition:
    @asset_check(
        partitions_def if raw.partitioned else None,
        asset=dg.AssetKey(["raw", raw.source]),
        name=GX_CHECK_NAME,
        description=f"Great Expectations on {raw.table} (suite {raw.suite_module}) and its "
        "share of rejected rows; an error-level failure stops everything downstream.",
        blocking=True,
        pool=WAREHOUSE_POOL,
    )
    def check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, settings: Settings
    ) -> dg.AssetCheckResult:
        from expectations.runner import check_result, data_docs_index
        from expectations.suites import landing

        suites = importlib.import_module(raw.suite_module)
        window = run_window(context, settings) if raw.partitioned else None
        with warehouse.connect() as conn:
            if window is None:
                frame = _reading.read_table(conn, raw.table)
            else:
                frame = _reading.read_months(conn, raw.table, window)
            shares = _reading.reject_shares(
                conn, raw.source, raw.table, window, settings.reject_min_month_rows
            )
        gx = session(context, settings)
        label = window.label if window is not None else "all"
        if window is None:
            prepared = suites.prepare(frame) if hasattr(suites, "prepare") else frame
            suite = suites.build_suite()
        else:
            prepared = suites.prepare(frame, window)
            suite = suites.build_suite(window)
        outcomes = [
            gx.validate(prepared, suite, label=label, index_columns=raw.index_columns),
            gx.validate(
                shares,
                landing.build_suite(
                    raw.table, settings.reject_threshold, reference=not raw.partitioned
                ),
                label=label,
                index_columns=("partition_month", "rows_loaded", "rows_rejected"),
            ),
        ]
        return report(
            context,
            check_result(
                outcomes,
                metadata={"months": label},
                docs_index=data_docs_index(settings),
            ),
        )

    return check
