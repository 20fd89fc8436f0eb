"""The Dagster assets of the raw layer: one per table, keys ``raw/<table>``.

Every asset parses its landing files first (no database connection held),
then opens DuckDB once and writes each month (or the reference table) in its
own transaction. A file that cannot be read, or that refuses more than the
allowed share of its rows, fails the run with a message naming the file, and
nothing of that run is written.
"""

import warnings
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import dagster as dg

from assets.raw.enrich import Reference
from assets.raw.errors import LandingFileError
from assets.raw.landing import empty_file_warning, forget_stale, index_landing
from assets.raw.loading import (
    Batch,
    ParsedFiles,
    RejectThresholdError,
    prepare_month,
    prepare_reference,
)
from assets.raw.readers import is_landing_candidate
from assets.raw.writer import read_reference_tables, replace_reference, write_partition
from warehouse.partitions import month_start
from warehouse.resource import WAREHOUSE_POOL, WarehouseResource
from warehouse.settings import Settings

GROUP = "raw"
BRANDS_KEY = dg.AssetKey(["raw", "brands"])
ACCOUNTS_KEY = dg.AssetKey(["raw", "webcare_accounts"])
OPENING_HOURS_KEY = dg.AssetKey(["raw", "webcare_account_opening_hours"])

_COMMON = (
    " Landing files: `<landing>/{source}/**` (CSV, CSV.gz, JSON Lines, Parquet{extra_types}),"
    " format from a sidecar, settings.source_formats or the header. Refused rows go to"
    " raw.rejected_rows with file, line, column and reason; a file over the reject threshold"
    " or that cannot be read fails the run."
)
DESCRIPTIONS = {
    "mentions": "Social messages of customers and brand accounts, one month per partition "
    "(by created_at in the reporting time zone). Authors are pseudonymised unless they are a "
    "brand account; brand and language are derived when absent. Formats: canonical, twcs.",
    "complaints": "Complaints from the traditional channels (phone, e-mail, letter, web form, "
    "store), one month per partition by received_at. customer_id and social_handle are "
    "pseudonymised with the mention authors' key. Formats: canonical, cfpb.",
    "nps_responses": "NPS survey answers (score 0-10), one month per partition by answered_at; "
    "respondent_id pseudonymised. Format: canonical.",
    "stock_prices": "Daily share prices per ticker, one month per partition by date. "
    "Formats: canonical, daily_prices (per-ticker Yahoo-style or long with Name).",
    "brands": "Brand reference (sector, ticker, keywords), replaced whole on every load.",
    "webcare_accounts": "Webcare accounts of the brands (handle, platform, promise, opening "
    "hours, time zone), replaced whole; opening hours are parsed into "
    "raw.webcare_account_opening_hours.",
}


def _description(source: str) -> str:
    extra_types = ", YAML" if source == "webcare_accounts" else ""
    return DESCRIPTIONS[source] + _COMMON.format(source=source, extra_types=extra_types)


def build_raw_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """Every raw asset; the four monthly sources use `partitions_def` (see `monthly_partitions`)."""
    with warnings.catch_warnings():
        # The single-run backfill policy is what lets one run load a range of
        # months; Dagster still labels the parameter beta.
        warnings.simplefilter("ignore", dg.BetaWarning)
        return [
            _reference_asset("brands"),
            _accounts_assets(),
            _partitioned_asset("mentions", partitions_def, deps=[BRANDS_KEY, ACCOUNTS_KEY]),
            _partitioned_asset("complaints", partitions_def),
            _partitioned_asset("nps_responses", partitions_def),
            _partitioned_asset("stock_prices", partitions_def),
        ]


def _partitioned_asset(
    source: str, partitions_def: dg.PartitionsDefinition, deps: Sequence[dg.AssetKey] = ()
) -> dg.AssetsDefinition:
    @dg.asset(
        key=["raw", source],
        description=_description(source),
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        deps=list(deps),
        group_name=GROUP,
        pool=WAREHOUSE_POOL,
        kinds={"duckdb", "polars"},
    )
    def _load_months(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, settings: Settings
    ) -> dg.MaterializeResult:
        return materialise_months(context, source, warehouse, settings)

    return _load_months


def _reference_asset(source: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=["raw", source],
        description=_description(source),
        group_name=GROUP,
        pool=WAREHOUSE_POOL,
        kinds={"duckdb", "polars"},
    )
    def _load_reference(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, settings: Settings
    ) -> dg.MaterializeResult:
        batch = _prepare_reference(context, source, settings)
        with warehouse.connect() as conn:
            replace_reference(conn, source, batch.tables, batch.rejected)
        return dg.MaterializeResult(metadata=_metadata([batch]))

    return _load_reference


