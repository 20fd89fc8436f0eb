"""The dashboard's queries (dashboard/queries.py) on the small demo's published snapshot:
every number equals a direct read of the published marts."""

import statistics
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from assets.serving.snapshot import Snapshot, open_snapshot
from dashboard import queries
from dashboard.kpis import KPIS
from warehouse.settings import Settings

BENCHMARKED = [kpi.column for kpi in KPIS if kpi.column != "mentions"]


@pytest.fixture
def snapshot(demo_home: Path) -> Iterator[Snapshot]:
    with open_snapshot(Settings.from_env(demo_home)) as opened:
        yield opened


@pytest.fixture
def marts(demo_home: Path):
    """`marts(sql, parameters)`: rows of `sql` read directly from the published snapshot."""

    def read(sql: str, parameters: list | None = None) -> list[tuple]:
        path = demo_home / "published" / "warehouse.duckdb"
        with duckdb.connect(str(path), read_only=True) as conn:
            return conn.execute(sql, parameters or []).fetchall()

    return read


@pytest.fixture
def last_month(marts) -> date:
    return marts("select max(reporting_month) from marts.fct_sentiment_monthly")[0][0]


def test_the_demo_snapshot_has_every_mart_the_page_reads(snapshot: Snapshot) -> None:
    assert queries.missing_marts(snapshot) == []


def test_filters_offer_every_brand_and_month(snapshot: Snapshot, marts) -> None:
    brands = queries.brands(snapshot)
    assert sorted(brands["brand"]) == sorted(
        b for (b,) in marts("select brand from marts.dim_brands")
    )
    assert list(brands["sector"]) == sorted(brands["sector"])
    months = queries.months(snapshot)
    assert months == sorted(
        (m for (m,) in marts("select reporting_month from marts.dim_months")), reverse=True
    )
    assert len(months) == 24


def test_tiles_are_the_marts_values_beside_the_sector_median(
    snapshot: Snapshot, marts, last_month: date
) -> None:
    sentiment = {
        brand: (sector, mentions, net_sentiment)
        for brand, sector, mentions, net_sentiment in marts(
            "select brand, sector, mentions, net_sentiment from marts.fct_sentiment_monthly "
            "where reporting_month = ?",
            [last_month],
        )
    }
    response = dict(
        marts(
            "select brand, response_rate from marts.fct_webcare_response_monthly "
            "where reporting_month = ?",
            [last_month],
        )
    )
    columns = ", ".join(f"{c}, sector_median_{c}, sector_rank_{c}" for c in BENCHMARKED)
    benchmark = {
        row[0]: row[1:]
        for row in marts(
            f"select brand, {columns} from marts.fct_brand_benchmark_monthly "
            "where reporting_month = ?",
            [last_month],
        )
    }
    assert len(sentiment) == 9
    for brand, (sector, mentions, net_sentiment) in sentiment.items():
        tiles = {tile.column: tile for tile in queries.kpi_tiles(snapshot, brand, last_month)}
        assert list(tiles) == [kpi.column for kpi in KPIS]
        peers = [m for s, m, _ in sentiment.values() if s == sector]
        assert tiles["mentions"].value == mentions
        assert tiles["mentions"].sector_median == statistics.median(peers)
        assert tiles["mentions"].sector_rank == 1 + sum(m > mentions for m in peers)
        assert tiles["mentions"].sector_brands == len(peers) == 3
        # The benchmark mart carries each KPI as its own mart has it.
        assert tiles["net_sentiment"].value == net_sentiment
        assert tiles["response_rate"].value == response[brand]
        for index, column in enumerate(BENCHMARKED):
            value, median, rank = benchmark[brand][3 * index : 3 * index + 3]
            assert (tiles[column].value, tiles[column].sector_median) == (value, median), column
            assert tiles[column].sector_rank == rank, column
        peer_rates = [
            response[b]
            for b, (s, _, _) in sentiment.items()
            if s == sector and response[b] is not None
        ]
        assert tiles["response_rate"].sector_median == pytest.approx(statistics.median(peer_rates))


def test_a_brand_month_without_rows_has_tiles_without_values(snapshot: Snapshot) -> None:
    tiles = queries.kpi_tiles(snapshot, "no_such_brand", date(2011, 12, 1))
    assert len(tiles) == len(KPIS)
    assert {(t.value, t.sector_median, t.sector_rank) for t in tiles} == {(None, None, None)}


