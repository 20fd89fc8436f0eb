"""Social mentions: inbound customer messages with planted labels, and the threads around them.

The simulation runs in stages on columnar numpy tables (dicts of equal-length arrays):
base volume with seasonality and a latent monthly sentiment per brand, the crisis
burst, repeat complainers, rows at the DST changes, escalations from complaints, then
brand replies drawn from each account's answer rate, delay distribution and opening
hours, customer follow-ups, recovery posts and deletions. `to_frame` turns the result
into canonical mention rows.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from demo import clock, texts
from demo.catalogue import (
    ANSWER_LABEL_FACTOR,
    CRISIS_BRAND,
    CRISIS_DAY_WEIGHTS,
    DELETION_CONTACTED,
    DELETION_UNCONTACTED,
    FACEBOOK,
    FACEBOOK_ADDRESSED,
    FOLLOW_UP_ANSWER_FACTOR,
    FOLLOW_UP_LABEL_GIVEN_ORIGINAL,
    FOLLOW_UP_PROBABILITY,
    INBOUND_SHARE_OF_MENTIONS,
    LANGUAGES,
    NEGATIVE,
    NEUTRAL,
    NEWS,
    NEWS_SHARE_OF_NEUTRAL,
    PLATFORM_SHARES,
    PLATFORMS,
    POSITIVE,
    RECOVERY_CONTACTED,
    RECOVERY_UNCONTACTED,
    RECOVERY_WINDOW_DAYS,
    SEASONALITY,
    SECOND_REPLY_PROBABILITY,
    SENTIMENT_AR,
    SENTIMENT_SHOCK_SD,
    SIGNED_SHARE,
    TREND_PER_MONTH,
    TWITTER,
    TWITTER_ADDRESSED,
)
from demo.clock import DAY, HOUR, MINUTE, BusinessClock
from demo.world import OUTLETS, World, columns_frame

FOLLOW_UP_AND_RECOVERY_SHARE = 0.19
KINDS = ("base", "news", "crisis", "repeat", "dst", "escalation", "follow_up", "recovery")
K_BASE, K_NEWS, K_CRISIS, K_REPEAT, K_DST, K_ESCALATION, K_FOLLOW_UP, K_RECOVERY = range(8)

Table = dict[str, np.ndarray]

INBOUND_COLUMNS = ("brand", "label", "kind", "author", "platform", "t", "lang", "account", "form")


def concat(tables: list[Table]) -> Table:
    """Row-wise concatenation of tables with the same columns."""
    tables = [t for t in tables if len(next(iter(t.values()))) > 0] or tables[:1]
    return {k: np.concatenate([t[k] for t in tables]) for k in tables[0]}


def take(table: Table, rows: np.ndarray) -> Table:
    """The given rows (indexes or mask) of a table."""
    return {k: v[rows] for k, v in table.items()}


def _inbound(n: int, **columns: object) -> Table:
    table = {}
    for name in INBOUND_COLUMNS:
        value = columns.get(name, -1)
        table[name] = np.broadcast_to(np.asarray(value, dtype=np.int64), (n,)).copy()
    return table


def latent_sentiment(world: World) -> np.ndarray:
    """Latent net sentiment per brand x month: brand base + AR(1) deviation, within +-0.9."""
    rng = world.streams["mentions"]
    n_b, n_m = len(world.brands), len(world.months)
    dev = np.zeros((n_b, n_m))
    shocks = rng.normal(0.0, SENTIMENT_SHOCK_SD, (n_b, n_m))
    dev[:, 0] = shocks[:, 0] / math.sqrt(1 - SENTIMENT_AR**2)
    for m in range(1, n_m):
        dev[:, m] = SENTIMENT_AR * dev[:, m - 1] + shocks[:, m]
    base = np.array([b.base_net_sentiment for b in world.brands])[:, None]
    return np.clip(base + dev, -0.9, 0.9)


def expected_volume(world: World, escalations: int) -> np.ndarray:
    """Expected base inbound messages per brand x month (seasonality, trend, share of voice).

    Sized so that all mention rows come out near the size's target: inbound messages are
    about two thirds of the rows (the rest are replies); repeat complaints and escalations
    are planted on top of the base, follow-ups and recovery posts add about a fifth.
    """
    weights = np.array([b.volume_weight for b in world.brands])[:, None]
    cal = np.array([int(m[5:7]) for m in world.months])
    shape = weights * np.array(SEASONALITY)[cal - 1][None, :]
    shape = shape * (1 + TREND_PER_MONTH * np.arange(len(world.months)))[None, :]
    inbound = world.size.mentions_target * len(world.months) / 24 * INBOUND_SHARE_OF_MENTIONS
    repeats = world.size.repeat_complainers * shape.size * 4
    target = max(inbound - repeats - escalations, 0.2 * inbound) / (
        1 + FOLLOW_UP_AND_RECOVERY_SHARE
    )
    return shape / shape.sum() * target


def label_probabilities(world: World, latent: np.ndarray) -> np.ndarray:
    """(brand, month, label) probabilities from the latent net sentiment and neutral share."""
    neutral = np.array([b.neutral_share for b in world.brands])[:, None]
    polar = 1 - neutral
    return np.stack(
        [
            polar * (1 - latent) / 2,
            np.broadcast_to(neutral, latent.shape),
            polar * (1 + latent) / 2,
        ],
        axis=2,
    )


def _address(
    world: World,
    rng: np.random.Generator,
    brand: np.ndarray,
    platform: np.ndarray,
    twitter_share: float = TWITTER_ADDRESSED,
) -> np.ndarray:
    """The account each message addresses by @handle, -1 when it only names the brand."""
    account = np.full(len(brand), -1, dtype=np.int64)
    u = rng.random(len(brand))
    for b in range(len(world.brands)):
        tw = world.account_index(b, "twitter")
        fb = world.account_index(b, "facebook")
        sel = brand == b
        account[sel & (platform == TWITTER) & (u < twitter_share)] = tw
        if fb >= 0:
            account[sel & (platform == FACEBOOK) & (u < FACEBOOK_ADDRESSED)] = fb
    return account


def base_inbound(world: World, probs: np.ndarray, volume: np.ndarray) -> Table:
    """Everyday inbound volume with labels drawn from the brand-month probabilities."""
    rng = world.streams["mentions"]
    counts = rng.poisson(volume)
    brand = np.repeat(np.repeat(np.arange(len(world.brands)), len(world.months)), counts.ravel())
    month = np.repeat(np.tile(np.arange(len(world.months)), len(world.brands)), counts.ravel())
    n = len(brand)
    cum = np.cumsum(probs[brand, month], axis=1)
    label = (rng.random(n)[:, None] > cum[:, :-1]).sum(axis=1)
    shares = np.array(list(PLATFORM_SHARES.values()))
    platform = rng.choice(len(shares), n, p=shares / shares.sum())
    is_news = (label == NEUTRAL) & (rng.random(n) < NEWS_SHARE_OF_NEUTRAL)
    platform = np.where(is_news, NEWS, platform)
    t = world.sample_times(world.bounds[month], world.bounds[month + 1], rng)
    author = world.people.pick(rng, brand)
    outlet = rng.integers(0, len(OUTLETS), n)
    lang = world.people.language[author]
    outlet_lang = np.array([LANGUAGES.index(o[1]) for o in OUTLETS])[outlet]
    table = _inbound(n, brand=brand, label=label, kind=np.where(is_news, K_NEWS, K_BASE))
    table["author"] = np.where(is_news, -1 - outlet, author)
    table["platform"] = platform
    table["t"] = t
    table["lang"] = np.where(is_news, outlet_lang, lang)
    table["account"] = _address(world, rng, brand, platform)
    return table


def crisis_inbound(world: World, probs: np.ndarray, volume: np.ndarray) -> tuple[Table, dict]:
    """The burst of negative messages about one brand over a few days of one month."""
    rng = world.streams["mentions"]
    b = world.brand_index(CRISIS_BRAND)
    n_m = len(world.months)
    m = min(n_m - 1, max(2, round(0.6 * (n_m - 1)))) if n_m > 2 else n_m - 1
    days_in_month = (world.bounds[m + 1] - world.bounds[m]) / DAY
    mu = volume[b, m] * probs[b, m, NEGATIVE] / days_in_month
    peak = math.ceil(15 + 5 * mu + 6 * math.sqrt(mu))
    first_day = int(rng.integers(9, 19))
    year, month = (int(x) for x in world.months[m].split("-"))
    days, counts, lo, hi = [], [], [], []
    for k, weight in enumerate(CRISIS_DAY_WEIGHTS):
        day = first_day + k
        start = clock.local_to_utc(year, month, day, world.tz)
        stop = clock.local_to_utc(year, month, day + 1, world.tz)
        count = max(1, round(peak * weight))
        days.append(f"{year:04d}-{month:02d}-{day:02d}")
        counts.append(count)
        lo += [start] * count
        hi += [stop] * count
    n = len(lo)
    brand = np.full(n, b)
    platform = np.where(rng.random(n) < 0.9, TWITTER, FACEBOOK)
    author = world.people.pick(rng, brand)
    table = _inbound(n, brand=b, label=NEGATIVE, kind=K_CRISIS)
    table["author"] = author
    table["platform"] = platform
    table["t"] = world.sample_times(np.array(lo), np.array(hi), rng)
    table["lang"] = world.people.language[author]
    table["account"] = _address(world, rng, brand, platform)
    info = {
        "brand": CRISIS_BRAND,
        "month": world.months[m],
        "days": days,
        "planted_negatives_by_day": dict(zip(days, counts, strict=True)),
        "expected_daily_negatives_before": round(float(mu), 3),
    }
    return table, info


def repeat_inbound(world: World) -> Table:
    """A few customers per brand-month who post three to five complaints within days."""
    rng = world.streams["mentions"]
    n_b, n_m = len(world.brands), len(world.months)
    k = rng.poisson(world.size.repeat_complainers, (n_b, n_m))
    brand_c = np.repeat(np.repeat(np.arange(n_b), n_m), k.ravel())
    month_c = np.repeat(np.tile(np.arange(n_m), n_b), k.ravel())
    person = world.people.pick(rng, brand_c)
    n_msgs = rng.integers(3, 6, len(brand_c))
    span = 5 * DAY
    lo_c = world.bounds[month_c] + (
        rng.random(len(brand_c)) * (world.bounds[month_c + 1] - world.bounds[month_c] - span)
    ).astype(np.int64)
    rows = np.repeat(np.arange(len(brand_c)), n_msgs)
    n = len(rows)
    brand = brand_c[rows]
    table = _inbound(n, brand=brand, label=NEGATIVE, kind=K_REPEAT, platform=TWITTER)
    table["author"] = person[rows]
    table["t"] = world.sample_times(lo_c[rows], lo_c[rows] + span, rng)
    table["lang"] = world.people.language[person[rows]]
    table["account"] = _address(world, rng, brand, table["platform"], twitter_share=1.0)
    return table


def dst_inbound(world: World, probs: np.ndarray) -> tuple[Table, list[int]]:
    """Messages around each DST change, including the repeated October hour."""
    rng = world.streams["mentions"]
    hours = np.arange(world.start, world.end, HOUR, dtype=np.int64)
    offsets = clock.local_parts(hours, world.tz)["offset"].to_numpy()
    changes = np.nonzero(np.diff(offsets) != 0)[0] + 1
    times: list[int] = []
    for i in changes:
        transition = int(hours[i])
        # When clocks go back the local hour before the change repeats: sample both sides.
        deltas = (-50, -10, 15, 50, 70) if offsets[i] < offsets[i - 1] else (-30, 15, 45)
        times += [transition + d * MINUTE + int(rng.integers(0, 60)) for d in deltas]
    times = [t for t in times if world.start <= t < world.end]
    n = len(times)
    t = np.array(times, dtype=np.int64)
    month = np.searchsorted(world.bounds, t, side="right") - 1
    brand = rng.integers(0, len(world.brands), n)
    cum = np.cumsum(probs[brand, month], axis=1) if n else np.zeros((0, 3))
    label = (rng.random(n)[:, None] > cum[:, :-1]).sum(axis=1) if n else np.zeros(0, dtype=np.int64)
    author = world.people.pick(rng, brand)
    table = _inbound(n, brand=brand, label=label, kind=K_DST, platform=TWITTER, form=0)
    table["author"] = author
    table["t"] = t
    table["lang"] = world.people.language[author]
    table["account"] = _address(world, rng, brand, table["platform"], twitter_share=1.0)
    return table, times


def escalation_inbound(world: World, complaints: Table) -> Table:
    """Negative posts by complainants with a social identity within two weeks of the complaint."""
    rng = world.streams["mentions"]
    planted = complaints["escalates"]
    person = complaints["person"][planted]
    brand = complaints["brand"][planted]
    t = complaints["t"][planted] + (HOUR + rng.random(len(person)) * (13.5 * DAY - HOUR)).astype(
        np.int64
    )
    n = len(person)
    platform = np.full(n, TWITTER)
    table = _inbound(n, brand=brand, label=NEGATIVE, kind=K_ESCALATION, platform=TWITTER)
    table["author"] = person
    table["t"] = t
    table["lang"] = world.people.language[person]
    table["account"] = _address(world, rng, brand, platform, twitter_share=0.8)
    keep = t < world.end
    return take(table, keep)


class ReplyModel:
    """Draws brand replies to addressed inbound messages from each account's planted model."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.clocks: dict[int, BusinessClock] = {}
        for i, account in enumerate(world.accounts):
            if account.windows and not account.is_bot:
                self.clocks[i] = BusinessClock.build(
                    account.windows, account.timezone, world.start - DAY, world.end + DAY
                )
        self.bot_for_account = np.full(len(world.accounts), -1, dtype=np.int64)
        for i, account in enumerate(world.accounts):
            if account.is_bot:
                b = world.brand_index(account.brand)
                human = world.account_index(b, account.platform)
                self.bot_for_account[human] = i

    def delay_end(self, account: np.ndarray, t: np.ndarray, delay: np.ndarray) -> np.ndarray:
        """The time `delay` seconds after `t` on each account's clock."""
        out = t + delay
        for i, business in self.clocks.items():
            sel = account == i
            if sel.any():
                out[sel] = business.add(t[sel], delay[sel])
        return out

    def answer(self, inbound: Table, offset: int, factor: float) -> Table:
        """Human and bot replies to the addressed rows of `inbound` (global index offset + row)."""
        rng = self.world.streams["threads"]
        accounts = self.world.accounts
        account = inbound["account"]
        n = len(account)
        addressed = account >= 0
        rate = np.array([a.answer_rate for a in accounts] + [0.0])[account]
        rate = rate * np.asarray(ANSWER_LABEL_FACTOR)[inbound["label"]] * factor
        answered = addressed & (rng.random(n) < rate)
        median = np.array([a.delay_median_minutes for a in accounts] + [1.0])[account] * MINUTE
        sigma = np.array([a.delay_sigma for a in accounts] + [0.0])[account]
        delay = np.maximum(
            MINUTE, np.round(median * np.exp(sigma * rng.standard_normal(n)))
        ).astype(np.int64)
        rows = np.nonzero(answered)[0]
        first_t = self.delay_end(account[rows], inbound["t"][rows], delay[rows])
        second = rng.random(len(rows)) < SECOND_REPLY_PROBABILITY
        second_t = first_t[second] + (5 * MINUTE + rng.random(second.sum()) * 115 * MINUTE).astype(
            np.int64
        )
        bot_rows = np.nonzero(addressed & (self.bot_for_account[np.maximum(account, 0)] >= 0))[0]
        bot_t = inbound["t"][bot_rows] + rng.integers(5, 46, len(bot_rows))
        replies = {
            "account": np.concatenate(
                [account[rows], account[rows][second], self.bot_for_account[account[bot_rows]]]
            ),
            "parent": np.concatenate([rows, rows[second], bot_rows]) + offset,
            "t": np.concatenate([first_t, second_t, bot_t]),
            "is_bot": np.concatenate(
                [np.zeros(len(rows) + second.sum(), bool), np.ones(len(bot_rows), bool)]
            ),
            "is_first": np.concatenate(
                [np.ones(len(rows), bool), np.zeros(second.sum() + len(bot_rows), bool)]
            ),
        }
        return take(replies, replies["t"] < self.world.end)


