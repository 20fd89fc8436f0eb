"""The truth: planted parameters and true values, computed from exactly the rows written.

Every count here is computed from the planned files' rows with the loader's view in
mind: rows the loader must reject are left out, identical duplicates count once. The
module docstring of `demo` documents the structure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from demo import catalogue as cat
from demo.clock import DAY, MINUTE, local_parts
from demo.landing import CANONICAL, PlannedFile
from demo.mentions import K_FOLLOW_UP, K_RECOVERY
from demo.world import World

DEFAULT_PROMISE_MINUTES = 120
RESPONSE_WINDOW_HOURS = 72
RECOVERY_WINDOW_DAYS = 30
ESCALATION_WINDOW_DAYS = 14
SPIKE_BASELINE_DAYS = 28
SPIKE_SIGMA = 3.0
SPIKE_MIN_COUNT = 10
REPEAT_MIN = 3
MIN_MENTIONS_FOR_KPI = 30
NEVER = np.iinfo(np.int64).max


def _r(x: float | None, digits: int = 6) -> float | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return round(float(x), digits)


def _share(part: float, whole: float, digits: int = 6) -> float | None:
    """`part / whole` rounded; None when `whole` is zero (a share of nothing is undefined)."""
    return _r(part / whole, digits) if whole else None


def _median(values: np.ndarray) -> float | None:
    return _r(float(np.median(values)), 3) if len(values) else None


def brands_truth(world: World) -> dict:
    """Reference facts per brand."""
    out = {}
    for b in world.brands:
        out[b.key] = {
            "display_name": b.display_name,
            "sector": b.sector,
            "ticker": b.ticker,
            "shares_outstanding": b.shares_outstanding,
            "currency": "EUR",
            "listed": b.listed,
            "keywords": list(b.keywords),
            "personalised_replies": b.signature_style is not None,
            "signature_style": b.signature_style,
            "accounts": [a.handle for a in world.accounts if a.brand == b.key],
            "planted": {
                "volume_weight": b.volume_weight,
                "base_net_sentiment": b.base_net_sentiment,
                "neutral_share": b.neutral_share,
            },
        }
    return out


def first_responses(mentions: pl.DataFrame) -> pl.DataFrame:
    """Inbound rows with their first human (non-bot) brand reply time (NEVER when none)."""
    inbound = mentions.filter(~pl.col("_is_brand"))
    replies = mentions.filter(pl.col("_is_brand") & ~pl.col("_is_bot"))
    first = replies.group_by("_parent").agg(pl.col("_t").min().alias("_first_reply"))
    return inbound.join(first, left_on="_row", right_on="_parent", how="left").with_columns(
        pl.col("_first_reply").fill_null(NEVER)
    )


@dataclass
class _Delays:
    """First-response delays of one account's inbound messages (NaN where unanswered)."""

    answered: np.ndarray
    calendar: np.ndarray  # minutes
    business: np.ndarray  # minutes
    within_promise: np.ndarray

    def stats(self, mask: np.ndarray) -> dict:
        """Response KPIs of the masked inbound messages (unanswered ones count as missed)."""
        n = int(mask.sum())
        ans = mask & self.answered
        cal = np.where(ans, self.calendar, np.inf)

        def share(hit: np.ndarray) -> float | None:
            return _share(hit.sum(), n, 4)

        in_window = cal <= RESPONSE_WINDOW_HOURS * 60
        in_promise = ans & self.within_promise
        return {
            "inbound_messages": n,
            "answered": int(ans.sum()),
            "answered_within_72h": int(in_window.sum()),
            "within_promise": int(in_promise.sum()),
            "response_rate": share(in_window),
            "sla_attainment": share(in_promise),
            "median_first_response_minutes": _median(self.calendar[ans]),
            "median_first_response_business_minutes": _median(self.business[ans]),
            "share_answered_within_1h": share(cal <= 60),
            "share_answered_within_24h": share(cal <= 1440),
        }


