"""Runs one generation: simulate every source, plan the landing files, compute the truth, write."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import yaml

from demo import catalogue as cat
from demo import complaints as complaints_mod
from demo import landing, mentions, nps, stocks, truth
from demo.world import World
from warehouse.partitions import is_month_key

PARTITIONED = ("mentions", "complaints", "nps_responses", "stock_prices")
REFERENCE = ("brands", "webcare_accounts")
BRANDS_FILE = "brands/demo/brands.csv"
ACCOUNTS_FILE = "webcare_accounts/demo/webcare_accounts.yaml"
TRUTH_VERSION = 1
# Beside truth.json: inbound messages with their planted labels, for calibration.
LABELLED_SAMPLE_FILE = "labelled_sample.csv"
LABELLED_SAMPLE_SIZE = 600
LABEL_NAMES = {cat.NEGATIVE: "negative", cat.NEUTRAL: "neutral", cat.POSITIVE: "positive"}


class DemoDataError(ValueError):
    """The generator was called with arguments it cannot honour."""


def month_list(start: str, months: int) -> list[str]:
    """``months`` consecutive ``YYYY-MM`` keys from `start`."""
    if not is_month_key(start):
        raise DemoDataError(f"start must look like YYYY-MM, got {start!r}")
    if months < 1:
        raise DemoDataError(f"months must be at least 1, got {months}")
    year, month = (int(x) for x in start.split("-"))
    keys = []
    for k in range(months):
        y, m = divmod(month - 1 + k, 12)
        keys.append(f"{year + y:04d}-{m + 1:02d}")
    return keys


def brands_csv(world: World) -> bytes:
    """The brands reference file."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "brand",
            "display_name",
            "sector",
            "country",
            "ticker",
            "currency",
            "shares_outstanding",
            "keywords",
        ]
    )
    for b in world.brands:
        writer.writerow(
            [
                b.key,
                b.display_name,
                b.sector,
                "NL",
                b.ticker or "",
                "EUR",
                b.shares_outstanding or "",
                "|".join(b.keywords),
            ]
        )
    return buffer.getvalue().encode("utf-8")


def accounts_yaml(world: World) -> bytes:
    """The webcare accounts reference file (keys left out where an account publishes nothing)."""
    items = []
    for a in world.accounts:
        item: dict = {
            "brand": a.brand,
            "handle": a.handle,
            "platform": a.platform,
            "is_bot": a.is_bot,
        }
        if a.promised_response_minutes is not None:
            item["promised_response_minutes"] = a.promised_response_minutes
        if a.opening_hours is not None:
            item["opening_hours"] = a.opening_hours
        item["timezone"] = a.timezone
        item["bio"] = a.bio
        items.append(item)
    return yaml.safe_dump(items, sort_keys=False, allow_unicode=True, width=100).encode("utf-8")


def labelled_sample(world: World, mention_frame: pl.DataFrame) -> bytes:
    """A random sample of inbound messages with their planted labels, as CSV.

    What an analyst would label by hand to calibrate the sentiment model on their own
    domain (`webcare calibrate-sentiment`): text, label, language.
    """
    inbound = mention_frame.filter(
        ~pl.col("_is_brand") & (pl.col("text").fill_null("").str.strip_chars() != "")
    )
    size = min(LABELLED_SAMPLE_SIZE, inbound.height)
    rows = np.sort(world.streams["sample"].choice(inbound.height, size=size, replace=False))
    sample = inbound[rows].select(
        "text",
        pl.col("_label").replace_strict(LABEL_NAMES, return_dtype=pl.String).alias("label"),
        "language",
    )
    return sample.write_csv().encode("utf-8")


