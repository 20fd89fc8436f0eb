"""The scoring assets on a temporary DuckDB with the real default model."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.sentiment import build_sentiment_assets
from warehouse.contract import RAW_TABLES, ensure_tables
from warehouse.partitions import monthly_partitions
from warehouse.resource import WarehouseResource
from warehouse.settings import Settings

MARCH = date(2024, 3, 1)
APRIL = date(2024, 4, 1)
# (mention_id, is_brand_account, text, month)
MENTIONS = [
    ("1", False, "Worst service ever, my bag is lost and nobody answers!", MARCH),
    ("2", False, "RT @angry_flyer: Worst service ever, my bag is lost and nobody answers!", MARCH),
    ("3", False, "worst service ever,  my bag is lost and nobody answers!", MARCH),
    ("4", False, "Thank you so much for the quick help, great service!", MARCH),
    ("5", True, "Sorry to hear that, please DM us your booking code.", MARCH),
    ("6", False, "", MARCH),
    ("7", False, "Wat een waardeloze service, nog steeds geen reactie.", MARCH),
    ("8", False, "Super blij met de snelle hulp, bedankt!", APRIL),
]
NPS = [
    ("r1", 9, "Thank you so much for the quick help, great service!", MARCH),
    ("r2", 2, "Te duur en de monteur kwam te laat.", MARCH),
    ("r3", 7, None, MARCH),
    ("r4", 8, "   ", MARCH),
]


LOADED_AT = datetime(2024, 5, 1, 6)


def _fill(database: Path) -> None:
    """The raw tables as the raw assets leave them (every raw table of the contract),
    with the mentions and NPS responses above."""
    with duckdb.connect(str(database)) as conn:
        ensure_tables(conn, RAW_TABLES.values())
        for line, (mention_id, is_brand, text, month) in enumerate(MENTIONS, start=2):
            conn.execute(
                "insert into raw.mentions (mention_id, platform, created_at, author_id, "
                "is_brand_account, text, partition_month, _source_file, _source_line, "
                "_loaded_at) values (?, 'twitter', ?, ?, ?, ?, ?, 'mentions.csv', ?, ?)",
                [
                    mention_id,
                    datetime(month.year, month.month, 10, 12),
                    "klm" if is_brand else f"p_{mention_id:0>16}",
                    is_brand,
                    text,
                    month,
                    line,
                    LOADED_AT,
                ],
            )
        for line, (response_id, score, comment, month) in enumerate(NPS, start=2):
            conn.execute(
                "insert into raw.nps_responses (response_id, brand, answered_at, score, comment, "
                "partition_month, _source_file, _source_line, _loaded_at) "
                "values (?, 'klm', ?, ?, ?, ?, 'nps.csv', ?, ?)",
                [
                    response_id,
                    datetime(month.year, month.month, 5),
                    score,
                    comment,
                    month,
                    line,
                    LOADED_AT,
                ],
            )


def _metadata(result: dg.ExecuteInProcessResult, key: list[str]) -> dict[str, object]:
    """The run's metadata for `key` (a range run reports the same for every partition)."""
    found = [
        {name: value.value for name, value in event.materialization.metadata.items()}
        for event in result.get_asset_materialization_events()
        if event.asset_key.path == key
    ]
    assert found and all(meta == found[0] for meta in found)
    return found[0]


@pytest.fixture
def setup(tmp_path: Path, model_cache_dir: Path, built_model_dir: Path):
    database = tmp_path / "warehouse.duckdb"
    _fill(database)
    settings = Settings.from_env(home=tmp_path, model_cache_dir=str(model_cache_dir))
    assets = build_sentiment_assets(monthly_partitions(settings))
    resources = {"warehouse": WarehouseResource(database=str(database)), "settings": settings}
    return database, assets, resources


@pytest.fixture
def warehouse_opened(monkeypatch):
    """How often the scoring opens the warehouse; `in_use[0]` counts open connections."""
    from assets.sentiment import scoring

    opened: list[int] = []
    in_use = [0]
    connect = WarehouseResource.connect

    @contextmanager
    def counted(self, read_only: bool = False):
        opened.append(1)
        with connect(self, read_only) as conn:
            in_use[0] += 1
            try:
                yield conn
            finally:
                in_use[0] -= 1

    predict = scoring.ModelOnDemand.predict
    busy_while_scoring: list[int] = []

    def watched(self, texts, **kwargs):
        busy_while_scoring.append(in_use[0])
        return predict(self, texts, **kwargs)

    monkeypatch.setattr(WarehouseResource, "connect", counted)
    monkeypatch.setattr(scoring.ModelOnDemand, "predict", watched)
    return opened, busy_while_scoring