def accounts_truth(world: World, mentions: pl.DataFrame, clocks: dict) -> dict:
    """Per account: published promise and hours, planted delay model, realised first responses."""
    inbound = first_responses(mentions)
    out = {}
    for i, a in enumerate(world.accounts):
        entry: dict = {
            "brand": a.brand,
            "platform": a.platform,
            "is_bot": a.is_bot,
            "promised_response_minutes": a.promised_response_minutes,
            "opening_hours": a.opening_hours or None,
            "timezone": a.timezone,
            "has_expectations_management": bool(a.opening_hours)
            or a.promised_response_minutes is not None,
        }
        if a.is_bot:
            bot = mentions.filter(pl.col("_is_bot") & (pl.col("_account") == i))
            parents = mentions.select("_row", pl.col("_t").alias("_pt"))
            delays = bot.join(parents, left_on="_parent", right_on="_row")
            seconds = (delays["_t"] - delays["_pt"]).to_numpy()
            entry["delay"] = {
                "distribution": "uniform",
                "clock": "calendar",
                "min_seconds": 5,
                "max_seconds": 45,
            }
            entry["realised"] = {
                "replies": bot.height,
                "median_reply_seconds": _median(seconds),
                "replies_to_account": next(
                    x.handle
                    for x in world.accounts
                    if x.brand == a.brand and x.platform == a.platform and not x.is_bot
                ),
            }
            out[a.handle] = entry
            continue
        promise = a.promised_response_minutes
        entry["delay"] = {
            "distribution": "lognormal",
            "clock": a.clock,
            "median_minutes": a.delay_median_minutes,
            "sigma": a.delay_sigma,
            "min_minutes": 1,
            "answer_probability_by_label": {
                label: _r(min(1.0, a.answer_rate * f), 4)
                for label, f in zip(cat.LABELS, cat.ANSWER_LABEL_FACTOR, strict=True)
            },
            "follow_up_answer_factor": cat.FOLLOW_UP_ANSWER_FACTOR,
        }
        entry["sla_promise_minutes"] = promise if promise is not None else DEFAULT_PROMISE_MINUTES
        entry["sla_clock"] = a.clock
        rows = inbound.filter(pl.col("_account") == i)
        t = rows["_t"].to_numpy()
        reply = rows["_first_reply"].to_numpy()
        answered = reply != NEVER
        calendar = (reply - t) / MINUTE
        if i in clocks:
            c = clocks[i]
            business = np.where(
                answered,
                (c.open_seconds_before(np.where(answered, reply, t)) - c.open_seconds_before(t))
                / MINUTE,
                np.nan,
            )
        else:
            business = np.where(answered, calendar, np.nan)
        months = rows["_month"].to_numpy()
        sla_minutes = business if a.clock == "business" else calendar
        delays = _Delays(answered, calendar, business, sla_minutes <= entry["sla_promise_minutes"])
        entry["realised"] = delays.stats(np.ones(len(t), dtype=bool))
        entry["realised_by_month"] = {m: delays.stats(months == m) for m in world.months}
        out[a.handle] = entry
    return out


def sentiment_truth(
    world: World, mentions: pl.DataFrame, latent: np.ndarray
) -> tuple[dict, np.ndarray]:
    """True label counts of inbound messages per brand-month, and the true net sentiment array."""
    inbound = mentions.filter(~pl.col("_is_brand"))
    counts = inbound.group_by("_brand_idx", "_month", "_label").len()
    english = inbound.filter(pl.col("_lang") == 1).group_by("_brand_idx", "_month").len()
    lookup = {(r[0], r[1], r[2]): r[3] for r in counts.iter_rows()}
    en_lookup = {(r[0], r[1]): r[2] for r in english.iter_rows()}
    sector_totals: dict[tuple[str, str], list[int]] = {}
    for b, brand in enumerate(world.brands):
        for m in world.months:
            tot = sum(lookup.get((b, m, k), 0) for k in range(3))
            neg = sum(lookup.get((b, m, k), 0) for k in (0,))
            sector_totals.setdefault((brand.sector, m), [0, 0])
            sector_totals[(brand.sector, m)][0] += tot
            sector_totals[(brand.sector, m)][1] += neg
    out: dict = {}
    net = np.full(latent.shape, np.nan)
    for b, brand in enumerate(world.brands):
        out[brand.key] = {}
        for j, m in enumerate(world.months):
            neg, neu, pos = (lookup.get((b, m, k), 0) for k in range(3))
            total = neg + neu + pos
            polar = pos + neg
            net_value = (pos - neg) / polar if polar else None
            if net_value is not None:
                net[b, j] = net_value
            sector_total, sector_neg = sector_totals[(brand.sector, m)]
            out[brand.key][m] = {
                "mentions": total,
                "negative": neg,
                "neutral": neu,
                "positive": pos,
                "share_negative": _share(neg, total),
                "share_neutral": _share(neu, total),
                "share_positive": _share(pos, total),
                "net_sentiment": _r(net_value, 6),
                "net_sentiment_all": _share(pos - neg, total),
                "share_of_voice": _share(total, sector_total),
                "negative_share_of_voice": _share(neg, sector_neg),
                "english": en_lookup.get((b, m), 0),
                "latent_net_sentiment": _r(latent[b, j], 6),
            }
    return out, net


