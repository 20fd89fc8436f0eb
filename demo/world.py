"""The shared state of one generation run: random streams, calendar, brands, accounts, people."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from demo import clock
from demo.catalogue import ACCOUNTS, BRANDS, SECTORS, Account, Brand, Size

# Hourly weights of customer activity (local time) and of office work.
DIURNAL = np.array(
    [
        0.15,
        0.08,
        0.05,
        0.04,
        0.04,
        0.08,
        0.25,
        0.55,
        0.8,
        0.9,
        0.95,
        1.0,
        1.0,
        0.95,
        0.9,
        0.9,
        0.9,
        0.95,
        1.0,
        1.0,
        0.95,
        0.85,
        0.6,
        0.35,
    ]
)
WEEKDAY_WEIGHT = np.array([0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.85, 0.85])  # ISO weekday index
OFFICE = np.zeros((8, 24))
OFFICE[1:6, 8:20] = 1.0
OFFICE[6, 9:17] = 0.4

FIRST_NAMES = (
    "jan",
    "piet",
    "kees",
    "anna",
    "sanne",
    "lisa",
    "thijs",
    "daan",
    "sem",
    "emma",
    "julia",
    "tim",
    "bas",
    "mila",
    "noor",
    "lucas",
    "finn",
    "fleur",
    "joris",
    "maaike",
    "ruud",
    "ingrid",
    "henk",
    "marieke",
    "wouter",
    "floor",
    "koen",
    "esther",
    "gerrit",
    "yvonne",
    "mo",
    "ayse",
    "youssef",
    "priya",
    "tom",
    "kate",
    "james",
    "sarah",
    "mike",
    "laura",
    "anouk",
    "roel",
)
SURNAMES = (
    "devries",
    "jansen",
    "bakker",
    "visser",
    "smit",
    "meijer",
    "mulder",
    "deboer",
    "bos",
    "vos",
    "peters",
    "hendriks",
    "dekker",
    "brouwer",
    "dijkman",
    "vanleeuwen",
    "kok",
    "vermeulen",
    "schouten",
    "willems",
    "hoekstra",
    "koster",
    "prins",
    "postma",
    "kuipers",
    "veenstra",
)
OUTLETS = (
    ("Economie_Actueel", "nl", 48200),
    ("BeursBericht", "nl", 31500),
    ("TelecomWereld", "nl", 12800),
    ("PolisNieuws", "nl", 9400),
    ("LowlandsBizDaily", "en", 22100),
)


@dataclass
class People:
    """The stable pool of customers who post, complain and answer surveys."""

    handle: np.ndarray  # object array of raw handles
    language: np.ndarray  # 0 nl, 1 en
    followers: np.ndarray
    activity: np.ndarray
    home: np.ndarray  # (n, 3): brand index per sector
    by_brand: list[np.ndarray] = field(default_factory=list)  # person indexes per brand
    cum_weight: list[np.ndarray] = field(default_factory=list)  # activity cumsum per brand

    def pick(self, rng: np.random.Generator, brand: np.ndarray) -> np.ndarray:
        """A person of each brand's customer base, weighted by how active people are."""
        out = np.empty(len(brand), dtype=np.int64)
        for b in np.unique(brand):
            rows = np.nonzero(brand == b)[0]
            cum = self.cum_weight[b]
            draws = rng.random(len(rows)) * cum[-1]
            out[rows] = self.by_brand[b][np.searchsorted(cum, draws, side="right")]
        return out