def follow_ups(world: World, inbound: Table, replies: Table) -> Table:
    """Customers answering a first human reply, with a label that depends on their first message."""
    rng = world.streams["threads"]
    first = np.nonzero(
        replies["is_first"] & (rng.random(len(replies["t"])) < FOLLOW_UP_PROBABILITY)
    )[0]
    parent = replies["parent"][first]
    n = len(first)
    matrix = np.cumsum(np.array(FOLLOW_UP_LABEL_GIVEN_ORIGINAL), axis=1)
    label = (rng.random(n)[:, None] > matrix[inbound["label"][parent]][:, :-1]).sum(axis=1)
    delay = np.maximum(MINUTE, np.round(45 * MINUTE * np.exp(rng.standard_normal(n)))).astype(
        np.int64
    )
    table = _inbound(n, kind=K_FOLLOW_UP)
    for name in ("brand", "author", "platform", "lang"):
        table[name] = inbound[name][parent]
    table["label"] = label
    table["account"] = replies["account"][first]
    table["t"] = replies["t"][first] + delay
    table["reply_to_reply"] = first
    keep = table["t"] < world.end
    return take(table, keep)


def first_reply_times(n_inbound: int, replies: Table) -> np.ndarray:
    """Earliest human reply time per inbound row (int64 max when unanswered)."""
    first = np.full(n_inbound, np.iinfo(np.int64).max, dtype=np.int64)
    human = ~replies["is_bot"]
    np.minimum.at(first, replies["parent"][human], replies["t"][human])
    return first