def webcare_truth(world: World, mentions: pl.DataFrame) -> dict:
    """Per brand-month thread facts: replies, bot replies, signatures, follow-ups, deletions."""
    inbound = first_responses(mentions)
    brand_rows = mentions.filter(pl.col("_is_brand"))
    out: dict = {}
    for b, brand in enumerate(world.brands):
        out[brand.key] = {}
        ib = inbound.filter(pl.col("_brand_idx") == b)
        rb = brand_rows.filter(pl.col("_brand_idx") == b)
        for m in world.months:
            im = ib.filter(pl.col("_month") == m)
            rm = rb.filter(pl.col("_month") == m)
            human = rm.filter(~pl.col("_is_bot"))
            out[brand.key][m] = {
                "inbound_messages": im.height,
                "addressed_inbound": int((im["_account"] >= 0).sum()),
                "answered_inbound": int((im["_first_reply"] != NEVER).sum()),
                "brand_replies": human.height,
                "bot_replies": rm.height - human.height,
                "signed_replies": int(human["_signed"].sum()),
                "follow_ups": int((im["_kind"] == K_FOLLOW_UP).sum()),
                "recovery_posts_planted": int((im["_kind"] == K_RECOVERY).sum()),
                "deleted_inbound": int((im["_deleted_t"] >= 0).sum()),
            }
    return out


def roi_truth(world: World, mentions: pl.DataFrame) -> dict:
    """Negative posters, contact and recovery per brand-month by the KPI definition on true labels.

    A negative poster is an author with a negative inbound message about the brand in the
    month; contacted when one of those messages got a human brand reply (reference time =
    the earliest such reply), else measured from the first negative message. Recovered when
    the author's next inbound message about the brand after the reference time, within 30
    days, is positive. Deleted = contacted negative posts with a deleted_at.
    """
    inbound = first_responses(mentions).filter(pl.col("_author_key") >= 0)
    inbound = inbound.sort("_author_key", "_brand_idx", "_t", "_row")
    author = inbound["_author_key"].to_numpy()
    brand = inbound["_brand_idx"].to_numpy()
    t = inbound["_t"].to_numpy()
    label = inbound["_label"].to_numpy()
    reply = inbound["_first_reply"].to_numpy()
    deleted = inbound["_deleted_t"].to_numpy() >= 0
    month = inbound["_month"].to_numpy()
    group_start = np.ones(len(t), dtype=bool)
    group_start[1:] = (author[1:] != author[:-1]) | (brand[1:] != brand[:-1])
    group_id = np.cumsum(group_start) - 1
    starts = np.nonzero(group_start)[0]
    ends = np.append(starts[1:], len(t))
    acc: dict[tuple[int, str], list[int]] = {}
    neg_rows = np.nonzero(label == cat.NEGATIVE)[0]
    posters: dict[tuple[int, int, str], list[int]] = {}
    for r in neg_rows:
        posters.setdefault((int(group_id[r]), int(brand[r]), month[r]), []).append(int(r))
    for (g, b, m), rows in posters.items():
        replies = [reply[r] for r in rows if reply[r] != NEVER]
        contacted = bool(replies)
        ref = min(replies) if contacted else t[rows[0]]
        lo, hi = starts[g], ends[g]
        nxt = lo + int(np.searchsorted(t[lo:hi], ref, side="right"))
        recovered = (
            nxt < hi and t[nxt] <= ref + RECOVERY_WINDOW_DAYS * DAY and label[nxt] == cat.POSITIVE
        )
        a = acc.setdefault((b, m), [0, 0, 0, 0, 0, 0])
        a[0] += 1
        a[1] += contacted
        a[2] += contacted and recovered
        a[3] += (not contacted) and recovered
        a[4] += sum(1 for r in rows if reply[r] != NEVER)
        a[5] += sum(1 for r in rows if reply[r] != NEVER and deleted[r])
    out: dict = {}
    for b, brand_ in enumerate(world.brands):
        out[brand_.key] = {}
        for m in world.months:
            p, c, rc, ru, cposts, dposts = acc.get((b, m), [0] * 6)
            u = p - c
            out[brand_.key][m] = {
                "negative_posters": p,
                "contacted": c,
                "recovered_contacted": rc,
                "recovered_uncontacted": ru,
                "contacted_rate": _share(c, p, 4),
                "recovery_rate_contacted": _share(rc, c, 4),
                "recovery_rate_uncontacted": _share(ru, u, 4),
                "contacted_negative_posts": cposts,
                "deleted_contacted_posts": dposts,
            }
    return out


