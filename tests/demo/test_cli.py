"""``webcare demo-data`` writes into a data home and refuses bad arguments clearly."""

from __future__ import annotations

import gzip
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


def test_cli_rejects_a_sarcastic_share_outside_zero_one(tmp_path, capsys):
    assert main(["--home", str(tmp_path), "--size", "small", "--sarcastic-share", "1.5"]) == 2
    assert "sarcastic_share must lie in [0, 1], got 1.5" in capsys.readouterr().err
    assert not (tmp_path / "truth.json").exists()


def test_sarcasm_rewrites_only_ordinary_complaints(tmp_path):
    """The same seed with sarcasm: some negative messages now read as praise; the
    planted labels, and so the planted shares, are those of the plain demo."""
    plain, sarcastic = tmp_path / "plain", tmp_path / "sarcastic"
    assert main(["--home", str(plain), "--size", "small", "--months", "2"]) == 0
    assert main(
        ["--home", str(sarcastic), "--size", "small", "--months", "2", "--sarcastic-share", "0.5"]
    ) == 0  # fmt: skip
    truths = [json.loads((home / "truth.json").read_text()) for home in (plain, sarcastic)]
    assert truths[1]["sarcastic_share"] == 0.5 and truths[0]["sarcastic_share"] == 0.0
    assert truths[0]["sentiment"] == truths[1]["sentiment"]

    # 🙃 closes 5 of the 12 sarcastic templates and no other text
    assert _mention_texts(plain).count("🙃") == 0
    assert _mention_texts(sarcastic).count("🙃") >= 5


def _mention_texts(home):
    """Every mention file of the demo home, decompressed, as one text (some files are
    planted in other encodings: a few characters may not decode)."""
    texts = []
    for path in sorted((home / "landing" / "mentions" / "demo").rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            data = gzip.decompress(data) if path.suffix == ".gz" else data
            texts.append(data.decode("utf-8", errors="replace"))
    return "\n".join(texts)
