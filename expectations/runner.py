"""Validate frames against the suites with an ephemeral GX context; report as asset-check results.

Frames come from DuckDB through pandas or Arrow (``conn.sql(...).df()`` or
``.arrow()``), never through DuckDB's SQLAlchemy driver, whose metric
resolution is unreliable. One `ValidationSession` (one GX context) serves one
check run: each `validate` call runs one suite on one frame and renders its
Data Docs page (see `expectations.data_docs`), and `check_result` folds the
outcomes into one `dagster.AssetCheckResult`.

Typical use inside an asset check::

    session = ValidationSession(settings.state_dir, run_name=context.run.run_id)
    outcome = session.validate(frame, suite, label="2010-01", index_columns=["mention_id"])
    return check_result([outcome])
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from expectations import data_docs
from expectations._gx import import_gx
from expectations.data_docs import data_docs_index
from expectations.frames import as_pandas
from expectations.suites._common import ERROR, WARN

if TYPE_CHECKING:
    import dagster as dg
    from great_expectations import ExpectationSuite
    from great_expectations.core import ExpectationSuiteValidationResult

__all__ = [
    "FailedExpectation",
    "ValidationOutcome",
    "ValidationSession",
    "as_pandas",
    "check_result",
    "data_docs_index",
    "describe",
]

# Offending rows shown per failed expectation, in Dagster metadata and Data Docs.
EXAMPLES_PER_FAILURE = 5
# Long texts in examples are cut to this many characters in Dagster metadata.
MAX_EXAMPLE_CHARS = 160
_GX_TO_OURS = {"critical": ERROR, "warning": WARN, "info": WARN}


@dataclass(frozen=True)
class FailedExpectation:
    """One expectation that did not hold, in the terms a reader of the check needs."""

    suite: str
    expectation: str
    columns: tuple[str, ...]
    rule: str
    severity: str
    observed: Any
    unexpected_count: int | None
    unexpected_percent: float | None
    examples: tuple[Any, ...]

    def summary(self) -> str:
        """``raw.mentions: platform is one of ... (2 unexpected, e.g. 'myspace')``."""
        text = f"{self.suite}: {self.rule}"
        details = []
        if self.unexpected_count is not None:
            details.append(f"{self.unexpected_count} unexpected")
        elif self.observed is not None:
            details.append(f"observed {_short(self.observed)}")
        if self.examples:
            details.append(f"e.g. {_short(self.examples[0])}")
        return f"{text} ({', '.join(details)})" if details else text

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for Dagster metadata."""
        return {
            "suite": self.suite,
            "expectation": self.expectation,
            "columns": list(self.columns),
            "rule": self.rule,
            "severity": self.severity,
            "observed_value": self.observed,
            "unexpected_count": self.unexpected_count,
            "unexpected_percent": self.unexpected_percent,
            "examples": list(self.examples),
        }


@dataclass(frozen=True)
class ValidationOutcome:
    """What one suite said about one frame."""

    suite: str
    label: str
    rows: int
    evaluated: int
    failures: tuple[FailedExpectation, ...]
    seconds: float
    docs_page: Path | None = None

    @property
    def passed(self) -> bool:
        """True when every expectation held."""
        return not self.failures

    @property
    def severity(self) -> str | None:
        """``error`` if an error-level expectation failed, ``warn`` if only warn-level ones did."""
        if any(f.severity == ERROR for f in self.failures):
            return ERROR
        return WARN if self.failures else None

    def failed(self, severity: str | None = None) -> list[FailedExpectation]:
        """Failed expectations, optionally only those of `severity`."""
        return [f for f in self.failures if severity is None or f.severity == severity]

    def failed_rules(self) -> list[str]:
        """The rules (descriptions) of the failed expectations."""
        return [f.rule for f in self.failures]


