"""Raw and scores tables at benchmark volume, written straight into a warehouse (no model).

`generate` fills the tables of `warehouse.contract` (created by `ensure_tables`,
inserted ``by name``) with a synthetic market for the mart benchmark: the demo's
brands, webcare accounts and opening hours (`demo.catalogue`), inbound mentions
whose labels are drawn with the demo's planted shares (each brand's base net
sentiment and neutral share), desk, bot and automated replies with the accounts'
planted answer rates and delays, customer follow-ups in the threads (some without a
brand, so dbt resolves it along the thread), deletions, complaints and NPS answers
in proportion to the mentions (the demo's ``large`` preset), daily share prices of
the listed brands and the default model's shipped calibration.

Every value is a hash of (row number, stream, seed) computed by DuckDB, so 1M rows
take seconds and the same arguments give the same rows (for one DuckDB version).
The base months and the extra month of the incremental step are separate batches of
one `Plan`, so the extra month adds rows without touching the base months: a thread
whose reply would fall after its batch's last month is cut there, as an export
would cut it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

from demo import catalogue as cat
from demo.clock import month_bounds
from demo.complaints import CATEGORIES, CHANNEL_SHARES, CHANNELS
from demo.generator import month_list
from demo.nps import DETRACTOR_SCORE_WEIGHTS
from warehouse.contract import RAW_TABLES, SCORE_TABLES, Table, ensure_tables

REPO = Path(__file__).resolve().parents[1]
CALIBRATION_FILE = (
    REPO / "models" / "sentiment" / "weights" / "webcare-e5-small-sentiment.calibration.json"
)
LOADED_AT = datetime(2024, 1, 1, 6, 0)
SCORED_AT = datetime(2024, 1, 1, 7, 0)

# Per mention row, as in the demo's `large` preset (the one nearest benchmark volume):
# complaints per brand-month and NPS answers per brand-month over its mention target.
_LARGE = cat.SIZES["large"]
_BRAND_MONTHS_24 = len(cat.BRANDS) * 24
COMPLAINTS_PER_MENTION = (
    _LARGE.complaints_per_brand_month * _BRAND_MONTHS_24 / _LARGE.mentions_target
)
NPS_PER_MENTION = (_LARGE.nps_min + _LARGE.nps_max) / 2 * _BRAND_MONTHS_24 / _LARGE.mentions_target

# Shares the demo plants elsewhere with its own simulation, restated for hashing.
SOCIAL_CHANNEL_SHARE = 0.05  # complaints through a social customer-service desk
UNSCORED_SHARE = 0.005  # inbound messages not scored yet (null label in the marts)
DELETED_NEGATIVE_SHARE = 0.06  # negative inbound posts later deleted by their author
AUTOMATED_REPLY_SHARE = 0.03  # desk replies flagged automated in the message (`extra`)
UNADDRESSED_ANSWER_FACTOR = 0.15  # desks also answer messages that do not name them
BOT_UNADDRESSED_SHARE = 0.3  # the auto-responder also answers unaddressed messages
SECOND_BRAND_SHARE = 0.02  # addressed tweets that also name a competitor's desk
THREAD_BRAND_SHARE = 0.5  # follow-ups without a brand (dbt resolves it from the thread)
MAX_DELAY_S = 7 * 86400
# Authors per brand: one for this many of the brand's inbound messages over 24 months
# (the demo's people pool); activity is skewed (author = pool * u^2).
MESSAGES_PER_AUTHOR = 6

_SIGNATURES = {
    "caret_initials": ("' ^' || list_element(['JV', 'AB', 'MK', 'LS'], {pick})"),
    "slash_name": ("' /' || list_element(['Suzanne', 'Tom', 'Sanne', 'Ruud'], {pick})"),
    "dash_initials": ("' -' || list_element(['AB', 'JV', 'KD', 'PS'], {pick})"),
    "groet_name": ("' Groet, ' || list_element(['Diane', 'Koen', 'Esther', 'Wouter'], {pick})"),
}
_PHRASES = {
    "nl": {
        "negative": ["mijn pas is geblokkeerd, dit is echt slecht", "al drie dagen storing!!"],
        "neutral": ["hoe kan ik mijn adres wijzigen?", "is er vandaag onderhoud?"],
        "positive": ["top geholpen vandaag, dank", "snel opgelost, goed werk"],
    },
    "en": {
        "negative": ["my card is blocked, terrible service", "no signal for three days!!"],
        "neutral": ["how do I change my address?", "is there maintenance today?"],
        "positive": ["great help today, thanks", "fixed quickly, good job"],
    },
}
_REPLY_TEXTS = [
    "Vervelend om te horen, stuur ons een DM met je gegevens.",
    "We kijken ernaar en komen bij je terug.",
    "Dank voor je bericht, kun je ons een DM sturen?",
]


@dataclass(frozen=True)
class Plan:
    """What to generate: `mentions` rows over the base months, then one new month."""

    mentions: int
    base_months: tuple[str, ...]
    new_month: str
    seed: int = 14
    timezone: str = cat.TZ

    @property
    def months(self) -> tuple[str, ...]:
        """Base months and the new one."""
        return (*self.base_months, self.new_month)


def make_plan(mentions: int, months: int = 24, start: str = "2010-01", seed: int = 14) -> Plan:
    """`mentions` rows over `months` months from `start`, and the month after as the new one."""
    keys = month_list(start, months + 1)
    return Plan(mentions=mentions, base_months=tuple(keys[:-1]), new_month=keys[-1], seed=seed)


def _label_probabilities(brand: cat.Brand) -> tuple[float, float, float]:
    """The demo's planted label shares of a brand (its base net sentiment, polar formula)."""
    polar = 1 - brand.neutral_share
    latent = brand.base_net_sentiment
    return (polar * (1 - latent) / 2, brand.neutral_share, polar * (1 + latent) / 2)