def repeat_truth(world: World, mentions: pl.DataFrame) -> dict:
    """Authors with at least three negative inbound messages per brand-month."""
    neg = mentions.filter(~pl.col("_is_brand") & (pl.col("_label") == cat.NEGATIVE))
    per_author = neg.group_by("_brand_idx", "_month", "_author_key").len()
    totals = {(r[0], r[1]): r[2] for r in neg.group_by("_brand_idx", "_month").len().iter_rows()}
    rep = (
        per_author.filter(pl.col("len") >= REPEAT_MIN)
        .group_by("_brand_idx", "_month")
        .agg(pl.len().alias("authors"), pl.col("len").sum().alias("negatives"))
    )
    lookup = {(r[0], r[1]): (r[2], r[3]) for r in rep.iter_rows()}
    out: dict = {}
    for b, brand in enumerate(world.brands):
        out[brand.key] = {}
        for m in world.months:
            authors, negatives = lookup.get((b, m), (0, 0))
            total = totals.get((b, m), 0)
            out[brand.key][m] = {
                "repeat_complainers": authors,
                "their_negatives": negatives,
                "negatives": total,
                "share_of_negative": _share(negatives, total),
            }
    return out


def spike_truth(world: World, mentions: pl.DataFrame) -> list[dict]:
    """Days where the spike rule fires on the true negative counts (local days)."""
    neg = mentions.filter(~pl.col("_is_brand") & (pl.col("_label") == cat.NEGATIVE))
    day = local_parts(neg["_t"].to_numpy(), world.tz)["local_day"].to_numpy()
    first_day = int(local_parts(np.array([world.start]), world.tz)["local_day"][0])
    last_day = int(local_parts(np.array([world.end - 1]), world.tz)["local_day"][0])
    n_days = last_day - first_day + 1
    brand = neg["_brand_idx"].to_numpy()
    alerts = []
    for b, br in enumerate(world.brands):
        counts = np.bincount(day[brand == b] - first_day, minlength=n_days).astype(float)
        if n_days <= SPIKE_BASELINE_DAYS:
            continue
        windows = np.lib.stride_tricks.sliding_window_view(counts[:-1], SPIKE_BASELINE_DAYS)
        mean = windows.mean(axis=1)
        sd_sample = windows.std(axis=1, ddof=1)
        sd_pop = windows.std(axis=1, ddof=0)
        today = counts[SPIKE_BASELINE_DAYS:]
        fires_s = (today > mean + SPIKE_SIGMA * sd_sample) & (today >= SPIKE_MIN_COUNT)
        fires_p = (today > mean + SPIKE_SIGMA * sd_pop) & (today >= SPIKE_MIN_COUNT)
        for k in np.nonzero(fires_s | fires_p)[0]:
            d = first_day + SPIKE_BASELINE_DAYS + int(k)
            iso = str((np.datetime64("1970-01-01") + np.timedelta64(d, "D")).astype(str))
            alerts.append(
                {
                    "brand": br.key,
                    "date": iso,
                    "negatives": int(today[k]),
                    "baseline_mean": _r(mean[k], 4),
                    "baseline_sd_sample": _r(sd_sample[k], 4),
                    "fires_with_sample_sd": bool(fires_s[k]),
                    "fires_with_population_sd": bool(fires_p[k]),
                }
            )
    return alerts


