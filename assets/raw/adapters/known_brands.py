"""Brands behind the support accounts of the Customer Support on Twitter corpus.

The mapping covers the sixteen handles named in ``../shared/data/README.md``
(listed companies whose daily prices are in the shared data): sector, ticker
and a display name. Every other twcs handle becomes a brand of sector
``unknown``. The brand key of a twcs brand is its support handle in lower case
(``ask_wellsfargo``); CFPB companies that are one of these brands are mapped
onto the same key, so complaints and mentions of a bank meet in the marts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class KnownBrand:
    """A brand with a twcs support handle and a listed share."""

    handle: str
    display_name: str
    sector: str
    ticker: str
    # Upper-case fragments of CFPB company names that mean this brand.
    cfpb_companies: tuple[str, ...] = ()

    @property
    def brand(self) -> str:
        """The brand key: the support handle in lower case."""
        return self.handle.lower()


KNOWN_BRANDS: tuple[KnownBrand, ...] = (
    KnownBrand("AmericanAir", "American Airlines", "airline", "AAL"),
    KnownBrand("Delta", "Delta Air Lines", "airline", "DAL"),
    KnownBrand("SouthwestAir", "Southwest Airlines", "airline", "LUV"),
    KnownBrand("united", "United Airlines", "airline", "UAL"),
    KnownBrand("AlaskaAir", "Alaska Airlines", "airline", "ALK"),
    KnownBrand("comcastcares", "Comcast", "telecom", "CMCSA"),
    KnownBrand("VerizonSupport", "Verizon", "telecom", "VZ"),
    KnownBrand("ATT", "AT&T", "telecom", "T"),
    KnownBrand("Ask_Spectrum", "Spectrum (Charter)", "telecom", "CHTR"),
    KnownBrand("AppleSupport", "Apple", "tech", "AAPL"),
    KnownBrand("AmazonHelp", "Amazon", "tech", "AMZN"),
    KnownBrand("BofA_Help", "Bank of America", "bank", "BAC", ("BANK OF AMERICA",)),
    KnownBrand("ChaseSupport", "JPMorgan Chase", "bank", "JPM", ("JPMORGAN CHASE",)),
    KnownBrand("Ask_WellsFargo", "Wells Fargo", "bank", "WFC", ("WELLS FARGO",)),
    KnownBrand("AskCiti", "Citi", "bank", "C", ("CITIBANK", "CITIGROUP")),
    KnownBrand("AskAmex", "American Express", "bank", "AXP", ("AMERICAN EXPRESS",)),
)

KNOWN_BY_BRAND: dict[str, KnownBrand] = {known.brand: known for known in KNOWN_BRANDS}

UNKNOWN_SECTOR = "unknown"
CFPB_SECTOR = "financial_services"

_LEGAL_FORMS = {
    "inc",
    "incorporated",
    "llc",
    "corp",
    "corporation",
    "co",
    "company",
    "na",
    "n",
    "a",
    "national",
    "association",
    "holdings",
    "holding",
    "group",
    "plc",
    "ltd",
    "lp",
    "the",
}


def cfpb_brand(company: str) -> str:
    """Brand key of a CFPB company name: a known twcs brand, else a slug of the name.

    The slug is the name in lower case, ``&`` read as ``and``, punctuation
    dropped, words joined by ``_`` and trailing legal forms (Inc., N.A.,
    Holdings, ...) removed: ``TRANSUNION INTERMEDIATE HOLDINGS, INC.`` ->
    ``transunion_intermediate``.
    """
    upper = company.upper()
    for known in KNOWN_BRANDS:
        if any(fragment in upper for fragment in known.cfpb_companies):
            return known.brand
    words = re.findall(r"[a-z0-9]+", company.lower().replace("&", " and "))
    while len(words) > 1 and words[-1] in _LEGAL_FORMS:
        words.pop()
    return "_".join(words) or "unknown"