def _desk(brand: cat.Brand, platform: str) -> cat.Account | None:
    return next(
        (
            a
            for a in cat.ACCOUNTS
            if a.brand == brand.key and a.platform == platform and not a.is_bot
        ),
        None,
    )


def _bot(brand: cat.Brand) -> cat.Account | None:
    return next((a for a in cat.ACCOUNTS if a.brand == brand.key and a.is_bot), None)


PLATFORM_SHARES = dict(cat.PLATFORM_SHARES)
ADDRESSED_SHARE = {"twitter": cat.TWITTER_ADDRESSED, "facebook": cat.FACEBOOK_ADDRESSED}


def rows_per_root() -> float:
    """Expected mention rows per inbound root message (itself, replies, bot replies,
    follow-ups and the replies to those), from the same probabilities the SQL draws with."""
    weights = [b.volume_weight for b in cat.BRANDS]
    total = 0.0
    for brand, weight in zip(cat.BRANDS, weights, strict=True):
        labels = _label_probabilities(brand)
        for platform, share in PLATFORM_SHARES.items():
            desk = _desk(brand, platform)
            rows = 1.0
            if desk is not None:
                addressed = ADDRESSED_SHARE.get(platform, 0.0)
                for label, p_label in enumerate(labels):
                    answered = (
                        addressed * desk.answer_rate * cat.ANSWER_LABEL_FACTOR[label]
                        + (1 - addressed) * desk.answer_rate * UNADDRESSED_ANSWER_FACTOR
                    )
                    human = answered * (1 - AUTOMATED_REPLY_SHARE)
                    follow = human * cat.FOLLOW_UP_PROBABILITY
                    follow_answered = sum(
                        p * desk.answer_rate * cat.FOLLOW_UP_ANSWER_FACTOR * factor
                        for p, factor in zip(
                            cat.FOLLOW_UP_LABEL_GIVEN_ORIGINAL[label],
                            cat.ANSWER_LABEL_FACTOR,
                            strict=True,
                        )
                    )
                    extra = answered + human * cat.SECOND_REPLY_PROBABILITY
                    extra += follow * (1 + follow_answered)
                    rows += p_label * extra
                if platform == "twitter" and _bot(brand) is not None:
                    rows += addressed + (1 - addressed) * BOT_UNADDRESSED_SHARE
            total += weight * share * rows
    return total / sum(weights)


def month_weights(plan: Plan) -> list[float]:
    """Relative mention volume of each month (the demo's seasonality and trend)."""
    return [
        cat.SEASONALITY[int(key[5:7]) - 1] * (1 + cat.TREND_PER_MONTH * index)
        for index, key in enumerate(plan.months)
    ]


def _month_table(plan: Plan) -> list[tuple]:
    """Per month: index, first day, UTC bounds and the id ranges of its roots, complaints
    and NPS answers (the base months' rows sum to `plan.mentions`)."""
    weights = month_weights(plan)
    base = sum(weights[: len(plan.base_months)])
    per_root = rows_per_root()
    bounds = month_bounds(list(plan.months), plan.timezone)
    rows, roots, complaints, answers = [], 0, 0, 0
    for index, key in enumerate(plan.months):
        planned = plan.mentions * weights[index] / base
        n_roots = max(1, round(planned / per_root))
        n_complaints = max(1, round(planned * COMPLAINTS_PER_MENTION))
        n_answers = max(1, round(planned * NPS_PER_MENTION))
        rows.append(
            (
                index,
                date(int(key[:4]), int(key[5:7]), 1),
                int(bounds[index]),
                int(bounds[index + 1]),
                roots,
                roots + n_roots,
                complaints,
                complaints + n_complaints,
                answers,
                answers + n_answers,
            )
        )
        roots, complaints, answers = roots + n_roots, complaints + n_complaints, answers + n_answers
    return rows


