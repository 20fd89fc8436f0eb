"""What a failed `webcare ingest` puts back: landed copies, sidecars, derived reference files."""

from __future__ import annotations

from pathlib import Path

from assets.raw.adapters import derive_reference_files, derived_reference_paths
from orchestration.commands import LandingUndo, land_files, landing_targets
from warehouse.settings import Settings

TWCS = (
    "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
    "1,115712,True,Tue Oct 31 22:10:47 +0000 2017,@AskCiti my card is blocked,2,\n"
    "2,AskCiti,False,Tue Oct 31 22:14:00 +0000 2017,@115712 Sorry! DM us,,1\n"
)


def test_derived_reference_paths_are_the_files_derive_writes(tmp_path: Path) -> None:
    export = tmp_path / "exports" / "twcs.csv"
    export.parent.mkdir()
    export.write_text(TWCS)
    landing = tmp_path / "landing"
    expected = derived_reference_paths("mentions", "twcs", [export], landing)
    assert expected == [
        landing / "webcare_accounts" / "imports" / "twcs-accounts.csv",
        landing / "brands" / "imports" / "twcs-brands.csv",
    ]
    assert derive_reference_files("mentions", "twcs", [export], landing) == expected
    assert derived_reference_paths("complaints", "cfpb", [export], landing) == [
        landing / "brands" / "imports" / "twcs-brands.csv"
    ]
    assert derived_reference_paths("nps_responses", "canonical", [export], landing) == []


def test_undo_puts_back_an_earlier_version_and_removes_new_files(tmp_path: Path) -> None:
    settings = Settings.from_env(home=tmp_path / "home")
    export = tmp_path / "twcs.csv"
    export.write_text(TWCS)
    land_files(settings, "mentions", "twcs", [export])
    earlier = settings.landing_path / "mentions" / "imports" / "twcs.csv"
    sidecar = earlier.with_name("twcs.csv.webcare.json")
    assert sidecar.read_text() == '{"format": "twcs"}\n'

    export.write_text(TWCS.replace("blocked", "stolen"))
    targets = landing_targets(settings, "mentions", [export])
    assert targets == [earlier, sidecar]
    derived = derived_reference_paths("mentions", "twcs", [export], settings.landing_path)
    undo = LandingUndo([*targets, *derived])
    land_files(settings, "mentions", "twcs", [export])
    derive_reference_files("mentions", "twcs", [earlier], settings.landing_path)
    assert "stolen" in earlier.read_text()
    assert all(path.exists() for path in derived)

    assert undo.restore() == (derived, targets)
    assert earlier.read_text() == TWCS
    assert sidecar.read_text() == '{"format": "twcs"}\n'
    assert not any(path.exists() for path in derived)
    # No backup or temporary file is left in landing.
    assert sorted(p.name for p in settings.landing_path.rglob("*") if p.is_file()) == [
        "twcs.csv",
        "twcs.csv.webcare.json",
    ]


def test_commit_keeps_what_was_written_and_drops_the_backups(tmp_path: Path) -> None:
    settings = Settings.from_env(home=tmp_path / "home")
    export = tmp_path / "twcs.csv"
    export.write_text(TWCS)
    land_files(settings, "mentions", "twcs", [export])
    export.write_text(TWCS.replace("blocked", "stolen"))
    undo = LandingUndo(landing_targets(settings, "mentions", [export]))
    land_files(settings, "mentions", "twcs", [export])
    undo.commit()
    assert "stolen" in (settings.landing_path / "mentions" / "imports" / "twcs.csv").read_text()
    assert sorted(p.name for p in settings.landing_path.rglob("*") if p.is_file()) == [
        "twcs.csv",
        "twcs.csv.webcare.json",
    ]