def recoveries(world: World, inbound: Table, first_reply: np.ndarray) -> tuple[Table, np.ndarray]:
    """Positive posts after a negative one: more often when the brand replied (planted uplift)."""
    rng = world.streams["threads"]
    month = np.searchsorted(world.bounds, inbound["t"], side="right") - 1
    eligible = (
        (inbound["label"] == NEGATIVE)
        & (inbound["author"] >= 0)
        & np.isin(inbound["kind"], [K_BASE, K_CRISIS, K_REPEAT, K_DST, K_ESCALATION])
    )
    rows = np.nonzero(eligible)[0]
    order = rows[
        np.lexsort(
            (inbound["t"][rows], month[rows], inbound["brand"][rows], inbound["author"][rows])
        )
    ]
    key = np.stack([inbound["author"][order], inbound["brand"][order], month[order]], axis=1)
    is_first = np.ones(len(order), bool)
    is_first[1:] = np.any(key[1:] != key[:-1], axis=1)
    poster_rows = order[is_first]
    contacted = first_reply[poster_rows] < np.iinfo(np.int64).max
    p = np.where(contacted, RECOVERY_CONTACTED, RECOVERY_UNCONTACTED)
    recovers = rng.random(len(poster_rows)) < p
    base_t = np.where(contacted, first_reply[poster_rows], inbound["t"][poster_rows])
    delay = (0.5 * DAY + rng.random(len(poster_rows)) * (RECOVERY_WINDOW_DAYS - 0.5) * DAY).astype(
        np.int64
    )
    src = poster_rows[recovers]
    n = len(src)
    table = _inbound(n, label=POSITIVE, kind=K_RECOVERY, platform=TWITTER)
    for name in ("brand", "author", "lang"):
        table[name] = inbound[name][src]
    table["t"] = (base_t + delay)[recovers]
    table["account"] = _address(world, rng, table["brand"], table["platform"], twitter_share=0.7)
    keep = table["t"] < world.end
    return take(table, keep), poster_rows


