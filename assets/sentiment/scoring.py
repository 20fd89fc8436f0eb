"""Sentiment scoring: `scores/mention_sentiment` and `scores/nps_comment_sentiment`.

Cost grows with new text only. Every text is reduced to the hash of its normalised
form (`models.sentiment.normalise_text`: whitespace collapsed, lower case, leading
``RT @handle:`` removed) and looked up in ``scores.sentiment_cache`` for the current
model version; only hashes not found there reach the model, once each, so duplicates
and retweets cost one inference and re-materialising a month scores nothing.

The warehouse connection is held only to read a month and to write it: scoring runs
with the connection closed, so BI readers and other writers are not blocked meanwhile
(a month with nothing for the model is read and written in one connection).
"""

# No `from __future__ import annotations` here: Dagster inspects the asset functions'
# annotations at definition time and needs real classes, not strings.
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import dagster as dg
import pyarrow as pa

from models.sentiment.labels import LABELS
from models.sentiment.text import normalise_text, text_hash
from warehouse.contract import SCORE_TABLES, ensure_tables
from warehouse.partitions import month_start
from warehouse.resource import WAREHOUSE_POOL, WarehouseResource, table_exists
from warehouse.settings import Settings

if TYPE_CHECKING:
    import duckdb
    import numpy as np

    from models.sentiment.inference import SentimentModel

MENTIONS_KEY = dg.AssetKey(["raw", "mentions"])
NPS_RESPONSES_KEY = dg.AssetKey(["raw", "nps_responses"])
MENTION_SENTIMENT_KEY = dg.AssetKey(["scores", "mention_sentiment"])
NPS_COMMENT_SENTIMENT_KEY = dg.AssetKey(["scores", "nps_comment_sentiment"])

# Log progress after this many inference batches (and after the last one).
PROGRESS_EVERY_BATCHES = 10


def _ensure_score_tables(conn: "duckdb.DuckDBPyConnection") -> None:
    """Create the scores schema and its tables (`warehouse.contract`) where missing."""
    ensure_tables(conn, SCORE_TABLES.values())


@dataclass(frozen=True)
class _Target:
    """Where one scoring asset reads its texts and writes its scores."""

    table: str
    # The score table's key (warehouse.contract); `read_sql` selects these columns first,
    # in this order, then the text.
    key_columns: tuple[str, ...]
    read_sql: str
    source_table: str


_MENTIONS = _Target(
    table=SCORE_TABLES["mention_sentiment"].qualified,
    key_columns=SCORE_TABLES["mention_sentiment"].primary_key,
    # Inbound only: brand replies are webcare's own voice, not the customers'.
    read_sql="""
        select platform, mention_id, coalesce(text, '') as text
        from raw.mentions
        where partition_month = ? and not is_brand_account
        order by platform, mention_id
    """,
    source_table="mentions",
)
_NPS = _Target(
    table=SCORE_TABLES["nps_comment_sentiment"].qualified,
    key_columns=SCORE_TABLES["nps_comment_sentiment"].primary_key,
    read_sql="""
        select response_id, comment as text
        from raw.nps_responses
        where partition_month = ? and comment is not null and trim(comment) <> ''
        order by response_id
    """,
    source_table="nps_responses",
)


@dataclass
class MonthStats:
    """What scoring one month did (summed over the months of a run for metadata)."""

    rows_written: int = 0
    unique_texts: int = 0
    texts_scored_new: int = 0
    cache_hits: int = 0
    empty_texts: int = 0
    months: list[str] = field(default_factory=list)

    def add(self, other: "MonthStats") -> None:
        """Accumulate another month's counts."""
        self.rows_written += other.rows_written
        self.unique_texts += other.unique_texts
        self.texts_scored_new += other.texts_scored_new
        self.cache_hits += other.cache_hits
        self.empty_texts += other.empty_texts
        self.months.extend(other.months)


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _progress_logger(log: Callable[[str], None], month: str, batch_size: int) -> Callable:
    started = time.monotonic()
    state = {"batches": 0}

    def progress(done: int, total: int) -> None:
        state["batches"] += 1
        if state["batches"] % PROGRESS_EVERY_BATCHES and done < total:
            return
        elapsed = max(time.monotonic() - started, 1e-9)
        rate = done / elapsed
        eta = (total - done) / rate if rate else 0.0
        log(
            f"{month}: scored {done}/{total} new texts, {rate:.0f} texts/s, "
            f"ETA {eta:.0f} s (batch size {batch_size})"
        )

    return progress


