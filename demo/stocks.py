"""Daily share prices of the listed brands; monthly returns partly driven by net sentiment."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from demo.catalogue import (
    STOCK_BETA,
    STOCK_DAILY_SD,
    STOCK_MARKET_SD,
    STOCK_MU,
    STOCK_NOISE_SD,
)
from demo.world import World


def trading_days(months: list[str]) -> list[date]:
    """Every Monday to Friday of the months (no exchange holidays in the demo)."""
    year, month = (int(x) for x in months[0].split("-"))
    day = date(year, month, 1)
    end_year, end_month = (int(x) for x in months[-1].split("-"))
    stop = date(end_year + (end_month == 12), end_month % 12 + 1, 1)
    days = []
    while day < stop:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def planted_returns(world: World, net: np.ndarray) -> dict[str, np.ndarray]:
    """Monthly log returns per brand x month and their components."""
    rng = world.streams["stock"]
    n_b, n_m = net.shape
    market = rng.normal(0.0, STOCK_MARKET_SD, n_m)
    noise = rng.normal(0.0, STOCK_NOISE_SD, (n_b, n_m))
    centred = net - np.nanmean(net, axis=1, keepdims=True)
    log_return = STOCK_MU + STOCK_BETA * np.nan_to_num(centred) + market[None, :] + noise
    return {"log_return": log_return, "market": market, "noise": noise, "centred_net": centred}


def to_frame(world: World, returns: np.ndarray) -> pl.DataFrame:
    """Daily rows of the listed brands; each month's adjusted close ends on the planted return."""
    rng = world.streams["stock"]
    days = trading_days(world.months)
    month_of_day = np.array([world.months.index(f"{d.year:04d}-{d.month:02d}") for d in days])
    frames = []
    for b, brand in enumerate(world.brands):
        if not brand.listed:
            continue
        log_adj = np.empty(len(days))
        level = np.log(brand.initial_price)
        for m in range(len(world.months)):
            idx = np.nonzero(month_of_day == m)[0]
            z = rng.normal(0.0, STOCK_DAILY_SD, len(idx))
            steps = returns[b, m] / len(idx) + (z - z.mean())
            log_adj[idx] = level + np.cumsum(steps)
            level = log_adj[idx[-1]]
        adj = np.exp(log_adj)
        # A yearly dividend (first trading day of May): the close drops on the ex-date, the
        # adjusted close does not; factor = product of (1 - yield) over later ex-dates.
        ex_dates = [
            i for i, d in enumerate(days) if d.month == 5 and (i == 0 or days[i - 1].month != 5)
        ]
        factor = np.ones(len(days))
        for e in ex_dates:
            factor[:e] *= 1 - brand.dividend_yield
        close = np.round(adj / factor, 2)
        adj_close = np.round(close * factor, 4)
        prev_close = np.concatenate([[close[0]], close[:-1]])
        open_ = np.round(prev_close * np.exp(rng.normal(0, 0.004, len(days))), 2)
        high = np.round(np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.006, len(days)))), 2)
        low = np.round(np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.006, len(days)))), 2)
        volume = np.round(rng.lognormal(np.log(brand.shares_outstanding * 0.004), 0.4, len(days)))
        frames.append(
            pl.DataFrame(
                {
                    "ticker": [brand.ticker] * len(days),
                    "date": [d.isoformat() for d in days],
                    "open": open_,
                    "high": high,
                    "low": low,
                    "close": close,
                    "adj_close": adj_close,
                    "volume": volume.astype(np.int64),
                    "currency": ["EUR"] * len(days),
                    "_brand_idx": [b] * len(days),
                    "_month": [world.months[m] for m in month_of_day],
                }
            )
        )
    frame = pl.concat(frames).sort("date", "ticker")
    return frame.with_columns(pl.int_range(pl.len()).alias("_row"))