def complaints_truth(
    world: World, complaints: pl.DataFrame, mentions: pl.DataFrame, loaded: np.ndarray
) -> dict:
    """Complaints per brand-month by channel, social identity and escalation (14-day rule)."""
    comp = complaints.filter(pl.Series(loaded))
    neg = mentions.filter(
        ~pl.col("_is_brand") & (pl.col("_label") == cat.NEGATIVE) & (pl.col("_author_key") >= 0)
    )
    neg_times: dict[tuple[int, int], np.ndarray] = {}
    for (author, brand), grp in neg.group_by(["_author_key", "_brand_idx"]):
        neg_times[(int(author), int(brand))] = np.sort(grp["_t"].to_numpy())
    brand_index = {b.key: i for i, b in enumerate(world.brands)}
    social = comp.filter(pl.col("_person") >= 0)
    escalated_rows = []
    for person, brand, t in zip(social["_person"], social["brand"], social["_t"], strict=True):
        times = neg_times.get((person, brand_index[brand]))
        hit = False
        if times is not None:
            k = np.searchsorted(times, t, side="right")
            hit = k < len(times) and times[k] <= t + ESCALATION_WINDOW_DAYS * DAY
        escalated_rows.append(hit)
    social = social.with_columns(pl.Series("_escalated", escalated_rows, dtype=pl.Boolean))
    out: dict = {}
    for brand in world.brands:
        out[brand.key] = {}
        cb = comp.filter(pl.col("brand") == brand.key)
        sb = social.filter(pl.col("brand") == brand.key)
        for m in world.months:
            cm = cb.filter(pl.col("_month") == m)
            sm = sb.filter(pl.col("_month") == m)
            channels = {
                c: int((cm["channel"] == c).sum())
                for c in ("phone", "email", "letter", "webform", "store", "other")
            }
            customers = sm.group_by("_person").agg(pl.col("_escalated").any())
            resolved = cm.filter(pl.col("_resolved_t") >= 0)
            hours = ((resolved["_resolved_t"] - resolved["_t"]) / 3600).to_numpy()
            out[brand.key][m] = {
                "total": cm.height,
                "channels": channels,
                "with_social_handle": sm.height,
                "social_customers": customers.height,
                "escalated_customers": int(customers["_escalated"].sum()),
                "escalations_planted": int(sm["_escalates"].sum()),
                "resolved": resolved.height,
                "median_resolution_hours": _median(hours),
            }
    return out


def nps_truth(world: World, nps: pl.DataFrame, loaded: np.ndarray, target: np.ndarray) -> dict:
    """NPS per brand-month from the rows that load."""
    rows = nps.filter(pl.Series(loaded))
    out: dict = {}
    for b, brand in enumerate(world.brands):
        out[brand.key] = {}
        rb = rows.filter(pl.col("brand") == brand.key)
        for j, m in enumerate(world.months):
            rm = rb.filter(pl.col("_month") == m)
            score = rm["score"].to_numpy()
            n = len(score)
            pro, det = int((score >= 9).sum()), int((score <= 6).sum())
            pas = n - pro - det
            labels = rm["_label"].to_numpy()
            out[brand.key][m] = {
                "responses": n,
                "promoters": pro,
                "passives": pas,
                "detractors": det,
                "nps": _share(100 * (pro - det), n),
                "comments": {lab: int((labels == k).sum()) for k, lab in enumerate(cat.LABELS)},
                "planted_expected_nps": _r(target[b, j], 4),
            }
    return out


