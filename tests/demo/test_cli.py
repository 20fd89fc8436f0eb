"""``webcare demo-data`` writes into a data home and refuses bad arguments clearly."""

from __future__ import annotations

import json

from orchestration import cli


def main(argv: list[str]) -> int:
    return cli.main(["demo-data", *argv])


def test_cli_writes_landing_and_truth_into_home(tmp_path, capsys):
    code = main(
        [
            "--home",
            str(tmp_path),
            "--size",
            "small",
            "--seed",
            "3",
            "--start",
            "2011-11",
            "--months",
            "2",
        ]
    )
    assert code == 0
    truth = json.loads((tmp_path / "truth.json").read_text(encoding="utf-8"))
    assert (
        truth["months"] == ["2011-11", "2011-12"]
        and truth["seed"] == 3
        and truth["size"] == "small"
    )
    assert (tmp_path / "landing" / "brands" / "demo" / "brands.csv").is_file()
    assert (tmp_path / "landing" / "webcare_accounts" / "demo" / "webcare_accounts.yaml").is_file()
    for source in ("mentions", "complaints", "nps_responses", "stock_prices"):
        assert sorted(p.name for p in (tmp_path / "landing" / source / "demo").iterdir()) == [
            "2011-11",
            "2011-12",
        ]
    out = capsys.readouterr().out
    rows = sum(m["rows_in_files"] for m in truth["expected_counts"]["mentions"].values())
    assert f"{rows:,} rows" in out and str(tmp_path / "truth.json") in out


def test_cli_rejects_a_bad_month_with_a_message(tmp_path, capsys):
    assert main(["--home", str(tmp_path), "--size", "small", "--start", "2010-13"]) == 2
    assert "start must look like YYYY-MM" in capsys.readouterr().err
    assert not (tmp_path / "truth.json").exists()
