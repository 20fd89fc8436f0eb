"""Same arguments, same bytes; another seed, other data; re-runs rewrite nothing and clean up."""

from __future__ import annotations

import json
from pathlib import Path

from demo import generate


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_byte_identical_files_and_truth(small_demo, tmp_path):
    truth = generate(tmp_path / "landing", tmp_path / "truth.json", seed=42, size="small")
    assert _files(tmp_path / "landing") == _files(small_demo.landing)
    assert (tmp_path / "truth.json").read_bytes() == small_demo.truth_path.read_bytes()
    assert json.loads(json.dumps(truth)) == small_demo.truth


def test_another_seed_gives_other_data(tmp_path):
    first = generate(
        tmp_path / "a" / "landing", tmp_path / "a" / "truth.json", seed=1, size="small", months=2
    )
    second = generate(
        tmp_path / "b" / "landing", tmp_path / "b" / "truth.json", seed=2, size="small", months=2
    )
    files_a, files_b = _files(tmp_path / "a" / "landing"), _files(tmp_path / "b" / "landing")
    assert set(files_a) == set(files_b)
    changed = [p for p in files_a if files_a[p] != files_b[p]]
    # Reference files are fixed by design; every monthly file differs.
    assert sorted(set(files_a) - set(changed)) == [
        "brands/demo/brands.csv",
        "webcare_accounts/demo/webcare_accounts.yaml",
    ]
    assert first["sentiment"] != second["sentiment"]
    assert first["nps"] != second["nps"]


def test_rerun_rewrites_nothing_and_removes_stale_demo_files(tmp_path):
    landing = tmp_path / "landing"
    generate(landing, tmp_path / "truth.json", seed=5, size="small", months=2)
    stamps = {p: p.stat().st_mtime_ns for p in landing.rglob("*") if p.is_file()}
    stale = landing / "mentions" / "demo" / "1999-01" / "mentions.csv"
    stale.parent.mkdir(parents=True)
    stale.write_text("mention_id\n1\n")
    foreign = landing / "mentions" / "export" / "2010-01" / "mine.csv"
    foreign.parent.mkdir(parents=True)
    foreign.write_text("mention_id\n1\n")

    generate(landing, tmp_path / "truth.json", seed=5, size="small", months=2)
    assert not stale.exists() and not stale.parent.exists()
    assert foreign.exists(), "files outside the demo folders are not the generator's to remove"
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps

    truth = generate(landing, tmp_path / "truth.json", seed=5, size="small", months=1)
    assert truth["months"] == ["2010-01"]
    assert not (landing / "complaints" / "demo" / "2010-02").exists()
    assert (landing / "complaints" / "demo" / "2010-01").is_dir()
