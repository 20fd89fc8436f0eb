"""The eval-sentiment and build-model entry points."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestration import cli


def eval_main(argv: list[str]) -> int:
    return cli.main(["eval-sentiment", *argv])


def build_main(argv: list[str]) -> int:
    return cli.main(["build-model", *argv])


@pytest.mark.slow
def test_eval_json_per_language(
    tmp_path: Path, built_model_dir: Path, model_cache_dir: Path, capsys
):
    labelled = tmp_path / "labelled.csv"
    labelled.write_text(
        "text,label,language\n"
        '"Thank you so much for the quick help, great service!",positive,en\n'
        '"Worst customer service ever, still no refund.",negative,en\n'
        '"Super blij met de snelle hulp, bedankt!",positive,nl\n'
        '"Wat een waardeloze service, nog steeds geen reactie.",negative,nl\n',
        encoding="utf-8",
    )
    code = eval_main([str(labelled), "--json", "--cache-dir", str(model_cache_dir)])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert sorted(report) == ["all", "en", "nl"]
    for values in report.values():
        assert sorted(values) == sorted(
            ["n", "accuracy", "macro_f1", "macro_recall", "predicted_shares", "true_shares"]
        )
    assert report["all"]["n"] == 4 and report["en"]["n"] == 2
    assert report["all"]["accuracy"] == 1.0
    assert report["nl"]["true_shares"] == {"negative": 0.5, "neutral": 0.0, "positive": 0.5}


def test_eval_bad_label_is_reported_with_line(tmp_path: Path, capsys):
    labelled = tmp_path / "labelled.csv"
    labelled.write_text("text,label\nok,positive\nhmm,sarcastic\n", encoding="utf-8")
    assert eval_main([str(labelled), "--cache-dir", str(tmp_path)]) == 2
    assert "labelled.csv, line 3, column 2 (label)" in capsys.readouterr().err


@pytest.mark.slow
def test_build_model_is_idempotent(built_model_dir: Path, model_cache_dir: Path, capsys):
    marker = (built_model_dir / "webcare-build.json").stat().st_mtime_ns
    assert build_main(["--cache-dir", str(model_cache_dir)]) == 0
    assert "webcare-e5-small-sentiment@" in capsys.readouterr().out
    assert (built_model_dir / "webcare-build.json").stat().st_mtime_ns == marker


def test_build_model_without_weights_explains(tmp_path: Path, capsys):
    code = build_main(["--cache-dir", str(tmp_path), "--weights", str(tmp_path / "none.bin")])
    assert code == 2
    assert "webcare train-sentiment" in capsys.readouterr().err


def test_a_left_out_source_is_in_neither_training_nor_heldout(tmp_path: Path):
    from models.sentiment.commands import training_sets
    from models.sentiment.data import LabelledDataError

    rows = ["text,label,language,source"]
    for i in range(60):
        rows.append(f"tweet {i},{('negative', 'neutral', 'positive')[i % 3]},en,airline")
        rows.append(f"tweet nl {i},{('negative', 'neutral', 'positive')[i % 3]},nl,dutch")
    (tmp_path / "a.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    train_all, heldout_all = training_sets([tmp_path])
    assert len(train_all) + len(heldout_all) == 120
    train, heldout = training_sets([tmp_path], ["dutch"])
    assert set(train.sources) | set(heldout.sources) == {"airline"}
    assert len(train) + len(heldout) == 60
    with pytest.raises(LabelledDataError, match="no rows of source semeval"):
        training_sets([tmp_path], ["semeval"])


def test_labelled_folders_are_read_in_order_and_an_empty_one_is_named(tmp_path: Path):
    from models.sentiment.data import LabelledDataError, read_labelled_dirs

    first, second, empty = tmp_path / "first", tmp_path / "second", tmp_path / "empty"
    for folder in (first, second, empty):
        folder.mkdir()
    (first / "b.csv").write_text("text,label\nb one,negative\n", encoding="utf-8")
    (first / "a.csv").write_text("text,label\na one,positive\n", encoding="utf-8")
    (second / "c.csv").write_text("text,label,source\nc one,neutral,extra\n", encoding="utf-8")
    data = read_labelled_dirs([first, second])
    assert data.texts == ["a one", "b one", "c one"]
    assert data.sources == ["a", "b", "extra"]
    with pytest.raises(LabelledDataError, match="empty: no labelled"):
        read_labelled_dirs([first, empty])
