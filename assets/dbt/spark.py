"""The marts on Apache Spark (``WEBCARE_ENGINE=spark``): the same dbt project, target ``spark``.

Loading and scoring stay Python assets that write DuckDB. For Spark the tables the
dbt sources name are handed over as Parquet, monthly tables in one folder per
month, and registered as Spark tables under the same names, so
``source('raw', 'mentions')`` is ``raw.mentions`` on either engine:

1. `require_java`: Spark runs on a Java 17+ runtime; without one, stop with what to
   install instead of a stack trace from the JVM launcher.
2. `export_parquet`: every source table from the warehouse file to
   ``<spark_dir>/parquet/<schema>/<table>/[partition_month=YYYY-MM-01/]``, with the
   columns and types of `warehouse.contract`.
3. ``dbt run-operation register_parquet_sources`` (`SparkBuild.register_args`):
   (re-)create the tables over those folders (``macros/register_parquet_sources.sql``).
4. ``dbt build --target spark``.

The ``spark`` output of ``dbt_project/profiles.yml`` is the one definition of the
Spark session (local master, UTC session time zone, metastore and warehouse under
``<spark_dir>``); `spark_session` starts the same session in this process, so a
caller may run steps 3 and 4 in-process on one session (`build_in_process`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import jinja2
import yaml

from warehouse.contract import TABLES, Table
from warehouse.partitions import is_month_key
from warehouse.resource import WarehouseResource
from warehouse.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
PROFILE = "webcare_warehouse"
SPARK_TARGET = "spark"
# The spark output of profiles.yml reads its folder from this variable (Settings.spark_dir).
SPARK_DIR_ENV = "WEBCARE_SPARK_DIR"
REGISTER_MACRO = "register_parquet_sources"
MIN_JAVA_VERSION = 17
INSTALL_HINT = (
    "Install a Java 17+ runtime (Debian/Ubuntu: `apt-get install default-jre-headless`, "
    "which `make java` runs; macOS: `brew install openjdk@17`) or point JAVA_HOME at one, "
    "and the project's Python dependencies (`pip install -e .`: pyspark, dbt-spark[session]); "
    "or build the marts on DuckDB: WEBCARE_ENGINE=duckdb."
)
# Contract (DuckDB) type -> Spark type of the Parquet hand-over. Spark reads no TIME and
# no JSON columns: those travel as text (the spark__ macros read them so).
SPARK_TYPES = {
    "VARCHAR": "string",
    "JSON": "string",
    "TIME": "string",
    "BOOLEAN": "boolean",
    "INTEGER": "int",
    "BIGINT": "bigint",
    "DOUBLE": "double",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
}


def spark_type(duckdb_type: str) -> str:
    """The Spark type of a contract column (``VARCHAR[]`` -> ``array<string>``)."""
    if duckdb_type.endswith("[]"):
        return f"array<{spark_type(duckdb_type[:-2])}>"
    return SPARK_TYPES[duckdb_type]


class SparkUnavailable(RuntimeError):
    """The Spark engine cannot start here; the message says what to install."""


# ---- Java ------------------------------------------------------------------------------


def java_executable(environ: Mapping[str, str] | None = None) -> str:
    """The ``java`` Spark will start: ``$JAVA_HOME/bin/java`` when JAVA_HOME is set (as
    Spark's launcher does), else ``java`` on PATH; `SparkUnavailable` when there is none."""
    environ = os.environ if environ is None else environ
    java_home = environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        if os.access(candidate, os.X_OK):
            return str(candidate)
        raise SparkUnavailable(
            f"The Spark engine needs Java: JAVA_HOME is {java_home}, which has no bin/java. "
            + INSTALL_HINT
        )
    found = shutil.which("java", path=environ.get("PATH", ""))
    if found is None:
        raise SparkUnavailable(
            "The Spark engine needs Java: no `java` on PATH and JAVA_HOME is not set. "
            + INSTALL_HINT
        )
    return found


def java_major_version(java: str) -> int:
    """The major version of a ``java`` executable (8 for ``1.8.0_x``, 17 for ``17.0.2``)."""
    try:
        completed = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SparkUnavailable(
            f"The Spark engine could not run {java}: {error}. " + INSTALL_HINT
        ) from error
    output = completed.stderr + completed.stdout
    match = re.search(r'version "(\d+)(?:\.(\d+))?', output)
    if completed.returncode != 0 or match is None:
        raise SparkUnavailable(
            f"The Spark engine could not read the version of {java} "
            f"(`java -version` said: {output.strip()[:200]!r}). " + INSTALL_HINT
        )
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def require_java(environ: Mapping[str, str] | None = None) -> str:
    """The ``java`` for Spark, checked to be Java 17 or later; `SparkUnavailable` if not."""
    java = java_executable(environ)
    version = java_major_version(java)
    if version < MIN_JAVA_VERSION:
        raise SparkUnavailable(
            f"The Spark engine needs Java {MIN_JAVA_VERSION} or later; {java} is Java "
            f"{version}. " + INSTALL_HINT
        )
    return java


# ---- the Parquet hand-over -----------------------------------------------------------------


def source_tables(manifest_path: str | os.PathLike[str]) -> list[Table]:
    """The contract's tables that the dbt project reads as sources, in contract order.

    A source the contract does not define would have no columns to export: that is a
    `KeyError` naming it."""
    manifest = json.loads(Path(manifest_path).read_text())
    named = {
        f"{node['schema']}.{node['name']}"
        for node in manifest["sources"].values()
        if node["package_name"] == PROFILE
    }
    unknown = sorted(named - TABLES.keys())
    if unknown:
        raise KeyError(f"dbt sources without a table in warehouse.contract: {unknown}")
    return [table for qualified, table in TABLES.items() if qualified in named]


def parquet_dir(settings: Settings) -> Path:
    """Where the Parquet hand-over lives: ``<spark_dir>/parquet``."""
    return Path(settings.spark_dir) / "parquet"


def table_location(settings: Settings, table: Table) -> Path:
    """The folder of one table's Parquet files: ``<spark_dir>/parquet/<schema>/<table>``."""
    return parquet_dir(settings) / table.schema / table.name


def _export_select(table: Table) -> str:
    # The partition column is the folder name (partition_month=2011-03-01), not a column
    # of the files, as Spark (and Hive) lay out partitioned tables.
    columns = []
    for column in table.columns:
        if column.name == table.partition_column:
            continue
        quoted = f'"{column.name}"'
        if spark_type(column.type) == "string" and column.type != "VARCHAR":
            columns.append(f"cast({quoted} as varchar) as {quoted}")
        else:
            columns.append(quoted)
    if table.partition_column is not None:
        columns.append(f'"{table.partition_column}"')
    return f"select {', '.join(columns)} from {table.qualified}"


def export_parquet(
    settings: Settings, tables: Iterable[Table], months: Iterable[str] | None = None
) -> dict[str, Path]:
    """Write `tables` from the warehouse file as Parquet for Spark; return their folders.

    A monthly table is one folder per ``partition_month`` (Hive style,
    ``partition_month=2011-03-01/``), the others one folder each. With `months`
    (``YYYY-MM``, the monthly partitions a run loaded) only those months' folders of
    the monthly tables are replaced (a month without rows loses its folder); the
    other tables are written whole. Each folder is written beside the old one and
    renamed over it, so a failed export leaves the previous one in place.
    """
    wanted = None if months is None else sorted(set(months))
    for month in wanted or ():
        if not is_month_key(month):
            raise ValueError(f"months are 'YYYY-MM' partition keys, got {month!r}")
    folders: dict[str, Path] = {}
    with WarehouseResource(database=settings.duckdb_path).connect(read_only=True) as conn:
        for table in tables:
            location = table_location(settings, table)
            location.parent.mkdir(parents=True, exist_ok=True)
            select = _export_select(table)
            partition = table.partition_column
            if partition is None or wanted is None:
                _replace(
                    location,
                    lambda folder, select=select, partition=partition: _copy(
                        conn, select, folder, partition
                    ),
                )
            else:
                location.mkdir(exist_ok=True)
                for month in wanted:
                    month_select = f"{select} where \"{partition}\" = date '{month}-01'"
                    if not conn.execute(f"select count(*) from ({month_select})").fetchone()[0]:
                        shutil.rmtree(location / f"{partition}={month}-01", ignore_errors=True)
                        continue
                    _replace(
                        location / f"{partition}={month}-01",
                        lambda folder, month_select=month_select, partition=partition: _copy(
                            conn, month_select, folder, partition, month_only=True
                        ),
                    )
            folders[table.qualified] = location
    return folders


def _copy(
    conn: Any, select: str, folder: Path, partition: str | None, month_only: bool = False
) -> None:
    folder.mkdir(parents=True)
    if partition is None:
        conn.execute(f"copy ({select}) to '{folder / 'data_0.parquet'}' (format parquet)")
        return
    if month_only:
        # One month's folder: its files hold every column but the month.
        conn.execute(
            f'copy (select * exclude ("{partition}") from ({select})) '
            f"to '{folder / 'data_0.parquet'}' (format parquet)"
        )
        return
    conn.execute(
        f"copy ({select}) to '{folder}' "
        f'(format parquet, partition_by ("{partition}"), overwrite_or_ignore)'
    )


def _replace(folder: Path, write: Any) -> None:
    staging = folder.with_name(f".{folder.name}.{os.getpid()}.writing")
    old = folder.with_name(f".{folder.name}.{os.getpid()}.old")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        write(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if folder.exists():
        folder.rename(old)
    staging.rename(folder)
    shutil.rmtree(old, ignore_errors=True)


def parquet_sources(settings: Settings, tables: Iterable[Table]) -> list[dict[str, Any]]:
    """The argument of ``register_parquet_sources``: per table its name, Spark columns,
    partition column and folder, all from the contract."""
    return [
        {
            "schema": table.schema,
            "name": table.name,
            "columns": [[column.name, spark_type(column.type)] for column in table.columns],
            "partition_column": table.partition_column,
            "location": table_location(settings, table).absolute().as_uri(),
        }
        for table in tables
    ]


# ---- dbt on Spark ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SparkBuild:
    """What a `dbt build` on Spark needs once the Parquet export is written.

    Run `register_args` (``dbt run-operation``), then the build with `target_args`
    added, both with `env` in the environment of the dbt process."""

    env: dict[str, str]
    register_args: list[str]
    target_args: list[str]


def prepare_spark_build(
    settings: Settings,
    manifest_path: str | os.PathLike[str],
    months: Iterable[str] | None = None,
) -> SparkBuild:
    """Check Java, export the source tables to Parquet and return the dbt arguments.

    Raises `SparkUnavailable` (what to install) before anything is written when Java
    is missing or older than 17."""
    require_java()
    tables = source_tables(manifest_path)
    export_parquet(settings, tables, months)
    target_args = ["--target", SPARK_TARGET]
    register = ["run-operation", REGISTER_MACRO, "--args"]
    register.append(json.dumps({"tables": parquet_sources(settings, tables)}))
    return SparkBuild(
        env=dbt_spark_env(settings),
        register_args=[*register, *target_args],
        target_args=target_args,
    )


def dbt_spark_env(settings: Settings) -> dict[str, str]:
    """The environment variables the ``spark`` output of profiles.yml reads."""
    return {SPARK_DIR_ENV: str(Path(settings.spark_dir).absolute())}


@contextmanager
def environment(variables: Mapping[str, str]) -> Iterator[None]:
    """Set `variables` in ``os.environ`` for the block (dbt and its subprocesses read them)."""
    previous = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def session_conf(settings: Settings) -> dict[str, str]:
    """The Spark settings of the ``spark`` output of profiles.yml, rendered for `settings`."""
    profiles = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())
    parameters = profiles[PROFILE]["outputs"][SPARK_TARGET]["server_side_parameters"]
    variables = {**os.environ, **dbt_spark_env(settings)}

    def env_var(name: str, default: str | None = None) -> str:
        if name in variables:
            return variables[name]
        if default is None:
            raise KeyError(f"profiles.yml reads {name}, which is not set")
        return default

    render = jinja2.Environment(undefined=jinja2.StrictUndefined)
    return {
        key: render.from_string(str(value)).render(env_var=env_var)
        for key, value in parameters.items()
    }


def spark_session(settings: Settings) -> SparkSession:
    """Start (or join) the local Spark session of the ``spark`` target in this process.

    dbt-spark's ``session`` method joins it, so registering and building in this
    process share one JVM. Raises `SparkUnavailable` with what to install when Java
    or pyspark is missing or the session does not start."""
    require_java()
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:
        raise SparkUnavailable(
            f"The Spark engine needs pyspark ({error}). " + INSTALL_HINT
        ) from error
    builder = SparkSession.builder.enableHiveSupport()
    for key, value in session_conf(settings).items():
        builder = builder.config(key, value)
    Path(settings.spark_dir).mkdir(parents=True, exist_ok=True)
    try:
        return builder.getOrCreate()
    except Exception as error:
        raise SparkUnavailable(
            f"The local Spark session did not start: {str(error).strip()[:500]}. " + INSTALL_HINT
        ) from error


def build_in_process(
    settings: Settings,
    manifest_path: str | os.PathLike[str],
    build_args: Sequence[str],
    target_path: str | os.PathLike[str],
) -> SparkSession:
    """Export, register and run `build_args` (``["build", "--vars", ...]``) on Spark in
    this process, on one Spark session, which is returned (the marts are its
    ``marts.*`` tables). dbt writes its artefacts to `target_path`, not the project's
    ``target/``, whose manifest is the DuckDB one Dagster loads.

    Raises `SparkUnavailable` when Spark cannot start and `RuntimeError` when a dbt
    step fails."""
    from dbt.cli.main import dbtRunner

    build = prepare_spark_build(settings, manifest_path)
    session = spark_session(settings)
    common = [
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target_path),
        "--log-path",
        str(Path(target_path) / "logs"),
    ]
    with environment(build.env):
        for args in (build.register_args, [*build_args, *build.target_args]):
            result = dbtRunner().invoke([*args, *common])
            if not result.success:
                raise RuntimeError(f"dbt {args[0]} on Spark failed: {result.exception}")
    return session