@dataclass
class World:
    """Everything one generation run shares; built by `World.create`."""

    seed: int
    size_name: str
    size: Size
    months: list[str]
    tz: str
    bounds: np.ndarray  # UTC epoch of each month start and of the end of the period
    brands: tuple[Brand, ...]
    accounts: tuple[Account, ...]
    people: People
    streams: dict[str, np.random.Generator]
    text_rng: random.Random
    # Share of ordinary negative messages written as sarcasm (`texts.SARCASTIC`); 0 in
    # the standard demo, whose texts the model labels 97-98 % right.
    sarcastic_share: float = 0.0

    @classmethod
    def create(
        cls,
        seed: int,
        size_name: str,
        size: Size,
        months: list[str],
        tz: str,
        sarcastic_share: float = 0.0,
    ) -> World:
        """Seed the random streams (one per subsystem, so one change does not shift the others)."""
        # New streams go last: a child's seed depends on its position only.
        names = (
            "people",
            "mentions",
            "threads",
            "complaints",
            "nps",
            "stock",
            "landing",
            "text",
            "sample",
            "sarcasm",
        )
        children = np.random.SeedSequence(seed).spawn(len(names))
        streams = {n: np.random.default_rng(s) for n, s in zip(names, children, strict=True)}
        text_seed = int(streams.pop("text").integers(0, 2**63 - 1))
        bounds = clock.month_bounds(months, tz)
        world = cls(
            seed=seed,
            size_name=size_name,
            size=size,
            months=months,
            tz=tz,
            bounds=bounds,
            brands=BRANDS,
            accounts=ACCOUNTS,
            people=_people(streams["people"], size, len(months)),
            streams=streams,
            text_rng=random.Random(text_seed),
            sarcastic_share=sarcastic_share,
        )
        return world

    @property
    def start(self) -> int:
        """UTC epoch second where the period starts."""
        return int(self.bounds[0])

    @property
    def end(self) -> int:
        """UTC epoch second where the period ends (exclusive)."""
        return int(self.bounds[-1])

    def brand_index(self, key: str) -> int:
        """Position of a brand key in `brands`."""
        return next(i for i, b in enumerate(self.brands) if b.key == key)

    def account_index(self, brand: int, platform: str, bot: bool = False) -> int:
        """Position of a brand's account on a platform, -1 when it has none."""
        key = self.brands[brand].key
        for i, a in enumerate(self.accounts):
            if a.brand == key and a.platform == platform and a.is_bot == bot:
                return i
        return -1

    def sample_times(
        self,
        lo: np.ndarray,
        hi: np.ndarray,
        rng: np.random.Generator,
        profile: np.ndarray | None = None,
    ) -> np.ndarray:
        """UTC times in [lo, hi) following a local weekday x hour activity profile."""
        lo = np.asarray(lo, dtype=np.int64)
        hi = np.asarray(hi, dtype=np.int64)
        weights = profile if profile is not None else WEEKDAY_WEIGHT[:, None] * DIURNAL[None, :]
        out = np.zeros(len(lo), dtype=np.int64)
        todo = np.arange(len(lo))
        for _ in range(200):
            if len(todo) == 0:
                break
            t = lo[todo] + (rng.random(len(todo)) * (hi[todo] - lo[todo])).astype(np.int64)
            parts = clock.local_parts(t, self.tz)
            w = weights[parts["weekday"].to_numpy(), parts["hour"].to_numpy()]
            accept = rng.random(len(todo)) * weights.max() < w
            out[todo[accept]] = t[accept]
            todo = todo[~accept]
        if len(todo):
            out[todo] = lo[todo]
        return out


def _people(rng: np.random.Generator, size: Size, n_months: int) -> People:
    n = max(400, int(size.mentions_target * n_months / 24 / 6))
    firsts = rng.integers(0, len(FIRST_NAMES), n)
    lasts = rng.integers(0, len(SURNAMES), n)
    pattern = rng.integers(0, 5, n)
    numbers = rng.integers(1, 100, n)
    years = rng.integers(58, 96, n)
    seen: set[str] = set()
    handles = []
    for i in range(n):
        first, last = FIRST_NAMES[firsts[i]], SURNAMES[lasts[i]]
        p = pattern[i]
        if p == 0:
            h = f"{first.capitalize()}{last.capitalize()}"
        elif p == 1:
            h = f"{first}_{last}{numbers[i]}"
        elif p == 2:
            h = f"{first}{years[i]}"
        elif p == 3:
            h = f"{first[0]}{last}"
        else:
            h = f"{first.capitalize()}_{last[:4]}{numbers[i]}"
        base, k = h, 1
        while h.lower() in seen:
            k += 1
            h = f"{base}{k}"
        seen.add(h.lower())
        handles.append(h)
    language = (rng.random(n) < 0.2).astype(np.int64)
    followers = np.round(rng.lognormal(4.6, 1.2, n)).astype(np.int64)
    activity = rng.lognormal(0.0, 1.0, n)
    weights_by_sector = []
    for sector in SECTORS:
        idx = [i for i, b in enumerate(BRANDS) if b.sector == sector]
        w = np.array([BRANDS[i].volume_weight for i in idx])
        weights_by_sector.append((np.array(idx), w / w.sum()))
    home = np.stack(
        [idx[rng.choice(len(idx), n, p=p)] for idx, p in weights_by_sector], axis=1
    ).astype(np.int64)
    people = People(np.array(handles, dtype=object), language, followers, activity, home)
    for b, brand in enumerate(BRANDS):
        members = np.nonzero(home[:, SECTORS.index(brand.sector)] == b)[0]
        people.by_brand.append(members)
        people.cum_weight.append(np.cumsum(activity[members]))
    return people


def columns_frame(columns: dict[str, object]) -> pl.DataFrame:
    """A polars frame from numpy columns; object arrays (str or None) become string columns."""
    series = []
    for name, values in columns.items():
        if isinstance(values, pl.Series):
            series.append(values.alias(name))
        elif isinstance(values, np.ndarray) and values.dtype == object:
            series.append(pl.Series(name, values.tolist(), dtype=pl.Utf8))
        else:
            series.append(pl.Series(name, values))
    return pl.DataFrame(series)