@pytest.mark.slow
def test_one_score_per_inbound_mention_and_cache_on_rerun(setup, monkeypatch, warehouse_opened):
    database, assets, resources = setup
    mention_asset = assets[0]
    opened, busy_while_scoring = warehouse_opened
    first = dg.materialize([mention_asset], partition_key="2024-03", resources=resources)
    # read, score with the warehouse closed, write
    assert (len(opened), busy_while_scoring) == (2, [0])
    meta = _metadata(first, ["scores", "mention_sentiment"])
    # 1, 2 (retweet) and 3 (case/space variant) are one text; 6 is empty (neutral by rule)
    assert meta["rows_written"] == 6
    assert meta["texts_scored_new"] == 3
    assert meta["empty_texts"] == 1
    assert meta["cache_hits"] == 0

    with duckdb.connect(str(database), read_only=True) as conn:
        rows = conn.execute(
            "select mention_id, label, p_negative, p_neutral, p_positive, score, text_hash, "
            "partition_month, scored_at, model_version from scores.mention_sentiment "
            "order by mention_id"
        ).fetchall()
        cached = conn.execute("select count(*) from scores.sentiment_cache").fetchone()[0]
    by_id = {row[0]: row for row in rows}
    assert sorted(by_id) == ["1", "2", "3", "4", "6", "7"]
    assert len(rows) == len(by_id)
    assert by_id["1"][1:7] == by_id["2"][1:7] == by_id["3"][1:7]
    assert by_id["1"][1] == "negative" and by_id["7"][1] == "negative"
    assert by_id["4"][1] == "positive"
    assert by_id["6"][1:6] == ("neutral", 0.0, 1.0, 0.0, 0.0)
    for row in rows:
        assert row[2] + row[3] + row[4] == pytest.approx(1.0)
        assert row[5] == pytest.approx(row[4] - row[2])
        assert row[7] == MARCH
        assert row[9] == meta["model_version"]
    assert cached == 4

    # Every text is cached now: the rerun never loads the model.
    from assets.sentiment import scoring

    def no_model(settings: Settings) -> None:
        raise AssertionError("the model was loaded though every text was cached")

    monkeypatch.setattr(scoring, "load_model", no_model)
    opened.clear()
    second = dg.materialize([mention_asset], partition_key="2024-03", resources=resources)
    again = _metadata(second, ["scores", "mention_sentiment"])
    assert again["texts_scored_new"] == 0 and again["cache_hits"] == 4
    # nothing for the model: read and written in one connection
    assert (len(opened), busy_while_scoring) == (1, [0])
    with duckdb.connect(str(database), read_only=True) as conn:
        rerun = conn.execute(
            "select mention_id, label, p_negative, p_neutral, p_positive, score, text_hash, "
            "partition_month, scored_at, model_version from scores.mention_sentiment "
            "order by mention_id"
        ).fetchall()
    assert rerun == rows


@pytest.mark.slow
def test_partition_range_and_nps_share_the_cache(setup):
    database, assets, resources = setup
    mention_asset, nps_asset = assets
    ranged = dg.materialize(
        [mention_asset],
        resources=resources,
        tags={
            "dagster/asset_partition_range_start": "2024-03",
            "dagster/asset_partition_range_end": "2024-04",
        },
    )
    meta = _metadata(ranged, ["scores", "mention_sentiment"])
    assert meta["months"] == "2024-03, 2024-04" and meta["rows_written"] == 7

    nps = dg.materialize([nps_asset], partition_key="2024-03", resources=resources)
    nps_meta = _metadata(nps, ["scores", "nps_comment_sentiment"])
    # r1 repeats mention 4 word for word: a cache hit; r3 (null) and r4 (blank) have no comment
    assert nps_meta["rows_written"] == 2
    assert nps_meta["cache_hits"] == 1 and nps_meta["texts_scored_new"] == 1
    with duckdb.connect(str(database), read_only=True) as conn:
        labels = dict(
            conn.execute("select response_id, label from scores.nps_comment_sentiment").fetchall()
        )
        months = conn.execute(
            "select partition_month, count(*) from scores.mention_sentiment group by all order by 1"
        ).fetchall()
    assert labels == {"r1": "positive", "r2": "negative"}
    assert months == [(MARCH, 6), (APRIL, 1)]


def test_the_model_is_loaded_once_per_process_until_its_files_change(
    tmp_path: Path, built_model_dir: Path
) -> None:
    """A run scores mentions and NPS comments with one load; a changed model folder
    (rebuilt, replaced) is loaded, and its weights checked, again."""
    import os
    import shutil

    from assets.sentiment.scoring import load_model

    cache = tmp_path / "models"
    folder = cache / built_model_dir.name

    def link_weights(src: str, dst: str) -> None:
        # the large weights linked where the file system allows it, the small files
        # copied (only the copies are touched below)
        try:
            if src.endswith(".safetensors"):
                os.link(src, dst)
                return
        except OSError:
            pass
        shutil.copy2(src, dst)

    shutil.copytree(built_model_dir, folder, copy_function=link_weights)
    settings = Settings.from_env(home=tmp_path, model_cache_dir=str(cache))
    first = load_model(settings)
    assert load_model(settings) is first
    config = folder / "config.json"
    stat = config.stat()
    os.utime(config, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    again = load_model(settings)
    assert again is not first
    assert again.version == first.version
    assert load_model(settings) is again