def _accounts_assets() -> dg.AssetsDefinition:
    @dg.multi_asset(
        name="raw__webcare_accounts",
        specs=[
            dg.AssetSpec(
                ACCOUNTS_KEY,
                description=_description("webcare_accounts"),
                group_name=GROUP,
                kinds={"duckdb", "polars"},
            ),
            dg.AssetSpec(
                OPENING_HOURS_KEY,
                description="One row per weekly opening window of a webcare account (ISO "
                "weekday, local opens_at/closes_at in the account's time zone), parsed from "
                "raw.webcare_accounts.opening_hours; an account without rows is open 24/7.",
                group_name=GROUP,
                kinds={"duckdb"},
            ),
        ],
        pool=WAREHOUSE_POOL,
    )
    def _load_accounts(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, settings: Settings
    ):
        """Webcare accounts and their opening windows, written in one transaction."""
        batch = _prepare_reference(context, "webcare_accounts", settings)
        with warehouse.connect() as conn:
            replace_reference(conn, "webcare_accounts", batch.tables, batch.rejected)
        yield dg.MaterializeResult(asset_key=ACCOUNTS_KEY, metadata=_metadata([batch]))
        windows = batch.tables["webcare_account_opening_hours"]
        yield dg.MaterializeResult(
            asset_key=OPENING_HOURS_KEY,
            metadata={
                "rows_loaded": windows.height,
                "accounts_with_hours": windows.select("handle", "platform").unique().height,
            },
        )

    return _load_accounts


def _prepare_reference(context: dg.AssetExecutionContext, source: str, settings: Settings) -> Batch:
    index = index_landing(settings, [source], keep_parsed=True)
    for item in index.empty_files(source):
        context.log.warning(empty_file_warning(item))
    try:
        batch = prepare_reference(source, index, ParsedFiles(settings, index), settings, _now())
    except (LandingFileError, RejectThresholdError) as error:
        raise _failure(source, [error]) from error
    context.log.info(
        f"{source}: {batch.rows_loaded} rows from {len(batch.files)} file(s), "
        f"{batch.rows_rejected} refused, {batch.duplicates} exact duplicates loaded once"
    )
    _log_notes(context, [batch])
    return batch


def materialise_months(
    context: dg.AssetExecutionContext, source: str, warehouse: WarehouseResource, settings: Settings
) -> dg.MaterializeResult:
    """Load every month of the run for `source`: parse and check all, then write month by month."""
    months = sorted(context.partition_keys)
    reference = _read_reference(warehouse, settings) if source == "mentions" else None
    index = index_landing(settings, [source], keep_parsed=True)
    parsed_files = ParsedFiles(settings, index)
    loaded_at = _now()
    batches: list[Batch] = []
    errors: list[Exception] = []
    # An unreadable file outside a YYYY-MM folder touches no month, yet may hold
    # any month's rows: no month of the source can be trusted while it is there.
    for item in index.unplaced(source):
        errors.append(item.error())
    for item in index.empty_files(source):
        context.log.warning(empty_file_warning(item))
    failed_whole: set[str] = set()
    for number, month in enumerate(months, start=1):
        try:
            batch = prepare_month(
                source, month, index, parsed_files, settings, reference, loaded_at
            )
        except LandingFileError as error:
            context.log.error(f"{source} {month}: {error}")
            errors.append(error)
            continue
        except RejectThresholdError as error:
            # A file over the threshold as a whole fails each of its months: say it once.
            left = error.without_files(failed_whole)
            failed_whole.update(p.file for p in error.problems if p.whole_file)
            if left is not None:
                context.log.error(f"{source} {month}: {left}")
                errors.append(left)
            continue
        batches.append(batch)
        context.log.info(
            f"{source} {month} ({number}/{len(months)}): {batch.rows_loaded} rows from "
            f"{len(batch.files)} file(s), {batch.rows_rejected} refused, "
            f"{batch.duplicates} exact duplicates loaded once"
        )
    if errors:
        raise _failure(source, errors)
    with warehouse.connect() as conn:
        for batch in batches:
            write_partition(
                conn, source, month_start(batch.month), batch.tables[source], batch.rejected
            )
    # Months that lost files are now written from what is left: no longer stale.
    reloaded = _stale_months_written(index.stale.get(source, {}), months, settings.first_month)
    forget_stale(settings, source, reloaded)
    for month, files in reloaded.items():
        context.log.info(
            f"{source} {month}: reloaded without the files removed or changed since its last "
            f"load: {', '.join(files)}"
        )
    context.log.info(f"{source}: wrote {len(batches)} month(s)")
    _log_notes(context, batches)
    return dg.MaterializeResult(metadata=_metadata(batches))


