"""The mart benchmark's peer: three KPI marts in plain pandas, as an analyst would write them.

`compute` reads the raw and scores tables it needs into pandas (one plain ``select``
per table, nothing computed in DuckDB) and builds, with merges and group-bys,

- ``fct_sentiment_monthly`` (KPI_DEFINITIONS.md section 1 and the adjusted shares of
  dbt_project/README.md),
- ``fct_webcare_response_monthly`` (section 2: addressed accounts, first responses,
  calendar and business minutes, promises, replies and personalisation),
- ``fct_webcare_roi_monthly`` (section 7: negative poster journeys, recovery,
  deletion, value and cost),

following the interpretations of dbt_project/README.md, which the dbt SQL
implements. `compare` checks them column by column against the dbt marts.

Simplifications an analyst makes on clean data, which the benchmark's generator
guarantees: no duplicate loads of a row (staging's dedupe is skipped), and no brand
account or brand that only the data knows (every author flagged as a brand account is
in the accounts reference).
"""

from __future__ import annotations

import json
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import yaml

MARTS = ("fct_sentiment_monthly", "fct_webcare_response_monthly", "fct_webcare_roi_monthly")
KEYS = ("brand", "reporting_month")
LABELS = ("negative", "neutral", "positive")
HANDLE = r"(?<![a-z0-9_])@([a-z0-9_]+)"
MS = 1_000_000  # nanoseconds per millisecond
CALENDAR_MARGIN_DAYS = 7  # int_calendar_days: a week on both sides of the months


@dataclass
class Inputs:
    """The tables the three marts read, as pandas frames."""

    mentions: pd.DataFrame
    scores: pd.DataFrame
    brands: pd.DataFrame
    accounts: pd.DataFrame
    opening_hours: pd.DataFrame
    calibration: pd.DataFrame
    complaints: pd.DataFrame
    nps: pd.DataFrame


@dataclass
class PeerResult:
    """The three marts and how long each step took (seconds)."""

    marts: dict[str, pd.DataFrame]
    seconds: dict[str, float] = field(default_factory=dict)


def project_vars(project_dir: Path, overrides: dict | None = None) -> dict:
    """The assumptions of dbt_project.yml, with the overrides the dbt run was given."""
    declared = yaml.safe_load((project_dir / "dbt_project.yml").read_text())["vars"]
    return {**declared, **(overrides or {})}


def read_inputs(con: duckdb.DuckDBPyConnection) -> Inputs:
    """The raw and scores tables, column by column, as they are."""

    def read(sql: str) -> pd.DataFrame:
        return con.execute(sql).df()

    return Inputs(
        mentions=read(
            "select platform, mention_id, created_at, author_id, is_brand_account, text, brand,"
            " in_reply_to_id, language, deleted_at, extra from raw.mentions"
        ),
        scores=read(
            "select platform, mention_id, label, score, model_version from scores.mention_sentiment"
        ),
        brands=read("select brand, sector, currency from raw.brands"),
        accounts=read(
            "select brand, handle, platform, is_bot, promised_response_minutes, opening_hours,"
            " timezone from raw.webcare_accounts"
        ),
        opening_hours=read(
            "select handle, platform, weekday, opens_at, closes_at"
            " from raw.webcare_account_opening_hours"
        ),
        calibration=read(
            "select calibration_id, model_version, language, true_label, predicted_label,"
            " labelled_count, confusion_rate, inverse_coefficient from scores.sentiment_calibration"
        ),
        complaints=read("select brand, received_at from raw.complaints"),
        nps=read("select brand, answered_at from raw.nps_responses"),
    )


# ---- shared steps --------------------------------------------------------------------


def _blank_to_na(values: pd.Series) -> pd.Series:
    stripped = values.str.strip()
    return stripped.where(stripped != "")


def _month(timestamps: pd.Series, timezone: str) -> pd.Series:
    """First day of the reporting month (in `timezone`) of naive UTC timestamps."""
    local = timestamps.dt.tz_localize("UTC").dt.tz_convert(timezone).dt.tz_localize(None)
    return local.dt.to_period("M").dt.to_timestamp()


