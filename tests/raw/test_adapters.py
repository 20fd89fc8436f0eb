"""Third-party formats on small hand-written files: detection, mapping, derived reference."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from assets.raw import derive_reference_files
from assets.raw.adapters import IS_BRAND_ACCOUNT, resolve_adapter
from assets.raw.adapters.daily_prices import ticker_from_file_name
from assets.raw.adapters.known_brands import cfpb_brand
from assets.raw.errors import LandingFileError
from assets.raw.parsing import parse_landed_file
from assets.raw.readers import LINE
from assets.raw.validation import REASON
from warehouse.settings import Settings

TWCS = (
    "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
    "1,115712,True,Tue Oct 31 22:10:47 +0000 2017,@AskCiti my card is blocked,2,\n"
    "2,AskCiti,False,Tue Oct 31 22:14:00 +0000 2017,@115712 Sorry! DM us ^AB,3,1.0\n"
    "3,115712,True,Tue Oct 31 22:20:00 +0000 2017,thanks,,2.0\n"
    "4,998877,True,Tue Oct 31 23:59:59 +0000 2017,anyone else offline?,5,\n"
    '5,comcastcares,False,Wed Nov 01 00:05:00 +0000 2017,"@998877 Hi there,\rwe can help",,4.0\n'
    "6,123,maybe,Tue Oct 31 22:10:47 +0000 2017,hm,,\n"
    "7,124,True,31-10-2017,hm,,\n"
)
CFPB_ORIGINAL = (
    "Date received,Product,Sub-product,Issue,Sub-issue,Consumer complaint narrative,"
    "Company public response,Company,State,ZIP code,Tags,Consumer consent provided?,"
    "Submitted via,Date sent to company,Company response to consumer,Timely response?,"
    "Consumer disputed?,Complaint ID\n"
    '2020/3/18,Mortgage,,Trouble,,,,"WELLS FARGO & COMPANY",CA,90001,,,Phone,2020/3/18,'
    "Closed,Yes,N/A,101\n"
    '2019/12/1,Debt collection,,Debt,,"line one\nline two",,"ACME COLLECTIONS, INC.",NY,'
    "10001,,,Postal mail,2019/12/2,Closed,No,N/A,102\n"
    '2019/12/2,Debt collection,,Debt,,,,"ACME COLLECTIONS, INC.",NY,10001,,,Carrier pigeon,'
    "2019/12/2,Closed,No,N/A,103\n"
)
CFPB_KAGGLE = (
    "date_received,product,sub_product,issue,sub_issue,consumer_complaint_narrative,"
    "company_public_response,company,state,zipcode,tags,consumer_consent_provided,submitted_via,"
    "date_sent_to_company,company_response_to_consumer,timely_response,consumer_disputed?,"
    "complaint_id\n"
    '08/30/2013,Mortgage,Other mortgage,Loan servicing,,,,"Citibank",NY,10001,,N/A,Referral,'
    "09/03/2013,Closed with explanation,Yes,Yes,511074\n"
    '8/5/2013,Credit card,,Billing,,,,"Bank of America",CA,95691,,N/A,Web,8/6/2013,'
    "Closed,Yes,No,511080\n"
)


def _parse(settings: Settings, source: str, relative: str):
    return parse_landed_file(settings.landing_path / relative, relative, source, settings)


def test_twcs_maps_tweets_and_derives_brands_within_the_file(
    settings: Settings, land: Callable[..., Path]
) -> None:
    land("mentions/imports/twcs.csv", TWCS)
    parsed = _parse(settings, "mentions", "mentions/imports/twcs.csv")
    assert parsed.format == "twcs"
    rows = parsed.rows.select(
        "mention_id",
        "platform",
        "created_at",
        "author_id",
        "brand",
        "in_reply_to_id",
        IS_BRAND_ACCOUNT,
    ).rows()
    assert rows == [
        ("1", "twitter", datetime(2017, 10, 31, 22, 10, 47), "115712", "askciti", None, False),
        ("2", "twitter", datetime(2017, 10, 31, 22, 14), "AskCiti", "askciti", "1", True),
        ("3", "twitter", datetime(2017, 10, 31, 22, 20), "115712", "askciti", "2", False),
        ("4", "twitter", datetime(2017, 10, 31, 23, 59, 59), "998877", "comcastcares", None, False),
        ("5", "twitter", datetime(2017, 11, 1, 0, 5), "comcastcares", "comcastcares", "4", True),
    ]
    assert (
        parsed.rows.filter(pl.col("mention_id") == "5")["text"].item()
        == "@998877 Hi there,\rwe can help"
    )
    assert json.loads(parsed.rows["__extra"][0]) == {"response_tweet_id": "2"}
    assert parsed.rejected.select(LINE, REASON).rows() == [
        (7, "inbound: 'maybe' is not a boolean (true/false, yes/no, 1/0)"),
        (
            8,
            "created_at: cannot parse '31-10-2017' as a timestamp like "
            "'Tue Oct 31 22:10:47 +0000 2017'",
        ),
    ]


@pytest.mark.parametrize(
    ("name", "content"), [("cfpb.csv", CFPB_ORIGINAL), ("old.csv.gz", CFPB_KAGGLE)]
)
def test_cfpb_both_header_variants(
    settings: Settings, land: Callable[..., Path], name: str, content: str
) -> None:
    land(f"complaints/imports/{name}", content)
    parsed = _parse(settings, "complaints", f"complaints/imports/{name}")
    assert parsed.format == "cfpb"
    rows = parsed.rows.select(
        "complaint_id", "brand", "received_at", "channel", "category", "is_timely_response"
    ).rows()
    if name == "cfpb.csv":
        assert rows == [
            ("101", "ask_wellsfargo", datetime(2020, 3, 17, 23), "phone", "Mortgage", True),
            (
                "102",
                "acme_collections",
                datetime(2019, 11, 30, 23),
                "letter",
                "Debt collection",
                False,
            ),
        ]
        extra = json.loads(parsed.rows["__extra"][1])
        assert extra["Company"] == "ACME COLLECTIONS, INC."
        assert extra["Consumer complaint narrative"] == "line one\nline two"
        assert parsed.rejected.select(LINE, REASON).rows() == [
            (
                5,
                "Submitted via: 'Carrier pigeon' is not one of phone, email, letter, webform, "
                "store, social, other",
            ),
        ]
    else:
        assert rows == [
            ("511074", "askciti", datetime(2013, 8, 29, 22), "other", "Mortgage", True),
            ("511080", "bofa_help", datetime(2013, 8, 4, 22), "webform", "Credit card", True),
        ]
        assert parsed.rejected.height == 0


def test_company_names_map_to_brand_keys() -> None:
    assert cfpb_brand("JPMORGAN CHASE & CO.") == "chasesupport"
    assert cfpb_brand("TRANSUNION INTERMEDIATE HOLDINGS, INC.") == "transunion_intermediate"
    assert cfpb_brand("Ocwen Financial Corporation") == "ocwen_financial"
    assert cfpb_brand("U.S. BANCORP") == "u_s_bancorp"


def test_daily_prices_both_layouts(settings: Settings, land: Callable[..., Path]) -> None:
    land(
        "stock_prices/imports/BNKX.csv",
        "Date,Open,High,Low,Close,Adj Close,Volume\n"
        "2010-03-01,10,11,9,10.5,10.4,1000\n2010-03-02,null,null,null,null,null,null\n",
    )
    land(
        "stock_prices/imports/all_stocks.csv",
        "date,open,high,low,close,volume,Name\n2010-03-01,1,2,0.5,1.5,10,aal\n",
    )
    wide = _parse(settings, "stock_prices", "stock_prices/imports/BNKX.csv")
    assert wide.format == "daily_prices"
    assert wide.rows.select("ticker", "date", "open", "close", "adj_close", "volume").rows() == [
        ("BNKX", date(2010, 3, 1), 10.0, 10.5, 10.4, 1000)
    ]
    assert wide.rejected.select(LINE, REASON).rows() == [(3, "Close: required value is missing")]
    long = _parse(settings, "stock_prices", "stock_prices/imports/all_stocks.csv")
    assert long.rows.select("ticker", "close", "volume").rows() == [("AAL", 1.5, 10)]
    assert ticker_from_file_name(Path("AAPL_data.csv")) == "AAPL"
    assert ticker_from_file_name(Path("brk-b.csv.gz")) == "BRK-B"


def test_format_detection_sidecar_and_settings(
    settings: Settings, land: Callable[..., Path]
) -> None:
    header = ["tweet_id", "author_id", "inbound", "created_at", "text"]
    assert resolve_adapter("mentions", header, None, "f.csv").name == "twcs"
    canonical = ["mention_id", "platform", "created_at", "author_id", "text"]
    assert resolve_adapter("mentions", canonical, None, "f.csv").name == "canonical"
    with pytest.raises(LandingFileError, match=r"f\.csv: the header fits several mentions formats"):
        resolve_adapter("mentions", header + canonical, None, "f.csv")
    with pytest.raises(
        LandingFileError, match=r"is not in format 'twcs': missing column\(s\) inbound"
    ):
        resolve_adapter(
            "mentions", ["tweet_id", "author_id", "created_at", "text"], "twcs", "f.csv"
        )
    with pytest.raises(LandingFileError, match="format 'csv' is not a format of mentions"):
        resolve_adapter("mentions", header, "csv", "f.csv")

    land("mentions/imports/both.csv", ",".join(header + canonical[:2]) + "\n")
    (settings.landing_path / "mentions/imports/both.csv.webcare.json").write_text(
        '{"format": "twcs"}'
    )
    assert _parse(settings, "mentions", "mentions/imports/both.csv").format == "twcs"
    forced = Settings.from_env(home=settings.home, source_formats={"complaints": "cfpb"})
    land(
        "complaints/imports/c.csv", "complaint_id,brand,received_at,channel\n1,b,2010-03-01,phone\n"
    )
    with pytest.raises(LandingFileError, match=r"c\.csv: is not in format 'cfpb'"):
        parse_landed_file(
            forced.landing_path / "complaints/imports/c.csv",
            "complaints/imports/c.csv",
            "complaints",
            forced,
        )


def test_derived_reference_files(settings: Settings, tmp_path: Path) -> None:
    export = tmp_path / "twcs.csv"
    export.write_text(TWCS)
    cfpb = tmp_path / "complaints.csv"
    cfpb.write_text(CFPB_ORIGINAL)
    written = derive_reference_files("mentions", "twcs", [export], settings.landing_path)
    written += derive_reference_files("complaints", "cfpb", [cfpb], settings.landing_path)
    relative = [path.relative_to(settings.landing_path).as_posix() for path in written]
    assert relative == [
        "webcare_accounts/imports/twcs-accounts.csv",
        "brands/imports/twcs-brands.csv",
        "brands/imports/complaints-brands.csv",
    ]
    accounts = pl.read_csv(written[0], infer_schema=False)
    assert accounts.select("brand", "handle", "platform", "is_bot").rows() == [
        ("askciti", "AskCiti", "twitter", "false"),
        ("comcastcares", "comcastcares", "twitter", "false"),
    ]
    brands = pl.read_csv(written[1], infer_schema=False)
    assert brands.select("brand", "display_name", "sector", "ticker").rows() == [
        ("askciti", "Citi", "bank", "C"),
        ("comcastcares", "Comcast", "telecom", "CMCSA"),
    ]
    companies = pl.read_csv(written[2], infer_schema=False)
    assert companies.select("brand", "display_name", "sector", "ticker", "currency").rows() == [
        ("acme_collections", "ACME COLLECTIONS, INC.", "financial_services", None, "USD"),
        ("ask_wellsfargo", "Wells Fargo", "bank", "WFC", "USD"),
    ]
    assert (
        derive_reference_files("stock_prices", "daily_prices", [export], settings.landing_path)
        == []
    )