@dataclass
class ValidationSession:
    """One ephemeral GX context for one check run.

    With a `state_dir`, every validation's Data Docs page is written under
    ``<state_dir>/data_docs`` and listed in its index; without one nothing
    touches the disk (unit tests).
    """

    state_dir: str | Path | None = None
    run_name: str | None = None
    _context: Any = field(init=False, repr=False)
    _datasource: Any = field(init=False, repr=False)
    _run_id: Any = field(init=False, repr=False)
    _names: set[str] = field(default_factory=set, init=False, repr=False)

    def __post_init__(self) -> None:
        gx = import_gx()
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )

        # Every store stays in memory: the HTML pages are the record a person reads.
        sites: dict[str, Any] = {}
        plugins: str | None = None
        if self.state_dir is not None:
            sites["local_site"] = data_docs.site_config(Path(self.state_dir))
            plugins = str(data_docs.plugins_directory(Path(self.state_dir)))
        config = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(),
            data_docs_sites=sites,
            plugins_directory=plugins,
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False),
        )
        self._context = gx.get_context(mode="ephemeral", project_config=config)
        self._datasource = self._context.data_sources.add_pandas("warehouse")
        from great_expectations.core.run_identifier import RunIdentifier

        self._run_id = RunIdentifier(run_name=self.run_name, run_time=datetime.now(UTC))

    def validate(
        self,
        frame: Any,
        suite: ExpectationSuite,
        *,
        label: str = "",
        index_columns: Sequence[str] = (),
        examples: int = EXAMPLES_PER_FAILURE,
    ) -> ValidationOutcome:
        """Run `suite` on `frame` (pandas, Arrow table or reader, polars) and return the outcome.

        `index_columns` name the columns that identify an offending row (e.g.
        ``platform``, ``mention_id``): failed expectations then list those
        values for their first `examples` rows instead of bare row numbers.
        """
        gx = import_gx()
        started = time.perf_counter()
        frame = as_pandas(frame)
        asset_name = self._asset_name(suite.name, label)
        asset = self._datasource.add_dataframe_asset(asset_name)
        batch = asset.add_batch_definition_whole_dataframe("frame")
        suite = self._context.suites.add_or_update(suite)
        definition = self._context.validation_definitions.add(
            gx.ValidationDefinition(name=asset_name, data=batch, suite=suite)
        )
        result_format: dict[str, Any] = {
            "result_format": "SUMMARY",
            "partial_unexpected_count": examples,
        }
        present = [c for c in index_columns if c in frame.columns]
        if present:
            result_format["unexpected_index_column_names"] = present
        result = definition.run(
            batch_parameters={"dataframe": frame},
            result_format=result_format,
            run_id=self._run_id,
        )
        outcome = ValidationOutcome(
            suite=suite.name,
            label=label,
            rows=len(frame),
            evaluated=len(result.results),
            failures=tuple(_failures(result, examples)),
            seconds=time.perf_counter() - started,
        )
        if self.state_dir is None:
            return outcome
        page = self._write_docs(result, outcome)
        return replace(outcome, docs_page=page, seconds=time.perf_counter() - started)

    def _asset_name(self, suite_name: str, label: str) -> str:
        # The name becomes a Data Docs file name: keep it readable and path-safe.
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{suite_name}_{label}".strip("_"))
        name, n = base, 1
        while name in self._names:
            n += 1
            name = f"{base}_{n}"
        self._names.add(name)
        return name

    def _write_docs(
        self, result: ExpectationSuiteValidationResult, outcome: ValidationOutcome
    ) -> Path:
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
            ValidationResultIdentifier,
        )

        suite_id = ExpectationSuiteIdentifier(name=result.suite_name)
        result_id = ValidationResultIdentifier(
            expectation_suite_identifier=suite_id,
            run_id=self._run_id,
            batch_identifier=result.batch_id,
        )
        with data_docs.locked_site(Path(self.state_dir)) as docs:
            self._context.build_data_docs(
                resource_identifiers=[suite_id, result_id], build_index=False
            )
            [site] = self._context.get_docs_sites_urls(resource_identifier=result_id)
            page = Path(unquote(urlparse(site["site_url"]).path))
            data_docs.record(
                docs,
                data_docs.IndexEntry(
                    validated_at=f"{self._run_id.run_time:%Y-%m-%d %H:%M:%S}",
                    run=self.run_name or "",
                    suite=outcome.suite,
                    label=outcome.label,
                    rows=outcome.rows,
                    evaluated=outcome.evaluated,
                    failed_error=len(outcome.failed(ERROR)),
                    failed_warn=len(outcome.failed(WARN)),
                    page=page.relative_to(docs).as_posix(),
                ),
            )
        return page


def check_result(
    outcomes: Sequence[ValidationOutcome],
    *,
    metadata: Mapping[str, Any] | None = None,
    docs_index: Path | None = None,
    note: str | None = None,
) -> dg.AssetCheckResult:
    """Fold validation outcomes into one Dagster asset-check result.

    Passed when every expectation held. Otherwise the severity is ERROR when an
    error-level expectation failed (a blocking check then stops what is
    downstream) and WARN when only warn-level ones did. The metadata lists each
    failed expectation with its observed value and a few offending rows, and
    counts rows and expectations; `metadata` adds the caller's own entries, `note`
    a sentence after the description.
    """
    import dagster as dg

    failures = [f for outcome in outcomes for f in outcome.failures]
    errors = [f for f in failures if f.severity == ERROR]
    warnings = [f for f in failures if f.severity == WARN]
    entries: dict[str, Any] = {
        "rows_validated": dg.MetadataValue.int(sum(o.rows for o in outcomes)),
        "expectations_evaluated": dg.MetadataValue.int(sum(o.evaluated for o in outcomes)),
        "expectations_failed_error": dg.MetadataValue.int(len(errors)),
        "expectations_failed_warn": dg.MetadataValue.int(len(warnings)),
        "validations": dg.MetadataValue.md(_validations_table(outcomes)),
        "seconds": dg.MetadataValue.float(round(sum(o.seconds for o in outcomes), 3)),
    }
    if failures:
        entries["failed_expectations"] = dg.MetadataValue.json(
            [_jsonable(f.as_dict()) for f in failures]
        )
        entries["failures"] = dg.MetadataValue.md(_failures_table(failures))
    if docs_index is not None:
        entries["data_docs"] = dg.MetadataValue.path(str(docs_index))
    entries.update(metadata or {})
    return dg.AssetCheckResult(
        passed=not failures,
        severity=dg.AssetCheckSeverity.ERROR if errors else dg.AssetCheckSeverity.WARN,
        metadata=entries,
        description=describe(outcomes) + (f" ({note})" if note else ""),
    )


