"""Complaints through the traditional channels, a part linked to the complainant's social handle."""

from __future__ import annotations

import numpy as np
import polars as pl

from demo import clock
from demo.catalogue import (
    COMPLAINT_RESOLVED_SHARE,
    COMPLAINT_SOCIAL_SHARE,
    ESCALATION_PROBABILITY,
    SEASONALITY,
)
from demo.clock import DAY, HOUR
from demo.world import OFFICE, World, columns_frame

CHANNELS = ("phone", "email", "letter", "webform", "store", "other")
CHANNEL_SHARES = {
    "bank": (0.38, 0.22, 0.08, 0.20, 0.09, 0.03),
    "telecom": (0.42, 0.18, 0.05, 0.22, 0.10, 0.03),
    "insurer": (0.40, 0.27, 0.12, 0.18, 0.00, 0.03),
}
CATEGORIES = {
    "bank": ("betalen", "sparen", "hypotheek", "creditcard", "internetbankieren", "kosten"),
    "telecom": ("storing", "factuur", "abonnement", "levering", "bereik", "overstappen"),
    "insurer": ("schadeclaim", "premie", "polisvoorwaarden", "declaratie", "opzegging"),
}
# Median hours to resolve by channel (a letter takes longest).
RESOLUTION_MEDIAN_HOURS = (20.0, 40.0, 120.0, 45.0, 10.0, 60.0)
TIMELY_DAYS = 15


def simulate(world: World) -> dict[str, np.ndarray]:
    """Complaints per brand-month: channel, category, customer, resolution, escalation flag."""
    rng = world.streams["complaints"]
    n_b, n_m = len(world.brands), len(world.months)
    cal = np.array([int(m[5:7]) for m in world.months])
    weight = np.array([b.complaint_weight for b in world.brands])[:, None]
    lam = (
        world.size.complaints_per_brand_month
        * weight
        * np.sqrt(np.array(SEASONALITY)[cal - 1])[None, :]
    )
    counts = rng.poisson(lam)
    brand = np.repeat(np.repeat(np.arange(n_b), n_m), counts.ravel())
    month = np.repeat(np.tile(np.arange(n_m), n_b), counts.ravel())
    n = len(brand)
    sector = np.array([world.brands[b].sector for b in range(n_b)], dtype=object)[brand]
    channel = np.zeros(n, dtype=np.int64)
    category = np.empty(n, dtype=object)
    for name, shares in CHANNEL_SHARES.items():
        sel = np.nonzero(sector == name)[0]
        channel[sel] = rng.choice(len(CHANNELS), len(sel), p=np.array(shares) / sum(shares))
        cats = np.array(CATEGORIES[name], dtype=object)
        category[sel] = cats[rng.integers(0, len(cats), len(sel))]
    category[rng.random(n) < 0.05] = None
    office = np.isin(channel, [0, 2, 4])
    t = np.zeros(n, dtype=np.int64)
    lo, hi = world.bounds[month], world.bounds[month + 1]
    t[office] = world.sample_times(lo[office], hi[office], rng, OFFICE)
    t[~office] = world.sample_times(lo[~office], hi[~office], rng)
    social = rng.random(n) < COMPLAINT_SOCIAL_SHARE
    person = np.full(n, -1, dtype=np.int64)
    person[social] = world.people.pick(rng, brand[social])
    offline_customer = rng.integers(0, max(2000, n // 2), n)
    resolved = rng.random(n) < COMPLAINT_RESOLVED_SHARE
    hours = np.array(RESOLUTION_MEDIAN_HOURS)[channel] * np.exp(rng.standard_normal(n))
    resolved_t = np.where(resolved, t + np.maximum(HOUR // 4, (hours * HOUR).astype(np.int64)), -1)
    escalates = social & (rng.random(n) < ESCALATION_PROBABILITY)
    order = np.lexsort((np.arange(n), t))
    return {
        "brand": brand[order],
        "month": month[order],
        "t": t[order],
        "channel": channel[order],
        "category": category[order],
        "person": person[order],
        "offline_customer": offline_customer[order],
        "resolved_t": resolved_t[order],
        "escalates": escalates[order],
    }


def to_frame(world: World, table: dict[str, np.ndarray]) -> pl.DataFrame:
    """Canonical complaint rows as written, plus hidden ``_`` columns for the truth."""
    rng = world.streams["complaints"]
    n = len(table["t"])
    person = table["person"]
    social = person >= 0
    customer = np.where(
        social,
        np.char.add("K", (2_000_000 + np.maximum(person, 0)).astype(str)),
        np.char.add("K", (5_000_000 + table["offline_customer"]).astype(str)),
    ).astype(object)
    handle = np.full(n, None, dtype=object)
    handle[social] = world.people.handle[person[social]]
    received, _ = clock.iso_strings(table["t"], rng.choice(3, n, p=[0.4, 0.3, 0.3]), world.tz)
    resolved = np.full(n, None, dtype=object)
    has = table["resolved_t"] >= 0
    if has.any():
        resolved[has], _ = clock.iso_strings(
            table["resolved_t"][has], rng.choice(3, int(has.sum())), world.tz
        )
    timely = np.full(n, None, dtype=object)
    timely[has] = (table["resolved_t"][has] - table["t"][has]) <= TIMELY_DAYS * DAY
    ids = np.array(
        [f"C{2010000000 + i * 7 + int(j)}" for i, j in enumerate(rng.integers(0, 7, n))],
        dtype=object,
    )
    brand_key = np.array([b.key for b in world.brands], dtype=object)[table["brand"]]
    frame = columns_frame(
        {
            "complaint_id": ids,
            "brand": brand_key,
            "received_at": received,
            "channel": np.array(CHANNELS, dtype=object)[table["channel"]],
            "category": table["category"],
            "customer_id": customer,
            "social_handle": handle,
            "resolved_at": resolved,
            "is_timely_response": pl.Series(timely.tolist(), dtype=pl.Boolean),
            "_t": table["t"],
            "_resolved_t": table["resolved_t"],
            "_escalates": table["escalates"],
            "_person": person,
            "_row": np.arange(n),
        }
    )
    return frame.with_columns(
        pl.Series("_month", clock.month_keys(table["t"], world.tz), dtype=pl.Utf8)
    )