class Scorer(Protocol):
    """What scoring a month needs of a model: the version its scores carry, and
    `SentimentModel.predict`."""

    version: str

    def predict(
        self, texts: list[str], progress: Callable[[int, int], None] | None, batch_size: int
    ) -> "np.ndarray": ...


class ModelOnDemand:
    """The settings' sentiment model (`load_model`), loaded when a text first needs it.

    Its version, which the cache is looked up by, comes from the model's files
    (`ModelSource`) without loading the weights, so a run whose texts are all cached
    (a second run, a month loaded again) never loads the model: about 5 s on 2 cores."""

    def __init__(self, settings: Settings, log: Callable[[str], None]) -> None:
        from models.sentiment.inference import ModelSource

        self.settings = settings
        self.log = log
        self.version = ModelSource.resolve(
            settings.sentiment_model, settings.model_cache_dir, settings.sentiment_int8
        ).version
        self.loaded: SentimentModel | None = None

    def predict(
        self, texts: list[str], progress: Callable[[int, int], None] | None, batch_size: int
    ) -> "np.ndarray":
        """`SentimentModel.predict` on the model, loaded first if it is not yet."""
        if self.loaded is None:
            started = time.monotonic()
            model = load_model(self.settings)
            if model.version != self.version:
                raise RuntimeError(
                    f"the sentiment model changed during the run: {self.version} was to "
                    f"score, {model.version} was loaded; run again"
                )
            self.log(f"sentiment model loaded in {time.monotonic() - started:.1f} s")
            self.loaded = model
        return self.loaded.predict(texts, progress=progress, batch_size=batch_size)


def score_month(
    warehouse: WarehouseResource,
    target: _Target,
    month: date,
    model: Scorer,
    batch_size: int,
    log: Callable[[str], None],
) -> MonthStats:
    """Score one month of `target` and replace that month in its table (one transaction).

    Texts whose normalised form is empty (media-only posts) are neutral by rule
    (p_neutral = 1) without asking the model: there is nothing to judge.
    """
    label = month.strftime("%Y-%m")
    with warehouse.connect() as conn:
        _ensure_score_tables(conn)
        if not table_exists(conn, "raw", target.source_table):
            log(f"{label}: raw.{target.source_table} does not exist yet; nothing to score")
            rows: list[tuple] = []
        else:
            rows = conn.execute(target.read_sql, [month]).fetchall()
        hashes = [text_hash(row[-1]) for row in rows]
        unique = sorted(set(hashes))
        cached = {
            found[0]: found[1:]
            for found in conn.execute(
                """
                select text_hash, label, p_negative, p_neutral, p_positive, scored_at
                from scores.sentiment_cache
                where model_version = ? and text_hash in (select unnest(?::varchar[]))
                """,
                [model.version, unique],
            ).fetchall()
        }
        representative: dict[str, str] = {}
        for row, digest in zip(rows, hashes, strict=True):
            if digest not in cached and digest not in representative:
                representative[digest] = row[-1]
        empty = [d for d, text in representative.items() if not normalise_text(text)]
        empty_set = set(empty)
        to_score = [d for d in representative if d not in empty_set]
        now = _utc_now()
        new_scores: dict[str, tuple] = {d: ("neutral", 0.0, 1.0, 0.0, now) for d in empty}
        if not to_score:
            # Nothing for the model (a cached month, or one without texts): written at
            # once, without closing and opening the warehouse again.
            output = _write_month(conn, target, month, rows, hashes, cached, new_scores, model)
    if to_score:
        # Connection closed: the slow part runs without holding the warehouse.
        log(f"{label}: {len(to_score)} new texts to score, {len(cached)} cached")
        probabilities = model.predict(
            [representative[d] for d in to_score],
            progress=_progress_logger(log, label, batch_size),
            batch_size=batch_size,
        )
        for digest, row_probabilities in zip(to_score, probabilities, strict=True):
            negative, neutral, positive = (float(p) for p in row_probabilities)
            winner = LABELS[int(row_probabilities.argmax())]
            new_scores[digest] = (winner, negative, neutral, positive, now)
        with warehouse.connect() as conn:
            _ensure_score_tables(conn)
            output = _write_month(conn, target, month, rows, hashes, cached, new_scores, model)
    return MonthStats(
        rows_written=output.num_rows,
        unique_texts=len(unique),
        texts_scored_new=len(to_score),
        cache_hits=len(cached),
        empty_texts=len(empty),
        months=[label],
    )