def stock_truth(world: World, stock: pl.DataFrame, loaded: np.ndarray, planted: dict) -> dict:
    """Month-end adjusted close and monthly return per listed brand, from the rows that load."""
    rows = stock.filter(pl.Series(loaded))
    out: dict = {}
    for b, brand in enumerate(world.brands):
        if not brand.listed:
            continue
        rb = rows.filter(pl.col("ticker") == brand.ticker).sort("date")
        months = {}
        previous = None
        for j, m in enumerate(world.months):
            rm = rb.filter(pl.col("_month") == m)
            last = rm.row(rm.height - 1, named=True)
            ret = last["adj_close"] / previous - 1 if previous else None
            months[m] = {
                "trading_days": rm.height,
                "month_end_date": last["date"],
                "month_end_adj_close": last["adj_close"],
                "month_end_close": last["close"],
                "monthly_return": _r(ret, 8),
                "market_cap": _r(last["adj_close"] * brand.shares_outstanding, 2),
                "planted_log_return": _r(planted["log_return"][b, j], 8),
            }
            previous = last["adj_close"]
        out[brand.key] = {"ticker": brand.ticker, "currency": "EUR", "months": months}
    return out


def expected_counts(files: list[PlannedFile], months: list[str], sources: tuple[str, ...]) -> dict:
    """Per source and month: files, rows, loaded, rejected (by reason), identical duplicates."""
    out: dict = {}
    for source in sources:
        out[source] = {}
        for m in months:
            fs = [f for f in files if f.source == source and f.month == m]
            reasons: dict[str, int] = {}
            for f in fs:
                for bad in f.bad_rows:
                    reasons[bad["reason"]] = reasons.get(bad["reason"], 0) + 1
            rows = sum(f.frame.height for f in fs)
            rejected = sum(len(f.bad_rows) for f in fs)
            dups = sum(len(f.identical_duplicates) for f in fs)
            out[source][m] = {
                "files": [f.relpath for f in fs],
                "formats": [f.fmt for f in fs],
                "rows_in_files": rows,
                "loaded": rows - rejected - dups,
                "rejected": rejected,
                "rejected_by_reason": dict(sorted(reasons.items())),
                "identical_duplicates": dups,
                "extra_columns": sorted(
                    {c for f in fs for c in f.frame.columns if c not in CANONICAL[source]}
                ),
            }
    return out


def correlations_truth(world: World, sentiment: dict, nps: dict, stock: dict) -> dict:
    """Pearson r of true net sentiment with NPS and with monthly return over brand-months.

    Lag 0 pairs the same month, lag 1 sentiment one month before the outcome. Each figure
    is given over all brand-months with a defined value and, as the marts do, without
    low-volume months (fewer than `MIN_MENTIONS_FOR_KPI` inbound messages).
    """

    def pearson(pairs: list[tuple[float, float]]) -> dict:
        if len(pairs) < 3:
            return {"n_brand_months": len(pairs), "pearson_r": None}
        x, y = np.array(pairs).T
        if x.std() == 0 or y.std() == 0:
            return {"n_brand_months": len(pairs), "pearson_r": None}
        return {"n_brand_months": len(pairs), "pearson_r": _r(float(np.corrcoef(x, y)[0, 1]), 6)}

    def pairs(outcome: dict[str, dict[str, float | None]], lag: int, volume: bool) -> list:
        out = []
        for brand, by_month in outcome.items():
            for j in range(lag, len(world.months)):
                s = sentiment[brand][world.months[j - lag]]
                value = by_month.get(world.months[j])
                if s["net_sentiment"] is None or value is None:
                    continue
                if volume and s["mentions"] < MIN_MENTIONS_FOR_KPI:
                    continue
                out.append((s["net_sentiment"], value))
        return out

    nps_values = {b: {m: v["nps"] for m, v in months.items()} for b, months in nps.items()}
    returns = {
        b: {m: v["monthly_return"] for m, v in e["months"].items()} for b, e in stock.items()
    }
    result: dict = {"min_mentions_for_kpi": MIN_MENTIONS_FOR_KPI}
    for name, outcome in (("sentiment_nps", nps_values), ("sentiment_return", returns)):
        result[name] = {
            f"lag{lag}": {
                "excluding_low_volume": pearson(pairs(outcome, lag, True)),
                "all_brand_months": pearson(pairs(outcome, lag, False)),
            }
            for lag in (0, 1)
        }
    return result
