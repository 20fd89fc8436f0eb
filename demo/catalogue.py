"""The fictional market of the demo: brands, their webcare accounts, sizes and planted constants.

Every name here is invented (Dutch-sounding, no real company). The numbers are the
planted parameters that `truth.json` repeats, so a test can compare what the
pipeline measures with what was put in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SECTORS: tuple[str, ...] = ("bank", "telecom", "insurer")
LABELS: tuple[str, ...] = ("negative", "neutral", "positive")
NEGATIVE, NEUTRAL, POSITIVE = 0, 1, 2
LANGUAGES: tuple[str, ...] = ("nl", "en")
PLATFORMS: tuple[str, ...] = ("twitter", "facebook", "forum", "review", "news")
TWITTER, FACEBOOK, FORUM, REVIEW, NEWS = 0, 1, 2, 3, 4


@dataclass(frozen=True)
class Brand:
    """One fictional brand and the planted traits that drive its data."""

    key: str
    display_name: str
    sector: str
    keywords: tuple[str, ...]
    ticker: str | None
    shares_outstanding: int | None
    volume_weight: float  # relative mention volume inside the market (share of voice)
    base_net_sentiment: float  # mean latent net sentiment (polar formula) of inbound messages
    neutral_share: float  # share of inbound messages that are neutral
    signature_style: str | None  # how agents sign replies; None = never signed
    complaint_weight: float  # relative traditional complaint volume
    passive_share: float  # NPS passives share
    initial_price: float | None = None
    dividend_yield: float | None = None

    @property
    def listed(self) -> bool:
        """Whether the brand has a share price."""
        return self.ticker is not None


@dataclass(frozen=True)
class Window:
    """Opening window of an account: ISO weekdays (1 = Monday) and local minutes of the day."""

    days: tuple[int, ...]
    opens: int
    closes: int


@dataclass(frozen=True)
class Account:
    """A webcare account and the planted model of how (fast) it answers."""

    handle: str
    brand: str
    platform: str
    is_bot: bool
    promised_response_minutes: int | None
    opening_hours: str | None  # as published; None = not published (24/7)
    timezone: str
    bio: str
    answer_rate: float  # probability a negative addressed message gets a human reply
    delay_median_minutes: float  # lognormal median, on the account's clock
    delay_sigma: float  # lognormal sigma (of the natural log)
    followers: int
    windows: tuple[Window, ...] = field(default_factory=tuple)

    @property
    def clock(self) -> str:
        """`business` when the account publishes opening hours, else `calendar`."""
        return "business" if self.windows else "calendar"


def _days(spec: str) -> tuple[int, ...]:
    names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    if "-" in spec:
        first, last = spec.split("-")
        return tuple(range(names.index(first) + 1, names.index(last) + 2))
    return (names.index(spec) + 1,)


def parse_opening_hours(text: str | None) -> tuple[Window, ...]:
    """Parse ``mon-fri 08:00-20:00; sat 10:00-16:00`` into windows (empty = 24/7)."""
    if not text:
        return ()
    windows = []
    for part in text.split(";"):
        days, hours = part.strip().split(" ")
        opens, closes = hours.split("-")
        oh, om = (int(x) for x in opens.split(":"))
        ch, cm = (int(x) for x in closes.split(":"))
        windows.append(Window(_days(days), oh * 60 + om, ch * 60 + cm))
    return tuple(windows)


BRANDS: tuple[Brand, ...] = (
    Brand(
        "hanzebank",
        "Hanzebank",
        "bank",
        ("hanzebank", "hanze bank"),
        "HNZB",
        182_000_000,
        1.4,
        -0.20,
        0.30,
        "caret_initials",
        1.3,
        0.30,
        14.2,
        0.035,
    ),
    Brand(
        "tulpbank",
        "Tulpbank",
        "bank",
        ("tulpbank",),
        "TULP",
        96_500_000,
        1.0,
        0.10,
        0.32,
        "slash_name",
        1.0,
        0.32,
        27.5,
        0.030,
    ),
    Brand(
        "grachtenbank",
        "Grachtenbank",
        "bank",
        ("grachtenbank",),
        None,
        None,
        0.6,
        -0.45,
        0.28,
        None,
        0.8,
        0.28,
    ),
    Brand(
        "polderfoon",
        "Polderfoon",
        "telecom",
        ("polderfoon",),
        "PLDF",
        420_000_000,
        1.6,
        -0.35,
        0.25,
        "dash_initials",
        1.4,
        0.27,
        9.8,
        0.050,
    ),
    Brand(
        "duinnet",
        "DuinNet",
        "telecom",
        ("duinnet", "duin net"),
        "DUIN",
        58_000_000,
        1.1,
        -0.15,
        0.28,
        None,
        1.0,
        0.30,
        41.0,
        0.025,
    ),
    Brand(
        "molentel",
        "Molentel",
        "telecom",
        ("molentel",),
        None,
        None,
        0.7,
        -0.50,
        0.25,
        None,
        0.9,
        0.26,
    ),
    Brand(
        "dijkgraaf",
        "Dijkgraaf Verzekeringen",
        "insurer",
        ("dijkgraaf",),
        "DIJK",
        131_000_000,
        0.9,
        -0.10,
        0.33,
        None,
        1.0,
        0.33,
        18.6,
        0.045,
    ),
    Brand(
        "stormpolis",
        "Stormpolis",
        "insurer",
        ("stormpolis",),
        "STRM",
        74_000_000,
        0.8,
        0.05,
        0.30,
        "groet_name",
        0.8,
        0.31,
        33.3,
        0.040,
    ),
    Brand(
        "vlinder",
        "Vlinder Verzekeringen",
        "insurer",
        ("vlinder verzekeringen", "vlinderverzekeringen"),
        None,
        None,
        0.5,
        -0.30,
        0.30,
        None,
        0.6,
        0.30,
    ),
)

TZ = "Europe/Amsterdam"

_ACCOUNT_ROWS: tuple[tuple, ...] = (
    # handle, brand, platform, is_bot, promise, opening_hours, timezone, answer_rate,
    # delay median minutes, sigma, followers, bio
    (
        "Hanzebank",
        "hanzebank",
        "twitter",
        False,
        120,
        "mon-fri 08:00-22:00; sat-sun 09:00-17:00",
        TZ,
        0.75,
        35.0,
        0.9,
        18400,
        "Webcare van Hanzebank. Ma-vr 8-22 uur, weekend 9-17 uur. Binnen 2 uur antwoord.",
    ),
    (
        "HanzebankNL",
        "hanzebank",
        "facebook",
        False,
        480,
        "mon-fri 09:00-17:00",
        TZ,
        0.70,
        150.0,
        0.8,
        52100,
        "De officiële Facebookpagina van Hanzebank. Ma-vr 9-17 uur.",
    ),
    (
        "Tulpbank_Helpt",
        "tulpbank",
        "twitter",
        False,
        60,
        "mon-fri 08:00-20:00; sat 10:00-16:00",
        TZ,
        0.85,
        22.0,
        0.8,
        9700,
        "Vragen over je Tulpbank rekening? Ma-vr 8-20, za 10-16. We reageren binnen een uur. /naam",
    ),
    (
        "Grachtenbank",
        "grachtenbank",
        "twitter",
        False,
        None,
        None,
        TZ,
        0.30,
        300.0,
        1.1,
        4100,
        "Grachtenbank, de bank van de stad.",
    ),
    (
        "Polderfoon",
        "polderfoon",
        "twitter",
        False,
        60,
        "",
        TZ,
        0.90,
        24.0,
        0.75,
        61200,
        "Polderfoon Webcare: 24/7 bereikbaar, antwoord binnen 60 minuten. -initialen",
    ),
    (
        "PolderfoonNL",
        "polderfoon",
        "facebook",
        False,
        240,
        "",
        TZ,
        0.80,
        90.0,
        0.9,
        88000,
        "Polderfoon op Facebook, dag en nacht voor je klaar.",
    ),
    (
        "DuinNet",
        "duinnet",
        "twitter",
        False,
        120,
        "mon-sun 08:00-22:00",
        TZ,
        0.60,
        55.0,
        1.0,
        23800,
        "Klantenservice van DuinNet. Elke dag van 8 tot 22 uur.",
    ),
    (
        "DuinNet_Auto",
        "duinnet",
        "twitter",
        True,
        None,
        None,
        "UTC",
        1.0,
        0.0,
        0.0,
        310,
        "Automatische ontvangstbevestiging van DuinNet.",
    ),
    (
        "Molentel_Care",
        "molentel",
        "twitter",
        False,
        30,
        "mon-sat 08:00-20:00",
        "Europe/Brussels",
        0.50,
        75.0,
        1.0,
        7300,
        "Molentel Care: ma-za 8-20 uur.",
    ),
    (
        "DijkgraafVerz",
        "dijkgraaf",
        "twitter",
        False,
        240,
        "mon-fri 08:30-17:30",
        TZ,
        0.45,
        110.0,
        0.9,
        5600,
        "Dijkgraaf Verzekeringen helpt je op werkdagen van 8.30 tot 17.30.",
    ),
    (
        "DijkgraafVerzekeringen",
        "dijkgraaf",
        "facebook",
        False,
        1440,
        "mon-fri 08:30-17:30",
        TZ,
        0.40,
        240.0,
        0.9,
        15900,
        "Welkom op de pagina van Dijkgraaf Verzekeringen.",
    ),
    (
        "Stormpolis",
        "stormpolis",
        "twitter",
        False,
        120,
        "mon-fri 08:00-18:00; sat 09:00-13:00",
        TZ,
        0.65,
        40.0,
        0.85,
        8800,
        "Stormpolis webcare. Ma-vr 8-18, za 9-13. Groet, je Stormpolis-team",
    ),
    (
        "VlinderHelpt",
        "vlinder",
        "twitter",
        False,
        180,
        "mon-fri 09:00-12:00",
        TZ,
        0.35,
        70.0,
        0.9,
        2100,
        "Vlinder Verzekeringen op Twitter, werkdagen 9-12 uur.",
    ),
)

ACCOUNTS: tuple[Account, ...] = tuple(
    Account(
        handle=row[0],
        brand=row[1],
        platform=row[2],
        is_bot=row[3],
        promised_response_minutes=row[4],
        opening_hours=row[5],
        timezone=row[6],
        answer_rate=row[7],
        delay_median_minutes=row[8],
        delay_sigma=row[9],
        followers=row[10],
        bio=row[11],
        windows=parse_opening_hours(row[5]),
    )
    for row in _ACCOUNT_ROWS
)

# Relative chance a human reply is given, by the label of the inbound message.
ANSWER_LABEL_FACTOR: tuple[float, float, float] = (1.0, 0.85, 0.6)
FOLLOW_UP_ANSWER_FACTOR = 0.7
SECOND_REPLY_PROBABILITY = 0.08

# Share of a personalised brand's human replies that carry a signature.
SIGNED_SHARE = 0.9

# Seasonality of mention volume by calendar month (more in January and in summer).
SEASONALITY: tuple[float, ...] = (
    1.30,
    1.05,
    1.0,
    0.95,
    0.95,
    1.05,
    1.20,
    1.20,
    1.0,
    1.0,
    0.95,
    0.9,
)
TREND_PER_MONTH = 0.02  # volume growth per month (twitter adoption)

# Latent net sentiment: brand base + AR(1) monthly deviation.
SENTIMENT_AR = 0.6
SENTIMENT_SHOCK_SD = 0.12

ENGLISH_SHARE = 0.2
PLATFORM_SHARES = {"twitter": 0.74, "facebook": 0.12, "forum": 0.07, "review": 0.07}
NEWS_SHARE_OF_NEUTRAL = 0.12
TWITTER_ADDRESSED = 0.85
FACEBOOK_ADDRESSED = 0.75

FOLLOW_UP_PROBABILITY = 0.25
FOLLOW_UP_LABEL_GIVEN_ORIGINAL = (
    (0.40, 0.35, 0.25),  # after a negative message
    (0.10, 0.70, 0.20),  # after a neutral message
    (0.02, 0.28, 0.70),  # after a positive message
)
RECOVERY_CONTACTED = 0.33
RECOVERY_UNCONTACTED = 0.07
RECOVERY_WINDOW_DAYS = 20.0  # planted recovery posts fall within this many days
DELETION_CONTACTED = 0.20
DELETION_UNCONTACTED = 0.03
ESCALATION_PROBABILITY = 0.15
ESCALATION_MAX_DAYS = 13.5
COMPLAINT_SOCIAL_SHARE = 0.2
COMPLAINT_RESOLVED_SHARE = 0.85

CRISIS_BRAND = "polderfoon"
CRISIS_DAY_WEIGHTS: tuple[float, ...] = (1.0, 0.7, 0.4)

# Planted NPS model: expected monthly NPS = alpha + beta * true net sentiment + N(0, sd).
NPS_ALPHA = 20.0
NPS_BETA = 60.0
NPS_NOISE_SD = 4.0
NPS_COMMENT_SHARE = 0.35

# Planted stock model: monthly log return of the adjusted close =
#   mu + beta * (true net sentiment - the brand's mean over the period) + market + noise.
STOCK_MU = 0.005
STOCK_BETA = 0.25
STOCK_MARKET_SD = 0.04
STOCK_NOISE_SD = 0.03
STOCK_DAILY_SD = 0.012


@dataclass(frozen=True)
class Size:
    """Volumes of one size preset."""

    mentions_target: int  # approximate mention rows over 24 months
    complaints_per_brand_month: float
    nps_min: int
    nps_max: int
    repeat_complainers: float  # mean number of planted repeat complainers per brand-month


SIZES: dict[str, Size] = {
    "small": Size(4_000, 30.0, 40, 80, 0.3),
    "default": Size(50_000, 250.0, 100, 250, 2.0),
    "large": Size(250_000, 400.0, 150, 300, 4.0),
}

# Inbound messages are about this share of all mention rows (the rest are brand replies).
INBOUND_SHARE_OF_MENTIONS = 0.67