def _write_month(
    conn: "duckdb.DuckDBPyConnection",
    target: _Target,
    month: date,
    rows: list[tuple],
    hashes: list[str],
    cached: dict[str, tuple],
    new_scores: dict[str, tuple],
    model: Scorer,
) -> pa.Table:
    """Add `new_scores` to the cache and replace `month` of the target's table with a row
    per input row, in one transaction; return the rows written."""
    scores = {**cached, **new_scores}
    output = _output_table(target, rows, hashes, scores, month, model.version)
    cache_rows = pa.table(
        {
            "text_hash": list(new_scores),
            "model_version": [model.version] * len(new_scores),
            "label": [v[0] for v in new_scores.values()],
            "p_negative": [v[1] for v in new_scores.values()],
            "p_neutral": [v[2] for v in new_scores.values()],
            "p_positive": [v[3] for v in new_scores.values()],
            "scored_at": pa.array([v[4] for v in new_scores.values()], type=pa.timestamp("us")),
        }
    )
    conn.register("new_cache_rows", cache_rows)
    conn.register("new_output_rows", output)
    conn.execute("begin transaction")
    try:
        conn.execute(
            """
            insert into scores.sentiment_cache
            select n.* from new_cache_rows as n
            where not exists (
                select 1 from scores.sentiment_cache as c
                where c.text_hash = n.text_hash and c.model_version = n.model_version
            )
            """
        )
        conn.execute(f"delete from {target.table} where partition_month = ?", [month])
        conn.execute(f"insert into {target.table} by name select * from new_output_rows")
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise
    finally:
        conn.unregister("new_cache_rows")
        conn.unregister("new_output_rows")
    return output


def _output_table(
    target: _Target,
    rows: list[tuple],
    hashes: list[str],
    scores: dict[str, tuple],
    month: date,
    version: str,
) -> pa.Table:
    """One output row per input row, carrying the (cached or new) score of its text."""
    columns: dict[str, list] = {name: [] for name in target.key_columns}
    values = [scores[digest] for digest in hashes]
    for row in rows:
        for position, name in enumerate(target.key_columns):
            columns[name].append(row[position])
    return pa.table(
        {
            **{name: pa.array(column, type=pa.string()) for name, column in columns.items()},
            "partition_month": pa.array([month] * len(rows), type=pa.date32()),
            "text_hash": pa.array(hashes, type=pa.string()),
            "label": pa.array([v[0] for v in values], type=pa.string()),
            "p_negative": pa.array([v[1] for v in values], type=pa.float64()),
            "p_neutral": pa.array([v[2] for v in values], type=pa.float64()),
            "p_positive": pa.array([v[3] for v in values], type=pa.float64()),
            "score": pa.array([v[3] - v[1] for v in values], type=pa.float64()),
            "model_version": pa.array([version] * len(rows), type=pa.string()),
            "scored_at": pa.array([v[4] for v in values], type=pa.timestamp("us")),
        }
    )


def load_model(settings: Settings) -> "SentimentModel":
    """The sentiment model the settings name (built into the model cache when needed).

    Kept for the life of the process while its files stay as they are: a run scores
    mentions and NPS comments in two assets, and an in-process run (`webcare run`)
    loaded the same model twice (3-7 s each on 2 cores). A rebuilt or altered model
    folder changes the key, so it is loaded, and its weights checked, again."""
    label_map = tuple(sorted((settings.sentiment_label_map or {}).items()))
    return _load_model(
        settings.sentiment_model,
        str(settings.model_cache_dir),
        label_map,
        settings.sentiment_int8,
        _model_files(settings.sentiment_model, Path(settings.model_cache_dir)),
    )