def deletions(world: World, inbound: Table, first_reply: np.ndarray) -> np.ndarray:
    """deleted_at per inbound row (-1 = not deleted): negative posts are sometimes removed."""
    rng = world.streams["threads"]
    n = len(inbound["t"])
    contacted = first_reply < np.iinfo(np.int64).max
    negative = (
        (inbound["label"] == NEGATIVE) & (inbound["author"] >= 0) & (inbound["kind"] != K_FOLLOW_UP)
    )
    p = np.where(contacted, DELETION_CONTACTED, DELETION_UNCONTACTED)
    deleted = negative & (rng.random(n) < p)
    after = np.where(contacted, first_reply, inbound["t"])
    wait = (10 * MINUTE + rng.random(n) * 48 * HOUR).astype(np.int64)
    return np.where(deleted, after + wait, -1)


def simulate(world: World, complaints: Table) -> dict:
    """Run every stage; returns inbound and reply tables plus planted facts for the truth."""
    latent = latent_sentiment(world)
    probs = label_probabilities(world, latent)
    volume = expected_volume(world, int(complaints["escalates"].sum()))
    crisis, crisis_info = crisis_inbound(world, probs, volume)
    dst, dst_times = dst_inbound(world, probs)
    first_wave = concat(
        [
            base_inbound(world, probs, volume),
            crisis,
            repeat_inbound(world),
            dst,
            escalation_inbound(world, complaints),
        ]
    )
    first_wave["reply_to_reply"] = np.full(len(first_wave["t"]), -1, dtype=np.int64)
    model = ReplyModel(world)
    replies0 = model.answer(first_wave, 0, 1.0)
    follow = follow_ups(world, first_wave, replies0)
    n0 = len(first_wave["t"])
    replies1 = model.answer(follow, n0, FOLLOW_UP_ANSWER_FACTOR)
    inbound = concat([first_wave, follow])
    replies = concat([replies0, replies1])
    first_reply = first_reply_times(len(inbound["t"]), replies)
    recovery, _ = recoveries(world, inbound, first_reply)
    recovery["reply_to_reply"] = np.full(len(recovery["t"]), -1, dtype=np.int64)
    replies2 = model.answer(recovery, len(inbound["t"]), 1.0)
    inbound = concat([inbound, recovery])
    replies = concat([replies, replies2])
    first_reply = first_reply_times(len(inbound["t"]), replies)
    inbound["deleted_at"] = deletions(world, inbound, first_reply)
    return {
        "inbound": inbound,
        "replies": replies,
        "latent": latent,
        "probs": probs,
        "crisis": crisis_info,
        "dst_times": dst_times,
        "clocks": model.clocks,
    }