def test_trends_hold_every_month_of_the_brand(snapshot: Snapshot, marts) -> None:
    brand = "hanzebank"
    expected = marts(
        "select s.reporting_month, s.net_sentiment, b.sector_median_nps "
        "from marts.fct_sentiment_monthly s join marts.fct_brand_benchmark_monthly b "
        "using (brand, reporting_month) where brand = ? order by s.reporting_month",
        [brand],
    )
    trends = queries.kpi_trends(snapshot, brand)
    assert len(trends) == len(expected) == 24
    assert [m.date() for m in trends["reporting_month"]] == [row[0] for row in expected]
    assert list(trends["net_sentiment"]) == pytest.approx([row[1] for row in expected], nan_ok=True)
    assert list(trends["sector_median_nps"]) == pytest.approx(
        [row[2] for row in expected], nan_ok=True
    )


def test_response_time_distribution_counts_every_answered_message_once(
    snapshot: Snapshot, marts, last_month: date
) -> None:
    for (brand,) in marts("select brand from marts.dim_brands"):
        minutes = [
            m
            for (m,) in marts(
                "select first_response_minutes from marts.fct_inbound_messages "
                "where brand = ? and reporting_month = ? and is_answered",
                [brand, last_month],
            )
        ]
        expected = [
            sum(lower <= m < upper for m in minutes)
            for _, lower, upper in queries.RESPONSE_TIME_BUCKETS
        ]
        distribution = queries.response_time_distribution(snapshot, brand, last_month)
        assert list(distribution["bucket"]) == [b for b, _, _ in queries.RESPONSE_TIME_BUCKETS]
        assert list(distribution["messages"]) == expected
        summary = queries.response_summary(snapshot, brand, last_month)
        assert sum(expected) == summary["answered_messages"]
        assert summary["median_first_response_minutes"] == pytest.approx(
            statistics.median(minutes) if minutes else None
        )


def test_drill_downs_list_the_messages_the_response_kpis_count(
    snapshot: Snapshot, marts, last_month: date
) -> None:
    rows = marts(
        "select brand, inbound_messages, answered_messages, answered_within_window, "
        "answered_within_promise from marts.fct_webcare_response_monthly "
        "where reporting_month = ?",
        [last_month],
    )
    for brand, inbound, answered, within_window, within_promise in rows:
        (negative,) = marts(
            "select count(*) from marts.fct_inbound_messages where brand = ? "
            "and reporting_month = ? and sentiment_label = 'negative'",
            [brand, last_month],
        )[0]
        expected = {
            "all": inbound,
            "unanswered": inbound - answered,
            "outside_window": inbound - within_window,
            "promise_missed": inbound - within_promise,
            "answered_late": answered - within_promise,
            "answered": answered,
            "negative": negative,
        }
        counts = {
            choice.key: len(queries.messages(snapshot, brand, last_month, choice.key))
            for choice in queries.DRILL_DOWNS
        }
        assert counts == expected, brand
    assert sum(row[1] for row in rows) > 0


def test_drill_down_rows_are_the_published_messages(
    snapshot: Snapshot, marts, last_month: date
) -> None:
    brand = "polderfoon"
    expected = marts(
        "select author_id, created_at, first_response_at, first_response_minutes "
        "from marts.fct_inbound_messages where brand = ? and reporting_month = ? "
        "and not is_within_promise order by created_at, author_id, account_handle",
        [brand, last_month],
    )
    frame = queries.messages(snapshot, brand, last_month, "promise_missed")
    assert len(frame) == len(expected) > 0
    assert list(frame["author"]) == [row[0] for row in expected]
    assert all(author.startswith("p_") for author in frame["author"])
    # instants (TIMESTAMP WITH TIME ZONE), equal whatever zone each side shows them in
    assert [t.to_pydatetime() for t in frame["posted_at"]] == [row[1] for row in expected]
    # The published mart has no message text (yet): the page leaves the column out.
    assert "text" not in queries.message_columns(snapshot)
    assert "text" not in frame.columns


def test_an_unknown_drill_down_is_named(snapshot: Snapshot, last_month: date) -> None:
    with pytest.raises(KeyError, match=r"no drill-down 'late'.*answered_late"):
        queries.messages(snapshot, "polderfoon", last_month, "late")