def _stale_months_written(
    stale: dict[str, tuple[str, ...]], months: Sequence[str], first_month: str
) -> dict[str, tuple[str, ...]]:
    """The stale months a write of `months` reloaded; the first partition reloads earlier ones."""
    return {
        month: files
        for month, files in stale.items()
        if month in months or (first_month in months and month < first_month)
    }


def _log_notes(context: dg.AssetExecutionContext, batches: list[Batch]) -> None:
    """Log each note and warning of the batches once (a file touching many months has one)."""
    for line in _unique(note for batch in batches for note in batch.notes):
        context.log.warning(line)
    for line in _unique(warning for batch in batches for warning in batch.warnings):
        context.log.warning(line)


def _unique(lines: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(lines))


def _read_reference(warehouse: WarehouseResource, settings: Settings) -> Reference:
    with warehouse.connect() as conn:
        tables = read_reference_tables(conn)
    if tables is None:
        raise dg.Failure(
            description="raw.webcare_accounts and raw.brands are not in the warehouse yet: "
            "materialise raw/brands and raw/webcare_accounts before raw/mentions, so brand "
            "accounts keep their handles instead of being pseudonymised."
        )
    accounts, brands = tables
    # The first write of any raw asset creates every raw table empty, so an
    # empty reference table may only mean its asset has not run yet.
    for source, table in (("webcare_accounts", accounts), ("brands", brands)):
        if table.height == 0 and _has_landed_files(settings, source):
            raise dg.Failure(
                description=f"raw.{source} is empty but landing/{source}/ holds files: "
                f"materialise raw/{source} before raw/mentions, so brand accounts keep their "
                "handles instead of being pseudonymised."
            )
    return Reference.from_tables(accounts, brands)


def _has_landed_files(settings: Settings, source: str) -> bool:
    folder = settings.landing_path / source
    return folder.is_dir() and any(
        is_landing_candidate(path)
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
        for path in folder.rglob("*")
    )


def _failure(source: str, errors: list[Exception]) -> dg.Failure:
    lines = [str(error) for error in errors]
    metadata: dict[str, object] = {"errors": dg.MetadataValue.json(lines)}
    samples = [
        sample
        for error in errors
        if isinstance(error, RejectThresholdError)
        for sample in error.samples
    ]
    reasons: dict[str, int] = {}
    for error in errors:
        if isinstance(error, RejectThresholdError):
            for reason, count in error.reasons.items():
                reasons[reason] = reasons.get(reason, 0) + count
    if samples:
        metadata["refused_rows_sample"] = dg.MetadataValue.md(_markdown_table(samples))
        metadata["refusal_reasons"] = dg.MetadataValue.json(reasons)
    return dg.Failure(
        description=f"raw/{source} failed; nothing was written.\n" + "\n".join(lines),
        metadata=metadata,
    )


def _markdown_table(rows: list[dict[str, object]]) -> str:
    if not rows:
        return ""
    columns = list(rows[0])
    text = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        cells = [str(row[column]).replace("|", "\\|").replace("\n", " ") for column in columns]
        text.append("| " + " | ".join(cells) + " |")
    return "\n".join(text)


def _metadata(batches: list[Batch]) -> dict[str, object]:
    per_month = [
        {
            "month": batch.month or "all",
            "files": len(batch.files),
            "rows_loaded": batch.rows_loaded,
            "rows_rejected": batch.rows_rejected,
            "duplicates_dropped": batch.duplicates,
        }
        for batch in batches
    ]
    files = sorted({stats.file for batch in batches for stats in batch.files})
    metadata: dict[str, object] = {
        "rows_loaded": sum(batch.rows_loaded for batch in batches),
        "rows_rejected": sum(batch.rows_rejected for batch in batches),
        "duplicates_dropped": sum(batch.duplicates for batch in batches),
        "files_read": len(files),
        "per_month": dg.MetadataValue.md(_markdown_table(per_month)),
        "per_month_counts": dg.MetadataValue.json(per_month),
        "files": dg.MetadataValue.json(files),
    }
    notes = _unique(note for batch in batches for note in batch.notes)
    if notes:
        metadata["ignored_columns"] = dg.MetadataValue.json(notes)
    warning_lines = _unique(warning for batch in batches for warning in batch.warnings)
    if warning_lines:
        metadata["warnings"] = dg.MetadataValue.json(warning_lines)
    return metadata


def _now() -> datetime:
    """Load time as naive UTC (the warehouse stores UTC without a zone)."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)