def _safe_divide(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    denominator = denominator.astype("float64")
    return numerator.astype("float64") / denominator.where(denominator != 0)


@dataclass
class Prepared:
    """What the three marts share: accounts, enriched mentions, inbound messages, replies,
    the brand-month spine."""

    accounts: pd.DataFrame
    mentions: pd.DataFrame
    inbound: pd.DataFrame
    replies: pd.DataFrame
    spine: pd.DataFrame
    months: pd.DatetimeIndex


def prepare(inputs: Inputs, variables: dict) -> Prepared:
    """Accounts, mentions with their resolved brand and score, inbound messages, brand
    replies (int_brand_replies) and the brand x month spine."""
    timezone = variables["reporting_timezone"]
    accounts = inputs.accounts.copy()
    accounts["account_key"] = (
        accounts["platform"].str.lower() + ":" + accounts["handle"].str.lower()
    )
    accounts["brand"] = _blank_to_na(accounts["brand"])
    accounts["opening_hours"] = _blank_to_na(accounts["opening_hours"].astype("string"))
    windows_per_account = (
        inputs.opening_hours.assign(
            account_key=inputs.opening_hours["platform"].str.lower()
            + ":"
            + inputs.opening_hours["handle"].str.lower()
        )
        .groupby("account_key")
        .size()
    )
    accounts["has_opening_hours"] = accounts["account_key"].isin(windows_per_account.index)
    accounts["effective_promise_minutes"] = accounts["promised_response_minutes"].fillna(
        variables["default_promise_minutes"]
    )
    accounts["has_expectations_management"] = (
        accounts["opening_hours"].notna() | accounts["promised_response_minutes"].notna()
    )
    accounts["timezone"] = _blank_to_na(accounts["timezone"]).fillna(timezone)

    m = inputs.mentions.copy()
    m["mention_key"] = m["platform"] + ":" + m["mention_id"]
    parent = _blank_to_na(m["in_reply_to_id"].astype("string"))
    m["in_reply_to_key"] = (m["platform"] + ":" + parent).where(parent.notna())
    m["brand"] = _blank_to_na(m["brand"].astype("string"))
    flagged = m["extra"].dropna().map(lambda text: json.loads(text).get("is_automated") is True)
    m["is_automated"] = flagged.reindex(m.index, fill_value=False).astype(bool)
    # the authoring account, for messages flagged as written by a brand account
    m["author_key"] = m["platform"].str.lower() + ":" + m["author_id"].str.lower()
    m = m.merge(
        accounts[["account_key", "brand", "is_bot"]].rename(
            columns={"account_key": "author_key", "brand": "account_brand"}
        ),
        on="author_key",
        how="left",
        indicator="account_match",
    )
    brand_authored = m["is_brand_account"]
    known = brand_authored & (m["account_match"] == "both")
    m["author_account_key"] = m["author_key"].where(known)
    m["author_brand"] = m["brand"].where(~brand_authored, m["account_brand"].fillna(m["brand"]))
    m["is_bot_author"] = m["is_bot"].where(known).fillna(False).astype(bool)
    m = m.drop(columns=["account_match", "account_brand", "is_bot"])

    # the brand along the thread: the message it answers, else its first brand replier
    parents = m[["mention_key", "author_brand", "is_brand_account", "author_account_key"]]
    parents = parents.rename(
        columns={
            "mention_key": "in_reply_to_key",
            "author_brand": "parent_brand",
            "is_brand_account": "parent_is_brand_account",
            "author_account_key": "replied_account_key",
        }
    )
    m = m.merge(parents, on="in_reply_to_key", how="left")
    repliers = m[m["is_brand_account"] & m["in_reply_to_key"].notna() & m["author_brand"].notna()]
    first_replier = (
        repliers.sort_values(["created_at", "mention_key"])
        .drop_duplicates("in_reply_to_key")[["in_reply_to_key", "author_brand"]]
        .rename(columns={"in_reply_to_key": "mention_key", "author_brand": "replier_brand"})
    )
    m = m.merge(first_replier, on="mention_key", how="left")
    m["brand"] = m["author_brand"].fillna(m["parent_brand"]).fillna(m["replier_brand"])
    m["is_reply_to_brand_account"] = m["parent_is_brand_account"].fillna(False).astype(bool)
    m["reporting_month"] = _month(m["created_at"], timezone)
    scores = inputs.scores.assign(
        mention_key=inputs.scores["platform"] + ":" + inputs.scores["mention_id"]
    )
    scores = scores.rename(
        columns={
            "label": "sentiment_label",
            "score": "sentiment_score",
            "model_version": "sentiment_model_version",
        }
    )[["mention_key", "sentiment_label", "sentiment_score", "sentiment_model_version"]]
    scores["sentiment_label"] = scores["sentiment_label"].str.lower()
    m = m.merge(scores, on="mention_key", how="left")

    inbound = m[~m["is_brand_account"] & m["brand"].notna()].copy()
    inbound["is_negative"] = inbound["sentiment_label"].eq("negative").fillna(False)

    replies = m[m["is_brand_account"]].merge(
        inbound[["mention_key", "brand"]].rename(
            columns={"mention_key": "in_reply_to_key", "brand": "inbound_brand"}
        ),
        on="in_reply_to_key",
        how="inner",
    )
    replies["is_automated_reply"] = replies["is_bot_author"] | replies["is_automated"]
    with warnings.catch_warnings():
        # the pattern's groups only group alternatives; pandas warns about any group
        warnings.simplefilter("ignore", UserWarning)
        signed = (
            replies["text"]
            .str.strip()
            .str.contains(variables["personalisation_signature_pattern"], regex=True)
        )
    replies["is_personalised"] = ~replies["is_automated_reply"] & signed.fillna(False).astype(bool)

    # the spine: every brand (reference and data) x every month with customer voice
    reference = inputs.brands.assign(brand=inputs.brands["brand"].str.strip())
    reference = reference[reference["brand"] != ""]
    reference["sector"] = _blank_to_na(reference["sector"].astype("string")).fillna("unassigned")
    seen = pd.concat(
        [
            accounts["brand"],
            _blank_to_na(inputs.mentions["brand"].astype("string")),
            inputs.complaints["brand"],
            inputs.nps["brand"],
        ]
    ).dropna()
    extra = sorted(set(seen) - set(reference["brand"]))
    brands = pd.concat(
        [
            reference[["brand", "sector", "currency"]],
            pd.DataFrame({"brand": extra, "sector": "unassigned", "currency": None}),
        ],
        ignore_index=True,
    )
    voice = pd.concat(
        [
            _month(inputs.mentions["created_at"], timezone),
            _month(inputs.complaints["received_at"], timezone),
            _month(inputs.nps["answered_at"], timezone),
        ]
    )
    months = pd.date_range(voice.min(), voice.max(), freq="MS")
    spine = brands.merge(pd.DataFrame({"reporting_month": months}), how="cross")
    return Prepared(accounts, m, inbound, replies, spine, months)


# ---- fct_sentiment_monthly ----------------------------------------------------------


def _adjusted_shares(inbound: pd.DataFrame, calibration: pd.DataFrame) -> pd.DataFrame:
    """Adjusted classify-and-count per brand-month (int_sentiment_prevalence)."""
    scored = inbound[inbound["sentiment_label"].notna()].copy()
    scored["language_code"] = scored["language"].str.lower().str.split("-").str[0]
    calibration = calibration.assign(
        language=calibration["language"].str.lower(),
        true_label=calibration["true_label"].str.lower(),
        predicted_label=calibration["predicted_label"].str.lower(),
    )
    languages = calibration[["model_version", "language", "calibration_id"]].drop_duplicates()
    pooled = languages[languages["language"] == "*"].rename(
        columns={"model_version": "sentiment_model_version"}
    )
    own = languages[languages["language"] != "*"][["model_version", "language"]].rename(
        columns={"model_version": "sentiment_model_version", "language": "language_code"}
    )
    own["own_language"] = own["language_code"]
    scored = scored.merge(pooled[["sentiment_model_version", "calibration_id"]], how="inner")
    scored = scored.merge(own, on=["sentiment_model_version", "language_code"], how="left")
    scored["calibration_language"] = scored["own_language"].fillna("*")

    group = ["brand", "reporting_month", "sentiment_model_version", "calibration_language"]
    counts = pd.crosstab([scored[c] for c in group], scored["sentiment_label"]).reindex(
        columns=list(LABELS), fill_value=0
    )
    per_group = counts.sum(axis=1)
    shares = counts.div(per_group, axis=0).add_prefix("q_").reset_index()
    shares["scored"] = per_group.to_numpy()
    shares["calibration_id"] = (
        scored.groupby(group)["calibration_id"].min().reindex(counts.index).to_numpy()
    )

    inverse = calibration.pivot_table(
        index=["model_version", "language", "true_label"],
        columns="predicted_label",
        values="inverse_coefficient",
        aggfunc="sum",
    ).reset_index()
    inverse = inverse.rename(
        columns={
            "model_version": "sentiment_model_version",
            "language": "calibration_language",
            **{label: f"a_{label}" for label in LABELS},
        }
    )
    estimates = shares.merge(inverse, on=["sentiment_model_version", "calibration_language"])
    estimates["class_share"] = (
        estimates["a_negative"] * estimates["q_negative"]
        + estimates["a_neutral"] * estimates["q_neutral"]
        + estimates["a_positive"] * estimates["q_positive"]
    )
    estimates["second_moment"] = (
        estimates["a_negative"] * estimates["a_negative"] * estimates["q_negative"]
        + estimates["a_neutral"] * estimates["a_neutral"] * estimates["q_neutral"]
        + estimates["a_positive"] * estimates["a_positive"] * estimates["q_positive"]
    )
    # what the calibration sample's own error adds: sum_t w_t p_t^2 of the group's shares
    group_keys = ["brand", "reporting_month", "sentiment_model_version", "calibration_language"]
    group_shares = estimates.pivot_table(
        index=group_keys, columns="true_label", values="class_share", aggfunc="sum"
    )
    group_shares = group_shares.reindex(columns=list(LABELS)).add_prefix("p_").reset_index()
    estimates = estimates.merge(group_shares, on=group_keys).merge(
        _calibration_weights(calibration),
        on=["sentiment_model_version", "calibration_language", "true_label"],
    )
    estimates["calibration_variance"] = sum(
        estimates[f"w_{label}"] * estimates[f"p_{label}"] ** 2 for label in LABELS
    )
    estimates["weighted"] = estimates["scored"] * estimates["class_share"]
    estimates["variance_part"] = (
        estimates["scored"] * (estimates["second_moment"] - estimates["class_share"] ** 2)
        + estimates["scored"] ** 2 * estimates["calibration_variance"]
    )
    by_class = estimates.groupby(["brand", "reporting_month", "true_label"]).agg(
        calibration_id=("calibration_id", "min"),
        total=("scored", "sum"),
        weighted=("weighted", "sum"),
        variance_part=("variance_part", "sum"),
    )
    by_class["share"] = (by_class["weighted"] / by_class["total"]).clip(0.0, 1.0)
    by_class["variance"] = by_class["variance_part"] / (by_class["total"] * by_class["total"])
    wide = by_class[["share", "variance"]].unstack("true_label")
    result = pd.DataFrame(index=wide.index)
    total_share = sum(wide[("share", label)] for label in LABELS)
    for label in LABELS:
        adjusted = _safe_divide(wide[("share", label)], total_share)
        margin = 1.96 * np.sqrt(wide[("variance", label)].clip(lower=0.0))
        result[f"share_{label}_adjusted"] = adjusted
        result[f"share_{label}_adjusted_lower_95"] = (adjusted - margin).clip(lower=0.0)
        result[f"share_{label}_adjusted_upper_95"] = (adjusted + margin).clip(upper=1.0)
    groups = by_class.groupby(["brand", "reporting_month"])
    result["calibrated_messages"] = groups["total"].max()
    result["sentiment_calibration"] = groups["calibration_id"].min()
    return result.reset_index()


def _calibration_weights(calibration: pd.DataFrame) -> pd.DataFrame:
    """Per model, language and true class i: w_t = (sum_j a_ij^2 c_tj - [i = t]) / m_t."""
    rows = []
    for (version, language), part in calibration.groupby(["model_version", "language"]):
        matrices = {
            column: part.pivot_table(
                index="true_label", columns="predicted_label", values=column, aggfunc="sum"
            )
            .reindex(index=list(LABELS), columns=list(LABELS))
            .to_numpy(dtype=float)
            for column in ("inverse_coefficient", "confusion_rate", "labelled_count")
        }
        examples = matrices["labelled_count"].sum(axis=1)
        weights = (
            matrices["inverse_coefficient"] ** 2 @ matrices["confusion_rate"].T - np.eye(3)
        ) / examples[np.newaxis, :]
        for i, label in enumerate(LABELS):
            rows.append(
                {
                    "sentiment_model_version": version,
                    "calibration_language": language,
                    "true_label": label,
                    **{f"w_{t}": weights[i, k] for k, t in enumerate(LABELS)},
                }
            )
    return pd.DataFrame(rows)


def _net_sentiment(positive: pd.Series, negative: pd.Series, mentions, formula: str) -> pd.Series:
    if formula == "polar":
        return _safe_divide(positive - negative, positive + negative)
    return _safe_divide(positive - negative, mentions)


def sentiment_monthly(p: Prepared, inputs: Inputs, variables: dict) -> pd.DataFrame:
    """fct_sentiment_monthly."""
    inbound = p.inbound
    counts = inbound.groupby(["brand", "reporting_month"]).agg(
        mentions=("mention_key", "size"),
        scored_mentions=("sentiment_label", "count"),
        mean_sentiment_score=("sentiment_score", "mean"),
    )
    labels = pd.crosstab(
        [inbound["brand"], inbound["reporting_month"]], inbound["sentiment_label"]
    ).reindex(columns=list(LABELS), fill_value=0)
    counts = counts.join(labels).reset_index()
    out = p.spine[["brand", "reporting_month", "sector"]].merge(
        counts, on=["brand", "reporting_month"], how="left"
    )
    for column in ("mentions", "scored_mentions", *LABELS):
        out[column] = out[column].fillna(0).astype("int64")
    for label in LABELS:
        out[f"share_{label}"] = _safe_divide(out[label], out["mentions"])
    formula = variables["net_sentiment_formula"]
    out["net_sentiment"] = _net_sentiment(
        out["positive"], out["negative"], out["mentions"], formula
    )
    out["net_sentiment_formula"] = formula
    sector = out.groupby(["sector", "reporting_month"])[["mentions", "negative"]].transform("sum")
    out["sector_mentions"] = sector["mentions"]
    out["share_of_voice"] = _safe_divide(out["mentions"], sector["mentions"])
    out["negative_share_of_voice"] = _safe_divide(out["negative"], sector["negative"])
    out["is_low_volume"] = out["mentions"] < variables["min_mentions_for_kpi"]
    adjusted = _adjusted_shares(inbound, inputs.calibration)
    out = out.merge(adjusted, on=["brand", "reporting_month"], how="left")
    out["net_sentiment_adjusted"] = _net_sentiment(
        out["share_positive_adjusted"], out["share_negative_adjusted"], 1, formula
    )
    return out


# ---- fct_webcare_response_monthly -----------------------------------------------------


def _addressed(p: Prepared) -> pd.DataFrame:
    """(inbound message, addressed account) pairs with the account's brand
    (int_inbound_first_responses: reply, handle, response; bots only alone for a brand)."""
    accounts = p.accounts[p.accounts["brand"].notna()][["account_key", "brand", "is_bot"]]
    inbound = p.inbound
    replied = inbound.loc[
        inbound["is_reply_to_brand_account"], ["mention_key", "replied_account_key"]
    ]
    replied = replied.rename(columns={"replied_account_key": "account_key"}).assign(precedence=1)
    handles = inbound[["mention_key", "platform", "text"]].copy()
    handles["handle"] = handles["text"].str.lower().str.findall(HANDLE)
    handles = handles.explode("handle").dropna(subset=["handle"])
    handles["account_key"] = handles["platform"].str.lower() + ":" + handles["handle"]
    named = handles[["mention_key", "account_key"]].assign(precedence=2)
    responding = (
        p.replies[["in_reply_to_key", "author_account_key"]]
        .rename(columns={"in_reply_to_key": "mention_key", "author_account_key": "account_key"})
        .drop_duplicates()
        .merge(accounts, on="account_key")
    )
    responded = responding.loc[~responding["is_bot"], ["mention_key", "account_key"]]
    desks = pd.concat([replied, named, responded.assign(precedence=3)])
    desk_brands = desks.merge(accounts, on="account_key")[["mention_key", "brand"]]
    bots = responding[responding["is_bot"]].merge(
        desk_brands.drop_duplicates(), on=["mention_key", "brand"], how="left", indicator=True
    )
    bots = bots.loc[bots["_merge"] == "left_only", ["mention_key", "account_key"]].assign(
        precedence=3
    )
    addressed = pd.concat([desks, bots]).merge(accounts, on="account_key")
    addressed = addressed.sort_values("precedence").drop_duplicates(["mention_key", "account_key"])
    return addressed[["mention_key", "account_key", "brand"]]


def _business_clock(windows: pd.DataFrame) -> Callable[[str, np.ndarray], np.ndarray]:
    """`clock(account_key, t)`: milliseconds of opening time of the account from the first
    window up to each time t (int64 ms since the epoch); a difference of two readings is
    the business time between them."""
    tables = {}
    for account, rows in windows.groupby("account_key"):
        rows = rows.sort_values("opens_ms")
        opens = rows["opens_ms"].to_numpy()
        lengths = rows["closes_ms"].to_numpy() - opens
        before = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        tables[account] = (opens, lengths, before)

    def clock(account: str, t: np.ndarray) -> np.ndarray:
        opens, lengths, before = tables[account]
        k = np.searchsorted(opens, t, side="right") - 1
        inside = np.clip(t - opens[np.maximum(k, 0)], 0, lengths[np.maximum(k, 0)])
        return np.where(k >= 0, before[np.maximum(k, 0)] + inside, 0)

    return clock


def _opening_windows(p: Prepared, inputs: Inputs) -> pd.DataFrame:
    """Every opening window of every account on every day of the calendar, in UTC ms."""
    hours = inputs.opening_hours.copy()
    hours["account_key"] = hours["platform"].str.lower() + ":" + hours["handle"].str.lower()
    hours = hours.merge(p.accounts[["account_key", "timezone"]], on="account_key")
    first = p.months.min() - pd.Timedelta(days=CALENDAR_MARGIN_DAYS)
    end = p.months.max() + pd.offsets.MonthBegin(1) + pd.Timedelta(days=CALENDAR_MARGIN_DAYS)
    days = pd.DataFrame({"date": pd.date_range(first, end, freq="D", inclusive="left")})
    days["weekday"] = days["date"].dt.isocalendar().day.astype("int64")
    windows = hours.merge(days, on="weekday")
    parts = []
    for zone, rows in windows.groupby("timezone"):
        rows = rows.copy()
        for end_name, column in (("opens", "opens_at"), ("closes", "closes_at")):
            local = rows["date"] + pd.to_timedelta(rows[column].astype(str))
            utc = local.dt.tz_localize(zone).dt.tz_convert("UTC").dt.tz_localize(None)
            rows[f"{end_name}_ms"] = utc.astype("datetime64[ms]").astype("int64")
        parts.append(rows)
    return pd.concat(parts)[["account_key", "opens_ms", "closes_ms"]]


def response_monthly(p: Prepared, inputs: Inputs, variables: dict) -> pd.DataFrame:
    """fct_webcare_response_monthly."""
    inbound = p.inbound[["mention_key", "created_at", "reporting_month"]]
    rows = _addressed(p).merge(inbound, on="mention_key")
    human = p.replies.loc[
        ~p.replies["is_automated_reply"], ["in_reply_to_key", "brand", "created_at"]
    ].rename(columns={"in_reply_to_key": "mention_key", "created_at": "reply_at"})
    human = human.merge(inbound[["mention_key", "created_at"]], on="mention_key")
    human = human[human["reply_at"] >= human["created_at"]]
    first = human.groupby(["mention_key", "brand"], as_index=False)["reply_at"].min()
    rows = rows.merge(first.rename(columns={"reply_at": "first_response_at"}), how="left")
    rows = rows.merge(
        p.accounts[["account_key", "has_opening_hours", "effective_promise_minutes"]],
        on="account_key",
    )
    answered = rows["first_response_at"].notna()
    created_ms = rows["created_at"].astype("datetime64[ms]").astype("int64")
    first_ms = rows["first_response_at"].fillna(rows["created_at"])
    first_ms = first_ms.astype("datetime64[ms]").astype("int64")
    rows["first_response_minutes"] = ((first_ms - created_ms) / 60000.0).where(answered)
    rows["first_response_business_minutes"] = rows["first_response_minutes"]
    clock = _business_clock(_opening_windows(p, inputs))
    for account, index in (
        rows[answered & rows["has_opening_hours"]].groupby("account_key").groups.items()
    ):
        business = clock(account, first_ms[index].to_numpy()) - clock(
            account, created_ms[index].to_numpy()
        )
        rows.loc[index, "first_response_business_minutes"] = business / 60000.0
    minutes = rows["first_response_minutes"]
    promised = rows["first_response_business_minutes"].where(
        rows["has_opening_hours"], rows["first_response_minutes"]
    )
    rows["is_answered"] = answered
    rows["is_answered_within_window"] = minutes <= variables["response_window_hours"] * 60
    rows["is_answered_within_1h"] = minutes <= 60
    rows["is_answered_within_24h"] = minutes <= 24 * 60
    rows["is_within_promise"] = promised <= rows["effective_promise_minutes"]

    grouped = rows.groupby(["brand", "reporting_month"])
    counts = grouped.agg(
        inbound_messages=("mention_key", "size"),
        answered_messages=("is_answered", "sum"),
        answered_within_window=("is_answered_within_window", "sum"),
        answered_within_promise=("is_within_promise", "sum"),
        answered_within_1h=("is_answered_within_1h", "sum"),
        answered_within_24h=("is_answered_within_24h", "sum"),
    )
    counts["median_first_response_minutes"] = grouped["first_response_minutes"].quantile(0.5)
    counts["p90_first_response_minutes"] = grouped["first_response_minutes"].quantile(0.9)
    counts["median_first_response_business_minutes"] = grouped[
        "first_response_business_minutes"
    ].quantile(0.5)
    replies = p.replies.groupby(["brand", "reporting_month"]).agg(
        brand_replies=("mention_key", "size"),
        automated_replies=("is_automated_reply", "sum"),
        personalised_replies=("is_personalised", "sum"),
    )
    replies["human_replies"] = replies["brand_replies"] - replies["automated_replies"]
    accounts = (
        p.accounts[p.accounts["brand"].notna()]
        .groupby("brand")
        .agg(
            webcare_accounts=("account_key", "size"),
            has_expectations_management=("has_expectations_management", "any"),
        )
    )
    out = p.spine[["brand", "reporting_month", "sector"]]
    out = out.merge(counts.reset_index(), how="left").merge(replies.reset_index(), how="left")
    out = out.merge(accounts.reset_index(), on="brand", how="left")
    inbound_messages = out["inbound_messages"]
    for column in (
        "inbound_messages",
        "answered_messages",
        "answered_within_window",
        "answered_within_promise",
        "brand_replies",
        "automated_replies",
        "human_replies",
        "personalised_replies",
        "webcare_accounts",
    ):
        out[column] = out[column].fillna(0).astype("int64")
    out["response_rate"] = _safe_divide(out["answered_within_window"], inbound_messages)
    out["sla_attainment"] = _safe_divide(out["answered_within_promise"], inbound_messages)
    out["share_answered_within_1h"] = _safe_divide(out["answered_within_1h"], inbound_messages)
    out["share_answered_within_24h"] = _safe_divide(out["answered_within_24h"], inbound_messages)
    out["personalisation_rate"] = _safe_divide(out["personalised_replies"], out["human_replies"])
    out["has_expectations_management"] = (
        out["has_expectations_management"].astype("boolean").fillna(False).astype(bool)
    )
    out["assumption_response_window_hours"] = variables["response_window_hours"]
    out["assumption_default_promise_minutes"] = variables["default_promise_minutes"]
    return out.drop(columns=["answered_within_1h", "answered_within_24h"])


# ---- fct_webcare_roi_monthly ---------------------------------------------------------

CENT = Decimal("0.01")


def _cent(value: float) -> float:
    """An amount in cents as the marts round it: the written decimal, halves away from zero."""
    return float(Decimal(repr(float(value))).quantize(CENT, ROUND_HALF_UP))


def _cents(values: pd.Series) -> pd.Series:
    """`_cent` of every amount; missing ones stay missing."""
    return values.map(lambda value: value if pd.isna(value) else _cent(value))


def roi_monthly(p: Prepared, variables: dict) -> pd.DataFrame:
    """fct_webcare_roi_monthly."""
    inbound = p.inbound
    negative = inbound.loc[
        inbound["is_negative"],
        ["mention_key", "brand", "reporting_month", "author_id", "created_at", "deleted_at"],
    ]
    human = p.replies.loc[
        ~p.replies["is_automated_reply"], ["in_reply_to_key", "brand", "created_at"]
    ].rename(columns={"in_reply_to_key": "mention_key", "created_at": "reply_at"})
    contact = negative[["mention_key", "brand", "created_at"]].merge(
        human, on=["mention_key", "brand"]
    )
    contact = contact[contact["reply_at"] >= contact["created_at"]]
    first_reply = contact.groupby("mention_key")["reply_at"].min().rename("first_reply_at")
    posts = negative.merge(first_reply, on="mention_key", how="left")
    posts["is_contacted_post"] = posts["first_reply_at"].notna()
    posts["is_deleted_after_contact"] = posts["deleted_at"] > posts["first_reply_at"]
    journeys = posts.groupby(["brand", "reporting_month", "author_id"], as_index=False).agg(
        first_negative_at=("created_at", "min"),
        contacted_at=("first_reply_at", "min"),
        contacted_negative_posts=("is_contacted_post", "sum"),
        deleted_contacted_negative_posts=("is_deleted_after_contact", "sum"),
    )
    journeys["is_contacted"] = journeys["contacted_at"].notna()
    journeys["journey_start_at"] = journeys["contacted_at"].fillna(journeys["first_negative_at"])

    later = journeys[["brand", "reporting_month", "author_id", "journey_start_at"]].merge(
        inbound[["brand", "author_id", "mention_key", "created_at", "sentiment_label"]],
        on=["brand", "author_id"],
    )
    window = pd.Timedelta(days=variables["recovery_window_days"])
    later = later[
        (later["created_at"] > later["journey_start_at"])
        & (later["created_at"] <= later["journey_start_at"] + window)
    ]
    following = later.sort_values(["created_at", "mention_key"]).drop_duplicates(
        ["brand", "reporting_month", "author_id"]
    )
    following = following.assign(is_recovered=following["sentiment_label"].eq("positive"))
    journeys = journeys.merge(
        following[["brand", "reporting_month", "author_id", "is_recovered"]], how="left"
    )
    journeys["is_recovered"] = journeys["is_recovered"].astype("boolean").fillna(False).astype(bool)
    journeys["recovered_contacted"] = journeys["is_contacted"] & journeys["is_recovered"]
    journeys["recovered_uncontacted"] = ~journeys["is_contacted"] & journeys["is_recovered"]

    counts = journeys.groupby(["brand", "reporting_month"]).agg(
        negative_posters=("author_id", "size"),
        contacted_negative_posters=("is_contacted", "sum"),
        recovered_contacted_posters=("recovered_contacted", "sum"),
        recovered_uncontacted_posters=("recovered_uncontacted", "sum"),
        contacted_negative_posts=("contacted_negative_posts", "sum"),
        deleted_contacted_negative_posts=("deleted_contacted_negative_posts", "sum"),
    )
    counts["uncontacted_negative_posters"] = (
        counts["negative_posters"] - counts["contacted_negative_posters"]
    )
    replies = p.replies.groupby(["brand", "reporting_month"]).agg(
        brand_replies=("mention_key", "size"), automated_replies=("is_automated_reply", "sum")
    )
    replies["human_replies"] = replies["brand_replies"] - replies["automated_replies"]
    out = p.spine[["brand", "reporting_month", "sector", "currency"]]
    out = out.merge(counts.reset_index(), how="left").merge(replies.reset_index(), how="left")
    has_journeys = out["negative_posters"].notna()
    for column in (*counts.columns, *replies.columns):
        out[column] = out[column].fillna(0).astype("int64")
    out["contacted_rate"] = _safe_divide(out["contacted_negative_posters"], out["negative_posters"])
    out["recovery_rate_contacted"] = _safe_divide(
        out["recovered_contacted_posters"], out["contacted_negative_posters"]
    )
    out["recovery_rate_uncontacted"] = _safe_divide(
        out["recovered_uncontacted_posters"], out["uncontacted_negative_posters"]
    )
    out["recovery_uplift"] = out["recovery_rate_contacted"] - out["recovery_rate_uncontacted"]
    deletion_reported = bool(p.mentions["deleted_at"].notna().any())
    out["deletion_rate"] = _safe_divide(
        out["deleted_contacted_negative_posts"], out["contacted_negative_posts"]
    ).where(has_journeys & deletion_reported)
    # Money is published in cents (the marts' contract: DECIMAL(18,2)), and the ROI is
    # that of the amounts a reader sees.
    out["estimated_value_protected"] = _cents(
        out["recovery_uplift"]
        * out["contacted_negative_posters"]
        * variables["customer_annual_value"]
    )
    out["webcare_cost"] = _cents(out["human_replies"] * variables["cost_per_reply"])
    out["roi_proxy"] = _safe_divide(
        out["estimated_value_protected"] - out["webcare_cost"], out["webcare_cost"]
    )
    out["assumption_recovery_window_days"] = variables["recovery_window_days"]
    out["assumption_customer_annual_value"] = _cent(float(variables["customer_annual_value"]))
    out["assumption_cost_per_reply"] = _cent(float(variables["cost_per_reply"]))
    return out


# ---- the whole peer ------------------------------------------------------------------


def compute(con: duckdb.DuckDBPyConnection, variables: dict) -> PeerResult:
    """Read the inputs and build the three marts; seconds per step in the result."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    inputs = read_inputs(con)
    seconds["read"] = time.perf_counter() - started
    step = time.perf_counter()
    prepared = prepare(inputs, variables)
    seconds["prepare"] = time.perf_counter() - step
    marts = {}
    for name, build in (
        ("fct_sentiment_monthly", lambda: sentiment_monthly(prepared, inputs, variables)),
        ("fct_webcare_response_monthly", lambda: response_monthly(prepared, inputs, variables)),
        ("fct_webcare_roi_monthly", lambda: roi_monthly(prepared, variables)),
    ):
        step = time.perf_counter()
        marts[name] = build()
        seconds[name] = time.perf_counter() - step
    seconds["total"] = time.perf_counter() - started
    return PeerResult(marts, seconds)


# ---- comparison ----------------------------------------------------------------------


@dataclass
class Comparison:
    """How a peer mart compares with the dbt mart."""

    mart: str
    rows: int
    compared: list[str]
    not_covered: list[str]
    mismatches: list[str]

    @property
    def equal(self) -> bool:
        """Same keys and rows, and every compared column equal."""
        return not self.mismatches


def _equal_values(left: object, right: object, tolerance: float) -> bool:
    left_missing = left is None or (isinstance(left, float) and math.isnan(left)) or left is pd.NA
    right_missing = (
        right is None or (isinstance(right, float) and math.isnan(right)) or right is pd.NA
    )
    if left_missing or right_missing:
        return left_missing and right_missing
    if isinstance(left, (bool, np.bool_)) or isinstance(right, (bool, np.bool_)):
        return bool(left) == bool(right)
    if isinstance(left, (int, float, np.number)) and isinstance(right, (int, float, np.number)):
        return math.isclose(float(left), float(right), rel_tol=tolerance, abs_tol=tolerance)
    return str(left) == str(right)


def compare(
    mart: str, dbt_frame: pd.DataFrame, peer_frame: pd.DataFrame, tolerance: float = 1e-9
) -> Comparison:
    """Compare every column the peer computes, keyed by brand and month; floats to
    `tolerance` (relative and absolute), everything else exactly."""
    keys = list(KEYS)
    dbt_frame = dbt_frame.assign(reporting_month=pd.to_datetime(dbt_frame["reporting_month"]))
    peer_frame = peer_frame.assign(reporting_month=pd.to_datetime(peer_frame["reporting_month"]))
    compared = [c for c in dbt_frame.columns if c in peer_frame.columns and c not in keys]
    not_covered = [c for c in dbt_frame.columns if c not in peer_frame.columns]
    mismatches = []
    if len(dbt_frame) != len(peer_frame):
        mismatches.append(f"rows: dbt {len(dbt_frame)}, pandas {len(peer_frame)}")
    merged = dbt_frame.merge(
        peer_frame[[*keys, *compared]],
        on=keys,
        how="outer",
        suffixes=("", "__peer"),
        indicator=True,
    )
    for side, name in (("left_only", "only in dbt"), ("right_only", "only in pandas")):
        missing = merged[merged["_merge"] == side]
        if len(missing):
            first = missing.iloc[0]
            mismatches.append(
                f"{len(missing)} key(s) {name}, e.g. ({first['brand']}, "
                f"{first['reporting_month']:%Y-%m})"
            )
    both = merged[merged["_merge"] == "both"]
    for column in compared:
        left, right = both[column].tolist(), both[f"{column}__peer"].tolist()
        bad = [
            i
            for i, (a, b) in enumerate(zip(left, right, strict=True))
            if not _equal_values(a, b, tolerance)
        ]
        if bad:
            row = both.iloc[bad[0]]
            mismatches.append(
                f"{column}: {len(bad)} row(s) differ, e.g. ({row['brand']}, "
                f"{row['reporting_month']:%Y-%m}) dbt {left[bad[0]]!r} vs pandas {right[bad[0]]!r}"
            )
    return Comparison(mart, len(dbt_frame), compared, not_covered, mismatches)


def compare_with_dbt(con: duckdb.DuckDBPyConnection, result: PeerResult) -> list[Comparison]:
    """Each of the three marts of the dbt build against the peer's."""
    return [
        compare(mart, con.execute(f"select * from marts.{mart}").df(), result.marts[mart])
        for mart in MARTS
    ]
