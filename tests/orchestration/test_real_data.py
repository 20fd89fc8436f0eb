"""Real exports through `webcare ingest` and `webcare run`: twcs for volume and sentiment,
CFPB complaints for the banks that have a twcs support account."""

import duckdb
import pytest

from orchestration import commands

pytestmark = [pytest.mark.slow, pytest.mark.shared_data]


@pytest.fixture(scope="module")
def real_home(tmp_path_factory, shared_file):
    twcs = shared_file("twcs/twcs_random5000.csv")
    cfpb = shared_file("complaints/cfpb_complaints_sample.csv")
    home = tmp_path_factory.mktemp("real_home")
    assert commands.ingest("mentions", "twcs", [str(twcs)], home=str(home)) == 0
    assert commands.ingest("complaints", "cfpb", [str(cfpb)], home=str(home)) == 0
    prices = [str(shared_file(f"stocks/{ticker}_data.csv")) for ticker in ("AAL", "AAPL", "CMCSA")]
    assert commands.ingest("stock_prices", "daily_prices", prices, home=str(home)) == 0
    # The twcs sample spans 2008-2017; the marts cover the sample's last two years.
    assert commands.run(home=str(home), months="2016-01:2017-12") == 0
    return home


def _snapshot(home):
    return duckdb.connect(str(home / "published" / "warehouse.duckdb"), read_only=True)


def test_twcs_support_accounts_become_brands_with_sentiment(real_home):
    with duckdb.connect(str(real_home / "warehouse.duckdb"), read_only=True) as live:
        inbound_2017 = live.execute(
            "select count(*) from raw.mentions where not is_brand_account and brand is not null "
            "and partition_month between date '2016-01-01' and date '2017-12-01'"
        ).fetchone()[0]
    with _snapshot(real_home) as conn:
        brands = {b for (b,) in conn.execute("select brand from marts.dim_brands").fetchall()}
        assert {"americanair", "applesupport", "amazonhelp", "comcastcares"} <= brands
        mentions, positive, neutral, negative = conn.execute(
            "select sum(mentions), sum(positive), sum(neutral), sum(negative) "
            "from marts.fct_sentiment_monthly "
            "where reporting_month between date '2016-01-01' and date '2017-12-01'"
        ).fetchone()
        assert mentions == inbound_2017
        assert positive + neutral + negative == mentions
        # Customer-support traffic is mostly complaints: negatives outnumber positives.
        assert negative > positive > 0
        share = conn.execute(
            "select sum(share_of_voice) from marts.fct_sentiment_monthly "
            "where sector = 'airline' and reporting_month = date '2017-10-01'"
        ).fetchone()[0]
        assert share == pytest.approx(1.0)


def test_cfpb_complaints_feed_the_bank_complaint_mart(real_home):
    with _snapshot(real_home) as conn:
        rows = dict(
            conn.execute(
                "select brand, sum(traditional_complaints) "
                "from marts.fct_complaint_channels_monthly "
                "where brand in ('bofa_help', 'chasesupport', 'ask_wellsfargo', 'askciti') "
                "group by brand"
            ).fetchall()
        )
    assert set(rows) == {"bofa_help", "chasesupport", "ask_wellsfargo", "askciti"}
    assert all(count > 0 for count in rows.values())


def test_share_prices_meet_sentiment_for_listed_support_brands(real_home):
    with _snapshot(real_home) as conn:
        rows = conn.execute(
            "select brand, count(monthly_return), min(month_end_close) "
            "from marts.fct_sentiment_stock_monthly where ticker in ('AAL', 'AAPL', 'CMCSA') "
            # The marts span every month in the warehouse (CFPB runs to 2020): keep the run's.
            "and reporting_month between date '2016-01-01' and date '2017-12-01' "
            "group by brand order by brand"
        ).fetchall()
    assert [brand for brand, _, _ in rows] == ["americanair", "applesupport", "comcastcares"]
    for _, returns, lowest_close in rows:
        assert returns == 24
        assert lowest_close > 0