def _pick(u: str, cumulative: list[tuple[float, str]]) -> str:
    """SQL CASE choosing the value whose cumulative share first exceeds `u`."""
    whens = " ".join(f"when {u} < {edge!r} then {value}" for edge, value in cumulative[:-1])
    return f"(case {whens} else {cumulative[-1][1]} end)"


def _cumulative(shares: list[float], values: list[str]) -> list[tuple[float, str]]:
    total, edges, running = float(sum(shares)), [], 0.0
    for share, value in zip(shares, values, strict=True):
        running += float(share) / total
        edges.append((running, value))
    return edges


def _sql_list(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _insert(con: duckdb.DuckDBPyConnection, table: Table, select_sql: str) -> int:
    """Insert the rows of `select_sql` into `table`, matching its columns by the contract's
    names; returns the number of rows."""
    columns = con.sql(f"select * from ({select_sql})").columns
    unknown = sorted(set(columns) - set(table.column_names))
    if unknown:
        raise ValueError(f"{table.qualified} has no column(s) {unknown}")
    listed = ", ".join(f'"{c}"' for c in columns)
    con.execute(f"insert into {table.qualified} ({listed}) select {listed} from ({select_sql})")
    return _count(con, table)


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple:
    """The one row of `sql` (fetched whole: DuckDB keeps a half-read result open)."""
    return con.execute(sql).fetchall()[0]


def _reference_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Brands, webcare accounts and opening hours from the demo catalogue."""
    lineage = f"'bench/reference' as _source_file, TIMESTAMP '{LOADED_AT}' as _loaded_at"
    brands = [
        (
            b.key,
            b.display_name,
            b.sector,
            b.ticker,
            b.shares_outstanding,
            list(b.keywords),
        )
        for b in cat.BRANDS
    ]
    con.execute(
        "create temp table bench_brand_rows (brand varchar, display_name varchar, sector varchar,"
        " ticker varchar, shares_outstanding bigint, keywords varchar[])"
    )
    con.executemany("insert into bench_brand_rows values (?, ?, ?, ?, ?, ?)", brands)
    _insert(
        con,
        RAW_TABLES["brands"],
        f"select *, 'NL' as country, 'EUR' as currency, {lineage}, "
        "row_number() over () + 1 as _source_line from bench_brand_rows",
    )
    con.execute(
        "create temp table bench_account_rows (brand varchar, handle varchar, platform varchar,"
        " is_bot boolean, promised_response_minutes integer, opening_hours varchar,"
        " timezone varchar, bio varchar)"
    )
    con.executemany(
        "insert into bench_account_rows values (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                a.brand,
                a.handle,
                a.platform,
                a.is_bot,
                a.promised_response_minutes,
                a.opening_hours,
                a.timezone,
                a.bio,
            )
            for a in cat.ACCOUNTS
        ],
    )
    _insert(
        con,
        RAW_TABLES["webcare_accounts"],
        f"select *, {lineage}, row_number() over () + 1 as _source_line from bench_account_rows",
    )
    windows = [
        (a.handle, a.platform, day, f"{w.opens // 60:02d}:{w.opens % 60:02d}:00", w.closes)
        for a in cat.ACCOUNTS
        for w in a.windows
        for day in w.days
    ]
    con.execute(
        "create temp table bench_window_rows (handle varchar, platform varchar, weekday integer,"
        " opens_at time, closes_minutes integer)"
    )
    con.executemany("insert into bench_window_rows values (?, ?, ?, ?, ?)", windows)
    _insert(
        con,
        RAW_TABLES["webcare_account_opening_hours"],
        "select handle, platform, weekday, opens_at, "
        # 24:00 is stored as the last microsecond of the day (the contract's convention)
        "case when closes_minutes >= 1440 then TIME '23:59:59.999999' "
        "else make_time(closes_minutes // 60, closes_minutes % 60, 0) end as closes_at, "
        f"{lineage}, row_number() over () + 1 as _source_line from bench_window_rows",
    )
    con.execute("drop table bench_brand_rows")
    con.execute("drop table bench_account_rows")
    con.execute("drop table bench_window_rows")


def _calibration(con: duckdb.DuckDBPyConnection) -> str:
    """The default model's shipped calibration (held-out split); returns its model version."""
    from models.sentiment.calibration import Calibration

    calibration = Calibration.from_json(CALIBRATION_FILE.read_text(encoding="utf-8"))
    rows = calibration.rows()
    con.execute(
        "create temp table bench_calibration_rows as select * from "
        "(select unnest(?::struct(calibration_id varchar, model_version varchar, "
        "language varchar, true_label varchar, predicted_label varchar, labelled_count bigint, "
        "confusion_rate double, inverse_coefficient double)[], recursive := true))",
        [rows],
    )
    _insert(
        con,
        SCORE_TABLES["sentiment_calibration"],
        f"select *, TIMESTAMP '{LOADED_AT}' as loaded_at from bench_calibration_rows",
    )
    con.execute("drop table bench_calibration_rows")
    return calibration.model_version


def _setup(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    """Temp tables of months, brands and desks, and the hash macros."""
    seed = int(plan.seed)
    # u(i, s): uniform in [0, 1) from 53 bits of a hash of (row, stream, seed).
    con.execute(
        f"create or replace temp macro u(i, s) as "
        f"(hash(i, s, {seed}) >> 11)::double / 9007199254740992.0"
    )
    # z(i, s): standard normal (Box-Muller on two streams).
    con.execute(
        "create or replace temp macro z(i, s) as "
        "sqrt(-2 * ln(greatest(u(i, s), 1e-12))) * cos(2 * pi() * u(i, s + 1000))"
    )
    # The pseudonym of author k of brand b, also a complainant's social handle.
    con.execute(
        f"create or replace temp macro author_of(b, k) as "
        f"'p_' || format('{{:016x}}', hash(b::bigint, k::bigint, {seed}))"
    )
    con.execute(
        "create or replace temp table bench_months (m_idx integer, month date, start_s bigint,"
        " end_s bigint, root_lo bigint, root_hi bigint, complaint_lo bigint,"
        " complaint_hi bigint, nps_lo bigint, nps_hi bigint)"
    )
    con.executemany(
        "insert into bench_months values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", _month_table(plan)
    )
    weights = [b.volume_weight for b in cat.BRANDS]
    roots_24 = plan.mentions / rows_per_root() * 24 / len(plan.base_months)
    brand_rows = []
    for index, brand in enumerate(cat.BRANDS):
        p_neg, p_neu, _ = _label_probabilities(brand)
        sector_peers = [b for b in cat.BRANDS if b.sector == brand.sector and b is not brand]
        peer_desk = _desk(sector_peers[0], "twitter") if sector_peers else None
        nps = cat.NPS_ALPHA + cat.NPS_BETA * brand.base_net_sentiment
        promoters = max(0.02, (1 - brand.passive_share + nps / 100) / 2)
        pool = max(50, round(roots_24 * weights[index] / sum(weights) / MESSAGES_PER_AUTHOR))
        brand_rows.append(
            (
                index,
                brand.key,
                brand.sector,
                brand.keywords[0],
                p_neg,
                p_neu,
                pool,
                peer_desk.handle if peer_desk else None,
                brand.signature_style,
                promoters,
                brand.passive_share,
                brand.initial_price,
                brand.ticker,
            )
        )
    con.execute(
        "create or replace temp table bench_brands (b integer, brand varchar, sector varchar,"
        " keyword varchar, p_neg double, p_neu double, pool bigint, peer_desk varchar,"
        " signature varchar, p_promoter double, p_passive double, initial_price double,"
        " ticker varchar)"
    )
    con.executemany(
        "insert into bench_brands values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", brand_rows
    )
    desk_rows = []
    for index, brand in enumerate(cat.BRANDS):
        for platform in PLATFORM_SHARES:
            desk = _desk(brand, platform)
            if desk is not None:
                desk_rows.append(
                    (
                        index,
                        platform,
                        desk.handle,
                        desk.answer_rate,
                        desk.delay_median_minutes,
                        desk.delay_sigma,
                        ADDRESSED_SHARE.get(platform, 0.0),
                    )
                )
    con.execute(
        "create or replace temp table bench_desks (b integer, platform varchar, handle varchar,"
        " answer_rate double, median_minutes double, sigma double, addressed_share double)"
    )
    con.executemany("insert into bench_desks values (?, ?, ?, ?, ?, ?, ?)", desk_rows)


def _message_text(label: str, stream: int) -> str:
    """SQL: a customer's phrase for the label in column `label`, in the row's language."""
    pick = f"1 + floor(u(g, {stream}) * 2)::integer"
    cases = []
    for name in cat.LABELS:
        nl, en = _sql_list(_PHRASES["nl"][name]), _sql_list(_PHRASES["en"][name])
        phrases = f"case when language = 'en' then {en} else {nl} end"
        cases.append(f"when '{name}' then list_element({phrases}, {pick})")
    return f"case {label} {' '.join(cases)} end"


def _mentions_batch(con: duckdb.DuckDBPyConnection, plan: Plan, months: list[int]) -> None:
    """Temp table bench_rows: every mention row of the batch's months, with its label."""
    lo, hi, batch_end = _one(
        con,
        "select min(root_lo), max(root_hi), max(end_s) from bench_months "
        f"where m_idx in ({', '.join(map(str, months))})",
    )
    weights = [b.volume_weight for b in cat.BRANDS]
    brand_case = _pick("u(g, 1)", _cumulative(weights, [str(i) for i in range(len(cat.BRANDS))]))
    platforms = list(PLATFORM_SHARES)
    platform_case = _pick(
        "u(g, 3)", _cumulative(list(PLATFORM_SHARES.values()), [f"'{p}'" for p in platforms])
    )
    label_factor = (
        f"list_element({list(cat.ANSWER_LABEL_FACTOR)}, "
        "case label when 'negative' then 1 when 'neutral' then 2 else 3 end)"
    )
    follow_case = " ".join(
        f"when '{cat.LABELS[i]}' then "
        + _pick(
            "u(g, 21)",
            _cumulative(list(row), [f"'{name}'" for name in cat.LABELS]),
        )
        for i, row in enumerate(cat.FOLLOW_UP_LABEL_GIVEN_ORIGINAL)
    )
    signature_case = " ".join(
        f"when '{style}' then {sql.format(pick='1 + floor(u(g, {s}) * 4)::integer')}"
        for style, sql in _SIGNATURES.items()
    )
    reply_text = f"list_element({_sql_list(_REPLY_TEXTS)}, 1 + floor(u(g, {{s}}) * 3)::integer)"
    bot = next(a for a in cat.ACCOUNTS if a.is_bot)
    bot_brand = next(i for i, b in enumerate(cat.BRANDS) if b.key == bot.brand)

    con.execute(f"""
        create or replace temp table bench_roots as
        with ids as (
            select t.range as g, m.m_idx, m.month, m.start_s, m.end_s
            from range({lo}, {hi}) as t
            inner join bench_months as m on t.range >= m.root_lo and t.range < m.root_hi
        ),
        drawn as (
            select
                ids.*,
                {brand_case} as b,
                {platform_case} as platform,
                ids.start_s + floor(u(g, 4) * (ids.end_s - ids.start_s))::bigint as created_s,
                case when u(g, 6) < {cat.ENGLISH_SHARE} then 'en' else 'nl' end as language
            from ids
        )
        select
            drawn.*,
            brands.brand,
            author_of(drawn.b, floor(brands.pool * u(g, 2) * u(g, 2))) as author_id,
            case
                when u(g, 5) < brands.p_neg then 'negative'
                when u(g, 5) < brands.p_neg + brands.p_neu then 'neutral'
                else 'positive'
            end as label,
            u(g, 24) >= {UNSCORED_SHARE} as is_scored,
            desks.handle as desk,
            desks.answer_rate,
            desks.median_minutes,
            desks.sigma,
            desks.handle is not null and u(g, 7) < desks.addressed_share as is_addressed,
            brands.peer_desk,
            brands.signature,
            brands.keyword
        from drawn
        inner join bench_brands as brands on drawn.b = brands.b
        left join bench_desks as desks on drawn.b = desks.b and drawn.platform = desks.platform
    """)
    con.execute(f"""
        create or replace temp table bench_threads as
        select
            roots.*,
            is_addressed and platform = 'twitter' and peer_desk is not null
                and u(g, 8) < {SECOND_BRAND_SHARE} as names_peer,
            desk is not null and u(g, 12) < answer_rate * case
                when is_addressed then {label_factor}
                else {UNADDRESSED_ANSWER_FACTOR}
            end as is_answered,
            u(g, 15) < {AUTOMATED_REPLY_SHARE} as is_automated_reply,
            created_s + least({MAX_DELAY_S}, greatest(30,
                round(60 * median_minutes * exp(sigma * z(g, 13)))))::bigint as reply_s,
            u(g, 17) < {cat.SECOND_REPLY_PROBABILITY} as has_second_reply,
            u(g, 19) < {cat.FOLLOW_UP_PROBABILITY} as has_follow_up,
            case label {follow_case} end as follow_label
        from bench_roots as roots
    """)
    signed = (
        f"case when signature is not null and u(g, {{s}}) < {cat.SIGNED_SHARE} "
        f"then case signature {signature_case} end else '' end"
    )
    con.execute(
        "create or replace temp table bench_rows (mention_id varchar, platform varchar,"
        " created_at timestamp, author_id varchar, is_brand_account boolean, text varchar,"
        " brand varchar, in_reply_to_id varchar, language varchar, deleted_at timestamp,"
        " is_automated boolean, label_value varchar, is_scored boolean, g bigint, kind integer)"
    )
    # inbound root messages
    con.execute(f"""
        insert into bench_rows
        select
            'm' || g, platform, epoch_ms(created_s * 1000), author_id, false,
            case
                when is_addressed then '@' || desk
                    || case when names_peer then ' @' || peer_desk else '' end || ' '
                else keyword || ' '
            end || {_message_text("label", 9)},
            brand, null, language,
            case when label = 'negative' and u(g, 10) < {DELETED_NEGATIVE_SHARE}
                then epoch_ms((created_s + floor(u(g, 11) * 4 * 86400)::bigint) * 1000)
            end,
            false, label, is_scored, g, 0
        from bench_threads
    """)
    # desk replies: the first (human or flagged automated) and a later second one
    con.execute(f"""
        insert into bench_rows
        select
            'r' || g, platform,
            epoch_ms(case when is_automated_reply
                then created_s + 20 + floor(u(g, 16) * 40)::bigint else reply_s end * 1000),
            desk, true,
            case when is_automated_reply
                then 'Automatisch antwoord: we reageren zo snel mogelijk.'
                else {reply_text.format(s=14)} || {signed.format(s=16)}
            end,
            brand, 'm' || g, 'nl', null, is_automated_reply, null, false, g, 1
        from bench_threads
        where is_answered
            and case when is_automated_reply
                then created_s + 60 else reply_s end < {batch_end}
    """)
    con.execute(f"""
        insert into bench_rows
        select
            'r' || g || 'b', platform,
            epoch_ms((reply_s + 600 + floor(u(g, 18) * 86400)::bigint) * 1000),
            desk, true, {reply_text.format(s=25)} || {signed.format(s=26)},
            brand, 'm' || g, 'nl', null, false, null, false, g, 2
        from bench_threads
        where is_answered and not is_automated_reply and has_second_reply
            and reply_s + 600 + floor(u(g, 18) * 86400)::bigint < {batch_end}
    """)
    # the auto-responder answers what reaches its brand on its platform
    con.execute(f"""
        insert into bench_rows
        select
            'a' || g, platform, epoch_ms((created_s + 5 + floor(u(g, 27) * 55)::bigint) * 1000),
            '{bot.handle}', true, 'Bedankt voor je bericht, we reageren binnen 2 uur.',
            brand, 'm' || g, 'nl', null, false, null, false, g, 3
        from bench_threads
        where b = {bot_brand} and platform = '{bot.platform}'
            and (is_addressed or u(g, 28) < {BOT_UNADDRESSED_SHARE})
            and created_s + 60 < {batch_end}
    """)
    # the customer answers the first human reply (brand left out half of the time)
    follow_s = "reply_s + 600 + floor(u(g, 20) * 10 * 86400)::bigint"
    con.execute(f"""
        insert into bench_rows
        select
            'f' || g, platform, epoch_ms(({follow_s}) * 1000), author_id, false,
            {_message_text("follow_label", 29)},
            case when u(g, 22) < {THREAD_BRAND_SHARE} then null else brand end,
            'r' || g, language, null, false, follow_label, true, g, 4
        from bench_threads
        where is_answered and not is_automated_reply and has_follow_up
            and {follow_s} < {batch_end}
    """)
    follow_label_factor = label_factor.replace("case label", "case follow_label")
    follow_reply_s = (
        f"{follow_s} + least({MAX_DELAY_S}, greatest(30, "
        "round(60 * median_minutes * exp(sigma * z(g, 30)))))::bigint"
    )
    con.execute(f"""
        insert into bench_rows
        select
            'q' || g, platform, epoch_ms(({follow_reply_s}) * 1000), desk, true,
            {reply_text.format(s=31)} || {signed.format(s=32)},
            brand, 'f' || g, 'nl', null, false, null, false, g, 5
        from bench_threads
        where is_answered and not is_automated_reply and has_follow_up
            and u(g, 23) < answer_rate * {cat.FOLLOW_UP_ANSWER_FACTOR} * {follow_label_factor}
            and {follow_reply_s} < {batch_end}
    """)


def _write_mentions(con: duckdb.DuckDBPyConnection, plan: Plan, model_version: str) -> None:
    """raw.mentions and scores.mention_sentiment from bench_rows."""
    month = (
        f"cast(date_trunc('month', timezone('{plan.timezone}', timezone('UTC', created_at)))"
        " as date)"
    )
    _insert(
        con,
        RAW_TABLES["mentions"],
        f"""
        select
            mention_id, platform, created_at, author_id, is_brand_account, text, brand,
            in_reply_to_id, language, (hash(g, kind, 40) % 20000)::bigint as author_followers,
            'https://example.invalid/' || platform || '/' || mention_id as url, deleted_at,
            case when is_automated then '{{"is_automated": true}}'::json end as extra,
            {month} as partition_month,
            'bench/mentions/' || strftime({month}, '%Y-%m') || '.parquet' as _source_file,
            g * 8 + kind + 1 as _source_line,
            TIMESTAMP '{LOADED_AT}' as _loaded_at
        from bench_rows
        """,
    )
    # probabilities: the label's in [0.5, 0.95), the rest split between the other two
    _insert(
        con,
        SCORE_TABLES["mention_sentiment"],
        f"""
        with scored as (
            select
                platform, mention_id, {month} as partition_month, label_value as label,
                0.5 + 0.45 * u(g, 50 + kind) as p_top, u(g, 60 + kind) as split
            from bench_rows
            where label_value is not null and is_scored
        ),
        probabilities as (
            select
                *,
                case label when 'negative' then p_top else (1 - p_top) * split end as p_negative,
                case label when 'neutral' then p_top
                    when 'negative' then (1 - p_top) * split else (1 - p_top) * (1 - split)
                end as p_neutral,
                case label when 'positive' then p_top else (1 - p_top) * (1 - split) end
                    as p_positive
            from scored
        )
        select
            platform, mention_id, partition_month, md5(mention_id) as text_hash, label,
            p_negative, p_neutral, p_positive, p_positive - p_negative as score,
            '{model_version}' as model_version, TIMESTAMP '{SCORED_AT}' as scored_at
        from probabilities
        """,
    )


def _complaints_nps_prices(
    con: duckdb.DuckDBPyConnection, plan: Plan, months: list[int], model_version: str
) -> None:
    """raw.complaints, raw.nps_responses (+ comment scores) and raw.stock_prices of a batch."""
    in_batch = f"m_idx in ({', '.join(map(str, months))})"
    lo, hi, nlo, nhi = _one(
        con,
        "select min(complaint_lo), max(complaint_hi), min(nps_lo), max(nps_hi) "
        f"from bench_months where {in_batch}",
    )
    complaint_brand = _pick(
        "u(g, 101)",
        _cumulative([b.complaint_weight for b in cat.BRANDS], [str(i) for i in range(9)]),
    )
    sector_channels = " ".join(
        f"when '{sector}' then "
        + _pick(
            "u(g, 102)",
            _cumulative(
                [s * (1 - SOCIAL_CHANNEL_SHARE) for s in shares] + [SOCIAL_CHANNEL_SHARE],
                [f"'{c}'" for c in CHANNELS] + ["'social'"],
            ),
        )
        for sector, shares in CHANNEL_SHARES.items()
    )
    sector_categories = " ".join(
        f"when '{sector}' then list_element({_sql_list(list(names))}, "
        f"1 + floor(u(g, 103) * {len(names)})::integer)"
        for sector, names in CATEGORIES.items()
    )
    month = "cast(date_trunc('month', timezone('{tz}', timezone('UTC', {col}))) as date)"
    _insert(
        con,
        RAW_TABLES["complaints"],
        f"""
        with ids as (
            select t.range as g, m.start_s, m.end_s
            from range({lo}, {hi}) as t
            inner join bench_months as m on t.range >= m.complaint_lo and t.range < m.complaint_hi
        ),
        drawn as (
            select
                ids.*, brands.*,
                epoch_ms((start_s + floor(u(g, 104) * (end_s - start_s))::bigint) * 1000)
                    as received_at
            from ids
            inner join bench_brands as brands on {complaint_brand} = brands.b
        )
        select
            'c' || g as complaint_id, brand, received_at,
            case sector {sector_channels} end as channel,
            case sector {sector_categories} end as category,
            'k_' || format('{{:016x}}', hash(g, 105, {plan.seed})) as customer_id,
            case when u(g, 106) < {cat.COMPLAINT_SOCIAL_SHARE}
                then author_of(b, floor(pool * u(g, 107) * u(g, 107)))
            end as social_handle,
            case when u(g, 108) < {cat.COMPLAINT_RESOLVED_SHARE}
                then received_at + to_seconds(floor(3600 * exp(3 + 1.2 * z(g, 109)))::bigint)
            end as resolved_at,
            u(g, 111) < 0.9 as is_timely_response,
            {month.format(tz=plan.timezone, col="received_at")} as partition_month,
            'bench/complaints.csv' as _source_file, g + 2 as _source_line,
            TIMESTAMP '{LOADED_AT}' as _loaded_at
        from drawn
        """,
    )
    nps_brand = _pick(
        "u(g, 121)",
        _cumulative([b.volume_weight for b in cat.BRANDS], [str(i) for i in range(9)]),
    )
    detractor_score = _pick(
        "u(g, 123)", _cumulative(list(DETRACTOR_SCORE_WEIGHTS), [str(s) for s in range(7)])
    )
    con.execute(f"""
        create or replace temp table bench_nps as
        with ids as (
            select t.range as g, m.start_s, m.end_s, m.month
            from range({nlo}, {nhi}) as t
            inner join bench_months as m on t.range >= m.nps_lo and t.range < m.nps_hi
        )
        select
            ids.*, brands.brand,
            epoch_ms((start_s + floor(u(g, 122) * (end_s - start_s))::bigint) * 1000)
                as answered_at,
            case
                when u(g, 124) < p_promoter then 9 + floor(u(g, 125) * 2)::integer
                when u(g, 124) < p_promoter + p_passive then 7 + floor(u(g, 125) * 2)::integer
                else {detractor_score}
            end as score,
            u(g, 126) < {cat.NPS_COMMENT_SHARE} as has_comment
        from ids
        inner join bench_brands as brands on {nps_brand} = brands.b
    """)
    _insert(
        con,
        RAW_TABLES["nps_responses"],
        f"""
        select
            'n' || g as response_id, brand, answered_at, score,
            'r_' || format('{{:016x}}', hash(g, 127, {plan.seed})) as respondent_id,
            case when has_comment then case when score >= 9 then 'heel tevreden'
                when score >= 7 then 'prima' else 'slechte service' end end as comment,
            strftime(month, '%Y-%m') as wave,
            {month.format(tz=plan.timezone, col="answered_at")} as partition_month,
            'bench/nps.csv' as _source_file, g + 2 as _source_line,
            TIMESTAMP '{LOADED_AT}' as _loaded_at
        from bench_nps
        """,
    )
    _insert(
        con,
        SCORE_TABLES["nps_comment_sentiment"],
        f"""
        select
            'n' || g as response_id,
            {month.format(tz=plan.timezone, col="answered_at")} as partition_month,
            md5('n' || g) as text_hash,
            case when score >= 9 then 'positive' when score >= 7 then 'neutral'
                else 'negative' end as label,
            case when score < 7 then 0.8 else 0.1 end as p_negative,
            case when score between 7 and 8 then 0.8 else 0.1 end as p_neutral,
            case when score >= 9 then 0.8 else 0.1 end as p_positive,
            (case when score >= 9 then 0.8 else 0.1 end)
                - (case when score < 7 then 0.8 else 0.1 end) as score,
            '{model_version}' as model_version, TIMESTAMP '{SCORED_AT}' as scored_at
        from bench_nps
        where has_comment
        """,
    )
    con.execute("drop table bench_nps")
    # Daily closes: a random walk from the period's first day, so each batch continues it.
    day_row = "epoch(days.date)::bigint * 16 + brands.b"
    daily_return = f"{cat.STOCK_MU / 21} + {cat.STOCK_DAILY_SD} * z({day_row}, 131)"
    period_start, batch_last = _one(
        con, f"select min(month), max(month) filter ({in_batch}) from bench_months"
    )
    _insert(
        con,
        RAW_TABLES["stock_prices"],
        f"""
        with days as (
            select cast(d.range as date) as date
            from range(DATE '{period_start}', DATE '{batch_last}' + interval 1 month,
                interval 1 day) as d
            where isodow(d.range) <= 5
        ),
        walks as (
            select
                brands.b, brands.ticker, days.date,
                brands.initial_price * exp(sum({daily_return}) over (
                    partition by brands.b order by days.date
                )) as price
            from days
            cross join bench_brands as brands
            where brands.ticker is not null
        )
        select
            ticker, date,
            round(price * (1 + 0.004 * (u(epoch(date)::bigint * 16 + b, 132) - 0.5)), 4) as open,
            round(price * 1.01, 4) as high,
            round(price * 0.99, 4) as low,
            round(price, 4) as close,
            round(price * 0.97, 4) as adj_close,
            (100000 + hash(b, date, 133) % 900000)::bigint as volume,
            'EUR' as currency,
            cast(date_trunc('month', date) as date) as partition_month,
            'bench/stock_prices.csv' as _source_file,
            row_number() over (order by ticker, date) + 1 as _source_line,
            TIMESTAMP '{LOADED_AT}' as _loaded_at
        from walks
        where cast(date_trunc('month', date) as date) in (
            select month from bench_months where {in_batch})
        """,
    )


def generate(con: duckdb.DuckDBPyConnection, plan: Plan, batch: str) -> dict[str, int]:
    """Write the rows of `batch` (``base``: reference data, calibration and the base months;
    ``new``: the new month) into the contract's tables; returns the rows added per table."""
    if batch not in ("base", "new"):
        raise ValueError(f"batch must be 'base' or 'new', got {batch!r}")
    tables = [*RAW_TABLES.values(), *SCORE_TABLES.values()]
    ensure_tables(con, tables)
    before = {t.qualified: _count(con, t) for t in tables}
    _setup(con, plan)
    if batch == "base":
        _reference_tables(con)
        _calibration(con)
        months = list(range(len(plan.base_months)))
    else:
        months = [len(plan.base_months)]
    (model_version,) = _one(
        con, "select any_value(model_version) from scores.sentiment_calibration"
    )
    _mentions_batch(con, plan, months)
    _write_mentions(con, plan, model_version)
    _complaints_nps_prices(con, plan, months, model_version)
    for name in ("bench_rows", "bench_threads", "bench_roots"):
        con.execute(f"drop table if exists {name}")
    return {t.qualified: _count(con, t) - before[t.qualified] for t in tables}


def _count(con: duckdb.DuckDBPyConnection, table: Table) -> int:
    return _one(con, f"select count(*) from {table.qualified}")[0]


def describe(plan: Plan) -> str:
    """One line on what the plan generates."""
    return (
        f"{plan.mentions:,} mentions over {len(plan.base_months)} months "
        f"({plan.base_months[0]}..{plan.base_months[-1]}), new month {plan.new_month}, "
        f"seed {plan.seed}; complaints {COMPLAINTS_PER_MENTION:.3f} and NPS answers "
        f"{NPS_PER_MENTION:.3f} per mention (demo preset 'large')"
    )