def describe(outcomes: Sequence[ValidationOutcome]) -> str:
    """One paragraph naming the failed expectations (or saying that all held)."""
    failures = [f for outcome in outcomes for f in outcome.failures]
    evaluated = sum(o.evaluated for o in outcomes)
    if not failures:
        return f"all {evaluated} expectations held ({sum(o.rows for o in outcomes)} rows)"
    ordered = sorted(failures, key=lambda f: f.severity != ERROR)
    lines = [f"[{f.severity}] {f.summary()}" for f in ordered]
    return f"{len(failures)} of {evaluated} expectations failed: " + "; ".join(lines)


def _failures(
    result: ExpectationSuiteValidationResult, examples: int
) -> Iterator[FailedExpectation]:
    for item in result.results:
        if item.success:
            continue
        config = item.expectation_config
        kwargs = config.kwargs
        columns: tuple[str, ...] = tuple(
            c
            for c in (
                kwargs.get("column"),
                kwargs.get("column_A"),
                kwargs.get("column_B"),
                *(kwargs.get("column_list") or ()),
            )
            if c
        )
        details = dict(item.result or {})
        observed = details.get("observed_value")
        error = _exception_message(item.exception_info)
        if error is not None:
            observed = f"error: {error}"
        # With index columns GX lists the offending rows as dicts (value + identifying
        # columns); without them only as row numbers, which say less than the values.
        sample = details.get("partial_unexpected_index_list") or []
        if not all(isinstance(x, Mapping) for x in sample) or not sample:
            sample = details.get("partial_unexpected_list") or []
        yield FailedExpectation(
            suite=result.suite_name,
            expectation=config.type,
            columns=columns,
            rule=config.description or f"{config.type}({', '.join(columns)})",
            severity=_severity(config),
            observed=_jsonable(observed),
            unexpected_count=details.get("unexpected_count"),
            unexpected_percent=_jsonable(details.get("unexpected_percent")),
            examples=tuple(_jsonable(x) for x in sample[:examples]),
        )


def _exception_message(info: Any) -> str | None:
    """The message of an exception GX caught while evaluating an expectation, if any.

    GX reports it flat (``raised_exception``, ``exception_message``) or keyed by
    the metric that failed to compute (a missing column, a type error).
    """
    if not isinstance(info, Mapping) or not info:
        return None
    entries = [info] if "raised_exception" in info else list(info.values())
    messages = [
        str(e.get("exception_message"))
        for e in entries
        if isinstance(e, Mapping) and e.get("raised_exception", True) and e.get("exception_message")
    ]
    return "; ".join(messages) or None


def _severity(config: Any) -> str:
    meta = config.meta or {}
    if meta.get("severity") in (ERROR, WARN):
        return meta["severity"]
    native = getattr(config, "severity", None)
    value = getattr(native, "value", native)
    # An expectation without our mark is treated as blocking: being strict is the safe default.
    return _GX_TO_OURS.get(str(value), ERROR)


def _jsonable(value: Any) -> Any:
    """Plain JSON values: numpy and pandas scalars unwrapped, times as ISO text, NaN as None."""
    if value is None or isinstance(value, (bool, int, str)):
        return _short(value) if isinstance(value, str) else value
    if isinstance(value, float):
        return None if math.isnan(value) else float(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    # Dates, datetimes and pandas Timestamps alike.
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return _jsonable(value.item())
    if hasattr(value, "tolist"):
        return _jsonable(value.tolist())
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return _short(str(value))


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= MAX_EXAMPLE_CHARS else text[: MAX_EXAMPLE_CHARS - 1] + "…"


def _validations_table(outcomes: Sequence[ValidationOutcome]) -> str:
    rows = [
        "| suite | months | rows | expectations | failed (error / warn) |",
        "|---|---|---|---|---|",
    ]
    for o in outcomes:
        rows.append(
            f"| {o.suite} | {o.label or '-'} | {o.rows} | {o.evaluated} "
            f"| {len(o.failed(ERROR))} / {len(o.failed(WARN))} |"
        )
    return "\n".join(rows)


def _failures_table(failures: Sequence[FailedExpectation]) -> str:
    rows = ["| severity | suite | rule | observed | examples |", "|---|---|---|---|---|"]
    for f in failures:
        observed = (
            f"{f.unexpected_count} unexpected" if f.unexpected_count is not None else f.observed
        )
        examples = ", ".join(_short(x) for x in f.examples[:3])
        cells = (f.severity, f.suite, _cell(f.rule), _cell(observed), _cell(examples))
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _cell(value: Any) -> str:
    return _short(value if isinstance(value, str) else repr(value)).replace("|", "\\|")