def spark_mart_dir(settings: Settings, mart: str) -> Path:
    """Where the local Spark target keeps a mart (``<spark_dir>/warehouse/marts.db/<mart>``)."""
    return Path(settings.spark_dir) / "warehouse" / "marts.db" / mart


def import_marts(
    conn: duckdb.DuckDBPyConnection, settings: Settings, manifest_path: str | os.PathLike[str]
) -> list[str]:
    """Replace the DuckDB ``marts.*`` tables with the marts the local Spark target built.

    The checks, the snapshot, the Parquet files and the report read the marts from the
    warehouse file on either engine; this copies them over in one transaction, each
    column cast to the ``data_type`` of its mart's contract (the manifest), in the order
    the contract lists them: the same columns and types as a DuckDB build. Spark writes
    the contract's ``timestamp with time zone`` as its own instant type, read back as
    one here. The tables and columns get their dbt descriptions as comments, as
    ``persist_docs`` gives them on DuckDB, so the snapshot carries them on either engine.
    Returns the marts."""
    manifest = json.loads(Path(manifest_path).read_text())
    nodes = {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["schema"] == "marts"
    }
    marts = sorted((name, _contract_columns(node)) for name, node in nodes.items())
    conn.execute("set TimeZone = 'UTC'")
    conn.execute("begin")
    try:
        conn.execute("create schema if not exists marts")
        for name, contract in marts:
            folder = spark_mart_dir(settings, name)
            if not folder.is_dir():
                raise RuntimeError(f"Spark built no {name} (nothing in {folder})")
            scan = (
                f"read_parquet('{folder.as_posix()}/**/*.parquet', hive_partitioning = true, "
                "hive_types_autocast = true)"
            )
            built = {row[0] for row in conn.execute(f"describe select * from {scan}").fetchall()}
            if built != set(contract):
                raise RuntimeError(
                    f"Spark's {name} has the columns {sorted(built)}, its contract "
                    f"{sorted(contract)}"
                )
            select = ", ".join(
                f'cast("{column}" as {data_type}) as "{column}"'
                for column, data_type in contract.items()
            )
            conn.execute(f"create or replace table marts.{name} as select {select} from {scan}")
            _comment_on(conn, f"marts.{name}", nodes[name])
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    return [name for name, _ in marts]


def _contract_columns(node: Mapping[str, Any]) -> dict[str, str]:
    """Column -> contract data_type of a mart's manifest node, in contract order."""
    missing = [name for name, column in node["columns"].items() if not column.get("data_type")]
    if missing:
        raise KeyError(f"{node['name']} has no contract data_type for {missing}")
    return {name: column["data_type"] for name, column in node["columns"].items()}


def _comment_on(conn: duckdb.DuckDBPyConnection, table: str, node: Mapping[str, Any]) -> None:
    """The dbt descriptions of a model `node` as comments on `table` and its columns."""

    def literal(text: str) -> str:
        # COMMENT ON takes no parameters: the text goes in as an escaped literal.
        return "'" + text.replace("'", "''") + "'"

    if node.get("description"):
        conn.execute(f"comment on table {table} is {literal(node['description'])}")
    for name, column in node["columns"].items():
        if column.get("description"):
            conn.execute(f'comment on column {table}."{name}" is {literal(column["description"])}')