def to_frame(world: World, sim: dict) -> pl.DataFrame:
    """Canonical mention rows (strings as they will be written) plus hidden planning columns.

    Hidden columns start with ``_``: true label, kind, brand index, month key, the
    row's epoch second and the reply's account, so the truth is computed from exactly
    the rows that are written.
    """
    rng = world.streams["mentions"]
    fac = texts.TextFactory(world.text_rng)
    inbound, replies = sim["inbound"], sim["replies"]
    n_in, n_rep = len(inbound["t"]), len(replies["t"])
    # Mention ids grow with time like tweet ids, so sort every row by time first.
    t_all = np.concatenate([inbound["t"], replies["t"]])
    order = np.lexsort((np.arange(n_in + n_rep), t_all))
    rank = np.empty(n_in + n_rep, dtype=np.int64)
    rank[order] = np.arange(n_in + n_rep)
    platform_all = np.concatenate([inbound["platform"], inbound["platform"][replies["parent"]]])
    ids = mention_ids(rank, platform_all, rng)
    in_ids, rep_ids = ids[:n_in], ids[n_in:]

    years = clock.local_parts(t_all, world.tz)["year"].to_numpy()
    brands, accounts, people = world.brands, world.accounts, world.people
    agents = [texts.agent_roster(world.text_rng, 6) for _ in brands]
    names_by_brand = [(b.display_name, *[k.title() for k in b.keywords]) for b in brands]

    text_in = np.empty(n_in, dtype=object)
    for i in range(n_in):
        b = int(inbound["brand"][i])
        lang = LANGUAGES[inbound["lang"][i]]
        kind = int(inbound["kind"][i])
        acc = int(inbound["account"][i])
        if kind == K_FOLLOW_UP:
            text_in[i] = fac.follow_up(
                lang,
                int(inbound["label"][i]),
                brands[b].sector,
                accounts[acc].handle,
                int(years[i]),
            )
            continue
        if acc >= 0:
            ref = "@" + accounts[acc].handle
        else:
            choices = names_by_brand[b]
            ref = choices[0] if world.text_rng.random() < 0.75 else world.text_rng.choice(choices)
        label = int(inbound["label"][i])
        if (
            world.sarcastic_share > 0
            and kind == K_BASE
            and label == NEGATIVE
            and world.streams["sarcasm"].random() < world.sarcastic_share
        ):
            text_in[i] = fac.sarcastic(lang, ref)
            continue
        text_in[i] = fac.inbound(KINDS[kind], lang, label, brands[b].sector, ref, int(years[i]))

    author_in = np.empty(n_in, dtype=object)
    person = inbound["author"] >= 0
    author_in[person] = people.handle[inbound["author"][person]]
    author_in[~person] = np.array([o[0] for o in OUTLETS], dtype=object)[
        -1 - inbound["author"][~person]
    ]
    followers_in = np.where(
        person,
        people.followers[np.maximum(inbound["author"], 0)],
        np.array([o[2] for o in OUTLETS])[np.maximum(-1 - inbound["author"], 0)],
    )

    text_rep = np.empty(n_rep, dtype=object)
    signed = np.zeros(n_rep, dtype=bool)
    for j in range(n_rep):
        parent = int(replies["parent"][j])
        acc = accounts[int(replies["account"][j])]
        b = int(inbound["brand"][parent])
        lang = LANGUAGES[inbound["lang"][parent]]
        customer = author_in[parent]
        if replies["is_bot"][j]:
            text_rep[j] = fac.bot_reply(lang, customer, brands[b].display_name)
            continue
        style = brands[b].signature_style
        sig = None
        if style and world.text_rng.random() < SIGNED_SHARE:
            sig = texts.signature(style, world.text_rng, agents[b], lang)
            signed[j] = True
        text_rep[j] = fac.reply(lang, int(inbound["label"][parent]), customer, sig)

    parent_id = np.where(
        inbound["reply_to_reply"] >= 0, rep_ids[np.maximum(inbound["reply_to_reply"], 0)], None
    )
    n = n_in + n_rep
    form = rng.choice(3, n, p=[0.45, 0.30, 0.25])
    form[:n_in] = np.where(inbound["form"] >= 0, inbound["form"], form[:n_in])
    created, _ = clock.iso_strings(t_all, form, world.tz)
    deleted_t = inbound["deleted_at"]
    deleted_str = np.full(n_in, None, dtype=object)
    has_del = deleted_t >= 0
    if has_del.any():
        del_form = rng.choice(2, int(has_del.sum()))
        deleted_str[has_del], _ = clock.iso_strings(deleted_t[has_del], del_form, world.tz)

    rep_brand = inbound["brand"][replies["parent"]]
    brand_idx = np.concatenate([inbound["brand"], rep_brand])
    brand_key = np.array([b.key for b in brands], dtype=object)[brand_idx]
    brand_col = np.where(rng.random(n) < 0.5, brand_key, None)
    lang_all = np.concatenate([inbound["lang"], inbound["lang"][replies["parent"]]])
    lang_col = np.where(rng.random(n) < 0.6, np.array(LANGUAGES, dtype=object)[lang_all], None)
    handles = np.array([a.handle for a in accounts], dtype=object)
    followers_rep = np.array([a.followers for a in accounts])[replies["account"]]
    platform_names = np.array(PLATFORMS, dtype=object)[platform_all]
    url = np.full(n, None, dtype=object)
    for p, pattern in (
        (2, "https://forum.example.nl/topic/{}"),
        (3, "https://reviews.example.nl/r/{}"),
        (4, "https://nieuws.example.nl/artikel/{}"),
    ):
        sel = np.nonzero(platform_all == p)[0]
        url[sel] = [pattern.format(ids[k]) for k in sel]

    frame = columns_frame(
        {
            "mention_id": ids,
            "platform": platform_names,
            "created_at": created,
            "author_id": np.concatenate([author_in, handles[replies["account"]]]),
            "text": np.concatenate([text_in, text_rep]),
            "brand": brand_col,
            "in_reply_to_id": np.concatenate([parent_id, in_ids[replies["parent"]]]),
            "language": lang_col,
            "author_followers": np.concatenate([followers_in, followers_rep]),
            "url": url,
            "deleted_at": np.concatenate([deleted_str, np.full(n_rep, None, dtype=object)]),
            "is_automated": np.concatenate([np.zeros(n_in, bool), replies["is_bot"]]),
            "_t": t_all,
            "_is_brand": np.concatenate([np.zeros(n_in, bool), np.ones(n_rep, bool)]),
            "_label": np.concatenate([inbound["label"], np.full(n_rep, -1)]),
            "_lang": lang_all,
            "_kind": np.concatenate([inbound["kind"], np.full(n_rep, -1)]),
            "_brand_idx": brand_idx,
            "_account": np.concatenate([inbound["account"], replies["account"]]),
            "_parent": np.concatenate(
                [
                    np.where(inbound["reply_to_reply"] >= 0, n_in + inbound["reply_to_reply"], -1),
                    replies["parent"],
                ]
            ),
            "_row": np.arange(n),
            "_is_bot": np.concatenate([np.zeros(n_in, bool), replies["is_bot"]]),
            "_signed": np.concatenate([np.zeros(n_in, bool), signed]),
            "_deleted_t": np.concatenate([deleted_t, np.full(n_rep, -1)]),
            "_author_key": np.concatenate([inbound["author"], -1000 - replies["account"]]),
        }
    )
    frame = frame.with_columns(
        pl.Series("_month", clock.month_keys(t_all, world.tz), dtype=pl.Utf8)
    )
    return frame.sort("_t", "_row")


def mention_ids(rank: np.ndarray, platform: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Platform-style ids (tweet-like numbers, ``fb_``, ``forum-``, ``rev-``, ``news-``)."""
    jitter = rng.integers(0, 50, len(rank))
    number = 10_000_000_000 + rank * 50 + jitter
    prefix = np.array(["", "fb_", "forum-", "rev-", "news-"], dtype=object)[platform]
    return np.array([p + str(x) for p, x in zip(prefix, number, strict=True)], dtype=object)