def generate(
    landing_dir: Path,
    truth_path: Path,
    *,
    seed: int = 42,
    size: str = "default",
    start: str = "2010-01",
    months: int = 24,
    reporting_timezone: str = "Europe/Amsterdam",
    sarcastic_share: float = 0.0,
) -> dict:
    """Write the demo landing files under `landing_dir` and the truth to `truth_path`.

    `size` is ``small`` (about 4,000 mentions), ``default`` (about 50,000) or
    ``large`` (about 250,000) for 24 months. `sarcastic_share` of the ordinary negative
    messages are written as sarcasm (positive words, planted label negative): a bias
    of the classifier for the adjusted shares to correct; 0 by default. Returns the
    truth dict (layout and guarantees: see the package docstring).
    """
    if size not in cat.SIZES:
        raise DemoDataError(f"size must be one of {', '.join(cat.SIZES)}, got {size!r}")
    if not 0.0 <= sarcastic_share <= 1.0:
        raise DemoDataError(f"sarcastic_share must lie in [0, 1], got {sarcastic_share}")
    keys = month_list(start, months)
    world = World.create(
        seed, size, cat.SIZES[size], keys, reporting_timezone, sarcastic_share=sarcastic_share
    )

    complaint_table = complaints_mod.simulate(world)
    sim = mentions.simulate(world, complaint_table)
    mention_frame = mentions.to_frame(world, sim)
    complaint_frame = complaints_mod.to_frame(world, complaint_table)
    sentiment, net = truth.sentiment_truth(world, mention_frame, sim["latent"])
    net_for_models = np.where(np.isnan(net), sim["latent"], net)
    nps_frame, nps_target = nps.to_frame(world, net_for_models)
    planted_returns = stocks.planted_returns(world, net_for_models)
    stock_frame = stocks.to_frame(world, planted_returns["log_return"])

    rng = world.streams["landing"]
    files: list[landing.PlannedFile] = []
    in_place: dict[str, set[int]] = {}
    frames = {
        "mentions": mention_frame,
        "complaints": complaint_frame,
        "nps_responses": nps_frame,
        "stock_prices": stock_frame,
    }
    for source in PARTITIONED:
        planned, rejected = landing.plan_source(source, frames[source], keys, rng)
        files += planned
        in_place[source] = rejected

    def loaded(source: str) -> np.ndarray:
        return ~np.isin(
            frames[source]["_row"].to_numpy(), np.array(sorted(in_place[source]), dtype=np.int64)
        )

    contents = {f.relpath: f.to_bytes() for f in files}
    contents[BRANDS_FILE] = brands_csv(world)
    contents[ACCOUNTS_FILE] = accounts_yaml(world)

    nps_truth = truth.nps_truth(world, nps_frame, loaded("nps_responses"), nps_target)
    stock_truth = truth.stock_truth(world, stock_frame, loaded("stock_prices"), planted_returns)
    result = {
        "truth_version": TRUTH_VERSION,
        "seed": seed,
        "size": size,
        "sarcastic_share": sarcastic_share,
        "months": keys,
        "reporting_timezone": reporting_timezone,
        "source_timezone": reporting_timezone,
        "landing_layout": "<landing>/<source>/demo/<YYYY-MM>/<file>; reference: "
        f"{BRANDS_FILE}, {ACCOUNTS_FILE}",
        "sectors": {s: [b.key for b in world.brands if b.sector == s] for s in cat.SECTORS},
        "brands": truth.brands_truth(world),
        "accounts": truth.accounts_truth(world, mention_frame, sim["clocks"]),
        "sentiment": sentiment,
        "webcare": truth.webcare_truth(world, mention_frame),
        "roi": truth.roi_truth(world, mention_frame),
        "roi_model": {
            "recovery_probability_contacted": cat.RECOVERY_CONTACTED,
            "recovery_probability_uncontacted": cat.RECOVERY_UNCONTACTED,
            "recovery_delay_days": [0.5, cat.RECOVERY_WINDOW_DAYS],
            "deletion_probability_contacted": cat.DELETION_CONTACTED,
            "deletion_probability_uncontacted": cat.DELETION_UNCONTACTED,
            "follow_up_probability": cat.FOLLOW_UP_PROBABILITY,
            "recovery_window_days": truth.RECOVERY_WINDOW_DAYS,
        },
        "repeat_complainers": truth.repeat_truth(world, mention_frame),
        "crisis": _crisis(sim["crisis"], truth.spike_truth(world, mention_frame)),
        "complaints": truth.complaints_truth(
            world, complaint_frame, mention_frame, loaded("complaints")
        ),
        "complaints_model": {
            "social_handle_share": cat.COMPLAINT_SOCIAL_SHARE,
            "escalation_probability": cat.ESCALATION_PROBABILITY,
            "escalation_delay_days": [1 / 24, cat.ESCALATION_MAX_DAYS],
            "escalation_window_days": truth.ESCALATION_WINDOW_DAYS,
            "resolved_share": cat.COMPLAINT_RESOLVED_SHARE,
        },
        "nps": nps_truth,
        "nps_model": {
            "formula": "expected_nps = alpha + beta * net_sentiment + N(0, noise_sd), "
            "clipped to [-80, 80]",
            "alpha": cat.NPS_ALPHA,
            "beta": cat.NPS_BETA,
            "noise_sd": cat.NPS_NOISE_SD,
            "net_sentiment": "sentiment[brand][month].net_sentiment (polar formula, true labels, "
            "same month)",
            "responses_per_brand_month": [world.size.nps_min, world.size.nps_max],
            "comment_share": cat.NPS_COMMENT_SHARE,
            "comment_label": "promoters positive, passives neutral, detractors negative",
        },
        "stock": stock_truth,
        "stock_model": {
            "formula": "log(adj_close_end / adj_close_prev_end) = mu + beta * (net_sentiment - "
            "brand mean net_sentiment over the period) + market_month + noise",
            "mu": cat.STOCK_MU,
            "beta": cat.STOCK_BETA,
            "market_sd": cat.STOCK_MARKET_SD,
            "noise_sd": cat.STOCK_NOISE_SD,
            "daily_sd": cat.STOCK_DAILY_SD,
            "market_by_month": {
                m: truth._r(v, 8) for m, v in zip(keys, planted_returns["market"], strict=True)
            },
            "dividends": "one ex-date per year (first trading day of May): close drops by the "
            "yield, adj_close does not",
        },
        "correlations": truth.correlations_truth(world, sentiment, nps_truth, stock_truth),
        "mentions_model": {
            "seasonality_by_calendar_month": list(cat.SEASONALITY),
            "trend_per_month": cat.TREND_PER_MONTH,
            "latent_sentiment_ar": cat.SENTIMENT_AR,
            "latent_sentiment_shock_sd": cat.SENTIMENT_SHOCK_SD,
            "english_share": cat.ENGLISH_SHARE,
            "platform_shares": cat.PLATFORM_SHARES,
            "twitter_addressed_share": cat.TWITTER_ADDRESSED,
            "signed_share_of_personalised_replies": cat.SIGNED_SHARE,
            "second_reply_probability": cat.SECOND_REPLY_PROBABILITY,
        },
        "authors": _authors(mention_frame),
        "dst_rows": _dst_rows(mention_frame),
        "expected_counts": truth.expected_counts(files, keys, PARTITIONED),
        "reference_counts": {
            "brands": {
                "file": BRANDS_FILE,
                "rows_in_files": len(world.brands),
                "loaded": len(world.brands),
                "rejected": 0,
            },
            "webcare_accounts": {
                "file": ACCOUNTS_FILE,
                "rows_in_files": len(world.accounts),
                "loaded": len(world.accounts),
                "rejected": 0,
            },
        },
        "bad_rows": [row for f in files for row in f.bad_rows],
        "identical_duplicates": [row for f in files for row in f.identical_duplicates],
    }
    landing_dir = Path(landing_dir)
    landing.write_files(landing_dir, contents, PARTITIONED + REFERENCE)
    truth_path = Path(truth_path)
    truth_path.parent.mkdir(parents=True, exist_ok=True)
    data = (json.dumps(result, indent=1, ensure_ascii=False, default=_json_scalar) + "\n").encode(
        "utf-8"
    )
    if not (truth_path.is_file() and truth_path.read_bytes() == data):
        truth_path.write_bytes(data)
    sample_path = truth_path.parent / LABELLED_SAMPLE_FILE
    sample = labelled_sample(world, mention_frame)
    if not (sample_path.is_file() and sample_path.read_bytes() == sample):
        sample_path.write_bytes(sample)
    # Hand back exactly what truth.json holds (plain JSON types, no numpy scalars).
    return json.loads(data)


