"""Monthly NPS survey answers whose NPS follows the brand's true net sentiment (planted)."""

from __future__ import annotations

import numpy as np
import polars as pl

from demo import clock
from demo.catalogue import (
    LANGUAGES,
    NEGATIVE,
    NEUTRAL,
    NPS_ALPHA,
    NPS_BETA,
    NPS_COMMENT_SHARE,
    NPS_NOISE_SD,
    POSITIVE,
)
from demo.texts import TextFactory
from demo.world import World, columns_frame

DETRACTOR_SCORE_WEIGHTS = np.array([0.03, 0.03, 0.05, 0.07, 0.12, 0.25, 0.45])


def expected_nps(world: World, net: np.ndarray) -> np.ndarray:
    """Planted expected NPS per brand x month: alpha + beta * net sentiment + noise."""
    rng = world.streams["nps"]
    noise = rng.normal(0.0, NPS_NOISE_SD, net.shape)
    return np.clip(NPS_ALPHA + NPS_BETA * net + noise, -80.0, 80.0)


def to_frame(world: World, net: np.ndarray) -> tuple[pl.DataFrame, np.ndarray]:
    """Survey rows as written (plus hidden ``_`` columns) and the planted expected NPS."""
    rng = world.streams["nps"]
    target = expected_nps(world, net)
    n_b, n_m = target.shape
    counts = rng.integers(world.size.nps_min, world.size.nps_max + 1, (n_b, n_m))
    brand = np.repeat(np.repeat(np.arange(n_b), n_m), counts.ravel())
    month = np.repeat(np.tile(np.arange(n_m), n_b), counts.ravel())
    n = len(brand)
    passive = np.array([b.passive_share for b in world.brands])[:, None] + rng.normal(
        0, 0.02, (n_b, n_m)
    )
    passive = np.clip(passive, 0.15, 0.45)
    promoters = np.clip((1 - passive + target / 100) / 2, 0.02, 0.98)
    detractors = np.clip((1 - passive - target / 100) / 2, 0.02, 0.98)
    total = promoters + passive + detractors
    p_pro, p_pas = (promoters / total)[brand, month], (passive / total)[brand, month]
    u = rng.random(n)
    band = np.where(u < p_pro, 2, np.where(u < p_pro + p_pas, 1, 0))
    detractor_score = rng.choice(7, n, p=DETRACTOR_SCORE_WEIGHTS / DETRACTOR_SCORE_WEIGHTS.sum())
    score = np.select(
        [band == 2, band == 1],
        [9 + (rng.random(n) < 0.45), 7 + (rng.random(n) < 0.55)],
        detractor_score,
    ).astype(np.int64)
    t = world.sample_times(world.bounds[month], world.bounds[month + 1], rng)
    order = np.lexsort((np.arange(n), t))
    brand, month, score, band, t = brand[order], month[order], score[order], band[order], t[order]

    fac = TextFactory(world.text_rng)
    has_comment = rng.random(n) < NPS_COMMENT_SHARE
    lang = (rng.random(n) < 0.15).astype(np.int64)
    label = np.array([NEGATIVE, NEUTRAL, POSITIVE])[band]
    comment = np.full(n, None, dtype=object)
    for i in np.nonzero(has_comment)[0]:
        comment[i] = fac.nps_comment(
            LANGUAGES[lang[i]], int(label[i]), world.brands[brand[i]].sector
        )
    pool = rng.integers(0, 6 * (world.size.nps_max + 1), n)
    respondent = np.char.add("R", (100000 * (brand + 1) + pool).astype(str)).astype(object)
    respondent[rng.random(n) < 0.03] = None
    ids = np.array([f"NPS-{700000 + i}" for i in range(n)], dtype=object)
    answered, _ = clock.iso_strings(t, rng.choice(3, n, p=[0.35, 0.35, 0.30]), world.tz)
    frame = columns_frame(
        {
            "response_id": ids,
            "brand": np.array([b.key for b in world.brands], dtype=object)[brand],
            "answered_at": answered,
            "score": score,
            "respondent_id": respondent,
            "comment": comment,
            "wave": np.array(world.months, dtype=object)[month],
            "_t": t,
            "_label": np.where(has_comment, label, -1),
            "_row": np.arange(n),
        }
    )
    frame = frame.with_columns(pl.Series("_month", clock.month_keys(t, world.tz), dtype=pl.Utf8))
    return frame, target