def test_alerts_are_the_months_spike_days(snapshot: Snapshot, marts) -> None:
    months = marts(
        "select reporting_month, count(*) from marts.fct_negative_spike_alerts "
        "where is_alert group by reporting_month order by reporting_month"
    )
    assert months, "the demo plants negative spikes; none was detected"
    for month, count in months:
        alerts = queries.alerts(snapshot, month)
        expected = marts(
            "select brand, reporting_date, negative_mentions, alert_threshold "
            "from marts.fct_negative_spike_alerts where is_alert and reporting_month = ? "
            "order by reporting_date, brand",
            [month],
        )
        assert len(alerts) == count
        assert [
            (r.brand, r.alert_date.date(), r.negative_mentions, r.alert_threshold)
            for r in alerts.itertuples()
        ] == [(b, d, float(n), t) for b, d, n, t in expected]
        assert set(alerts["sigma"]) == {3.0}


def test_the_page_opens_on_the_most_mentioned_brand_of_the_newest_month(
    snapshot: Snapshot, marts, demo_home: Path
) -> None:
    # the demo's messages run to the last days of its last month, so that month is complete
    ((last,),) = marts("select max(reporting_month) from marts.fct_inbound_messages")
    mentions = dict(
        marts(
            "select brand, mentions from marts.fct_sentiment_monthly where reporting_month = ?",
            [last],
        )
    )
    expected = min(mentions, key=lambda brand: (-mentions[brand], brand))
    zone = Settings.from_env(demo_home).reporting_timezone
    assert queries.opening_view(snapshot, zone) == (expected, last)


def hand_made_snapshot(home: Path, messages: list[tuple[str, str]], mentions: list[tuple]):
    """A published snapshot of `messages` (reporting month, UTC time) in
    fct_inbound_messages and `mentions` (brand, reporting month, mentions) in
    fct_sentiment_monthly; opened as the page opens it."""
    path = home / "published" / "warehouse.duckdb"
    path.parent.mkdir(parents=True)
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema marts")
        conn.execute(
            "create table marts.fct_inbound_messages (reporting_month date, created_at timestamptz)"
        )
        conn.execute(
            "create table marts.fct_sentiment_monthly "
            "(brand varchar, reporting_month date, mentions bigint)"
        )
        conn.execute("set timezone = 'UTC'")
        if messages:
            conn.executemany("insert into marts.fct_inbound_messages values (?, ?)", messages)
        conn.executemany("insert into marts.fct_sentiment_monthly values (?, ?, ?)", mentions)
    return open_snapshot(Settings.from_env(home))


@pytest.mark.parametrize(
    ("zone", "messages", "expected"),
    [
        # December stops on the 3rd (an export cut short): November, its most mentioned
        # brand, the first key of two with as many
        (
            "UTC",
            [("2011-11-01", "2011-11-29 09:00"), ("2011-12-01", "2011-12-03 09:00")],
            ("bravo", date(2011, 11, 1)),
        ),
        # the newest November message, 27 November 23:30 UTC, is on the 28th in Amsterdam:
        # within the month's last three days there, not in UTC
        (
            "Europe/Amsterdam",
            [("2011-11-01", "2011-11-27 23:30"), ("2011-12-01", "2011-12-03 09:00")],
            ("bravo", date(2011, 11, 1)),
        ),
        (
            "UTC",
            [("2011-11-01", "2011-11-27 23:30"), ("2011-12-01", "2011-12-03 09:00")],
            ("alpha", date(2011, 12, 1)),
        ),
        # no month complete: the newest
        ("UTC", [("2011-12-01", "2011-12-03 09:00")], ("alpha", date(2011, 12, 1))),
        # no inbound message at all: the page's lists decide
        ("UTC", [], None),
    ],
)
def test_the_page_opens_on_the_newest_month_its_messages_cover_to_the_end(
    tmp_path: Path, zone: str, messages: list[tuple[str, str]], expected: tuple | None
) -> None:
    mentions = [
        ("alpha", "2011-11-01", 5),
        ("bravo", "2011-11-01", 7),
        ("charlie", "2011-11-01", 7),
        ("alpha", "2011-12-01", 2),
        ("bravo", "2011-12-01", 0),
    ]
    with hand_made_snapshot(tmp_path / "home", messages, mentions) as snapshot:
        assert queries.opening_view(snapshot, zone) == expected