def _crisis(info: dict, alerts: list[dict]) -> dict:
    """The planted crisis and every day the spike rule fires on true labels (crisis days marked)."""
    for alert in alerts:
        alert["is_crisis_day"] = alert["brand"] == info["brand"] and alert["date"] in info["days"]
    return {
        **info,
        "spike_rule": {
            "baseline_days": truth.SPIKE_BASELINE_DAYS,
            "sigma": truth.SPIKE_SIGMA,
            "min_count": truth.SPIKE_MIN_COUNT,
            "baseline": "the 28 calendar days before the day (zeros included), local days",
        },
        "spike_alerts": alerts,
    }


def _authors(frame: pl.DataFrame) -> dict:
    inbound = frame.filter(~pl.col("_is_brand") & (pl.col("_author_key") >= 0))
    per_author = inbound.group_by("_author_key").agg(pl.col("_month").n_unique().alias("months"))
    return {
        "distinct_customer_authors": per_author.height,
        "authors_in_two_or_more_months": int((per_author["months"] >= 2).sum()),
    }


def _dst_rows(frame: pl.DataFrame) -> list[dict]:
    rows = frame.filter(pl.col("_kind") == mentions.K_DST)
    out = []
    for mid, created, t in zip(rows["mention_id"], rows["created_at"], rows["_t"], strict=True):
        utc = datetime.fromtimestamp(int(t), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        out.append({"mention_id": mid, "created_at": created, "utc": utc})
    return out


def _json_scalar(value: object) -> object:
    """numpy scalars that slip into the truth are written as plain JSON numbers / booleans."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} to truth.json")
