"""US CFPB consumer complaints export -> complaints.

Two header variants name the same fields: the original export (``Date
received``, ``Product``, ``Submitted via``, ``Timely response?``, ``Complaint
ID``, ...) and the older Kaggle copy in snake_case (``date_received``, ...,
``consumer_disputed?``). Headers are compared after normalisation, so both
map the same way.

- ``received_at``: ``Date received`` has no time, so it is the start of that
  day in the reporting time zone (it stays on its calendar day and month in
  every reporting zone). Dates are ``YYYY/M/D`` (unpadded), ``M/D/YYYY`` or
  ``YYYY-MM-DD``.
- ``brand``: the company name mapped to a brand key (`cfpb_brand`); the name
  as written stays in ``extra``.
- ``channel`` from ``Submitted via``: Phone -> phone, Email -> email, Postal
  mail -> letter, Web -> webform, Social media -> social, Fax / Referral /
  Web Referral -> other; any other value is refused with its reason.
- ``category`` = ``Product``; ``is_timely_response`` = ``Timely response?``.
- The export carries no customer identity, so customer_id and social_handle are empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from assets.raw.adapters.base import Adapter, Canonical, Parser, assemble, normalise_header
from assets.raw.adapters.known_brands import cfpb_brand
from assets.raw.readers import RawFile
from assets.raw.timestamps import parse_date_as_local_midnight

CHANNELS = {
    "phone": "phone",
    "email": "email",
    "e-mail": "email",
    "postal mail": "letter",
    "web": "webform",
    "social media": "social",
    "fax": "other",
    "referral": "other",
    "web referral": "other",
}
DATE_FORMATS = ("%Y/%m/%d", "%m/%d/%Y", "%Y-%m-%d")
DATE_FORMATS_DESCRIBED = "YYYY/M/D, M/D/YYYY or YYYY-MM-DD"
_MAPPED = {
    "complaint_id": "complaint_id",
    "company": "brand",
    "date_received": "received_at",
    "submitted_via": "channel",
    "product": "category",
    "timely_response": "is_timely_response",
}
# The company name stays in extra (the brand key is a slug of it).
_KEPT_IN_EXTRA = {"company"}


@dataclass(frozen=True)
class CfpbAdapter(Adapter):
    """The CFPB export in either header variant; see the module docstring."""

    def to_canonical(self, raw: RawFile, path: Path) -> Canonical:
        """Map the export onto complaints; unmapped columns go to `extra` under their own names."""
        by_name = {normalise_header(column): column for column in raw.columns}
        company = by_name["company"]
        companies = raw.frame[company].drop_nulls().unique().to_list()
        brands = {name: cfpb_brand(name) for name in companies if name.strip()}
        channel = pl.col(by_name["submitted_via"])
        values = {
            "complaint_id": pl.col(by_name["complaint_id"]),
            "brand": pl.col(company).replace_strict(brands, default=None, return_dtype=pl.String),
            "received_at": pl.col(by_name["date_received"]),
            "channel": channel.str.strip_chars()
            .str.to_lowercase()
            .replace_strict(CHANNELS, default=channel),
            "category": pl.col(by_name["product"]) if "product" in by_name else None,
            "is_timely_response": pl.col(by_name["timely_response"])
            if "timely_response" in by_name
            else None,
        }
        values = {name: expr for name, expr in values.items() if expr is not None}
        mapped = {
            by_name[name] for name in _MAPPED if name in by_name and name not in _KEPT_IN_EXTRA
        }
        extra = [column for column in raw.columns if column not in mapped]
        frame = assemble(raw.frame, self.schema, values, extra)
        labels = {target: by_name.get(name, target) for name, target in _MAPPED.items()}
        return Canonical(frame=frame, labels=labels)

    def parsers(self, source_timezone: str, reporting_timezone: str) -> dict[str, Parser]:
        """Dates without a time, read as the start of the day in the reporting time zone."""

        def received_at(value: pl.Expr, label: str):
            return parse_date_as_local_midnight(
                value, label, DATE_FORMATS, DATE_FORMATS_DESCRIBED, reporting_timezone
            )

        return {"received_at": received_at}


CFPB = CfpbAdapter(
    name="cfpb",
    source="complaints",
    description="US CFPB consumer complaints export (original 'Date received, Product, ...' "
    "header or the Kaggle snake_case variant)",
    signature=frozenset({"date_received", "company", "submitted_via", "complaint_id"}),
)