def _model_files(spec: str, cache_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """Name, size and modification time of every file of the model's folder (none for a
    Hub id or a default model not built yet)."""
    from models.sentiment.build import default_model_dir
    from models.sentiment.inference import DEFAULT_MODEL_NAME

    folder = default_model_dir(cache_dir) if spec == DEFAULT_MODEL_NAME else Path(spec)
    if not folder.is_dir():
        return ()
    return tuple(
        (str(path.relative_to(folder)), stat.st_size, stat.st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and (stat := path.stat())
    )


@functools.lru_cache(maxsize=2)
def _load_model(
    spec: str,
    cache_dir: str,
    label_map: tuple[tuple[str, str], ...],
    quantize: bool | None,
    files: tuple[tuple[str, int, int], ...],
) -> "SentimentModel":
    from models.sentiment.inference import SentimentModel

    return SentimentModel.load(spec, Path(cache_dir), dict(label_map) or None, quantize=quantize)


def _run(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    settings: Settings,
    target: _Target,
) -> dg.MaterializeResult:
    started = time.monotonic()
    model = ModelOnDemand(settings, context.log.info)
    context.log.info(f"sentiment model {model.version}")
    total = MonthStats()
    for key in context.partition_keys:
        stats = score_month(
            warehouse,
            target,
            month_start(key),
            model,
            settings.scoring_batch_size,
            context.log.info,
        )
        context.log.info(
            f"{key}: {stats.rows_written} rows written, {stats.texts_scored_new} texts scored, "
            f"{stats.cache_hits} cache hits"
        )
        total.add(stats)
    return dg.MaterializeResult(
        metadata={
            "texts_scored_new": total.texts_scored_new,
            "cache_hits": total.cache_hits,
            "unique_texts": total.unique_texts,
            "empty_texts": total.empty_texts,
            "rows_written": total.rows_written,
            "model_version": model.version,
            "months": ", ".join(total.months),
            "seconds": round(time.monotonic() - started, 1),
        }
    )


def build_sentiment_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """The two monthly scoring assets; a run may cover a range of months (single-run backfill)."""

    common = {
        "partitions_def": partitions_def,
        "pool": WAREHOUSE_POOL,
        "backfill_policy": dg.BackfillPolicy.single_run(),
        "group_name": "scores",
        "kinds": {"duckdb", "pytorch"},
    }

    @dg.asset(key=MENTION_SENTIMENT_KEY, deps=[MENTIONS_KEY], **common)
    def mention_sentiment(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, settings: Settings
    ) -> dg.MaterializeResult:
        """Sentiment of every inbound mention of the month: ``scores.mention_sentiment``.

        One row per mention not written by a brand account, with label
        (negative/neutral/positive), the three probabilities, score = p_positive -
        p_negative, the model version and when the text was first scored. Texts are
        scored once per model version (cache ``scores.sentiment_cache`` keyed by the
        hash of the normalised text), so duplicates and retweets cost one inference and
        re-running a month scores nothing new. A mention without text (media only) is
        neutral by rule, without the model. The model is the setting
        ``sentiment_model`` (default: webcare-e5-small-sentiment, built offline).
        """
        return _run(context, warehouse, settings, _MENTIONS)

    @dg.asset(key=NPS_COMMENT_SENTIMENT_KEY, deps=[NPS_RESPONSES_KEY], **common)
    def nps_comment_sentiment(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, settings: Settings
    ) -> dg.MaterializeResult:
        """Sentiment of the month's NPS comments: ``scores.nps_comment_sentiment``.

        One row per NPS response with a non-empty comment, scored with the same model
        and the same text cache as the mentions (a comment identical to a tweet is
        scored once).
        """
        return _run(context, warehouse, settings, _NPS)

    return [mention_sentiment, nps_comment_sentiment]
