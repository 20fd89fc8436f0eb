"""`webcare run` and `webcare ingest` argument handling: clear errors, no stack traces."""

import pytest

from orchestration import cli
from orchestration.commands import CommandError, select_months
from warehouse.settings import Settings


@pytest.fixture
def settings(tmp_path):
    return Settings.from_env(tmp_path, first_month="2010-01")


def test_select_months_limits_to_a_range(settings):
    landed = ["2010-01", "2010-02", "2010-03", "2011-01"]
    assert select_months(landed, None, settings) == landed
    assert select_months(landed, "2010-02:2010-12", settings) == ["2010-02", "2010-03"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("2010-02", "must look like"),
        ("2012-01:2012-12", "no landed month in 2012-01:2012-12"),
        # compared as text, 2010-1:2010-2 chose 2010-10..2010-12 without a word
        ("2010-1:2010-2", "must look like 2011-01:2011-12, got '2010-1:2010-2'"),
        ("2010-01:2010-13", "must look like"),
        ("2010-02:2010-01", "2010-02 comes after 2010-01"),
    ],
)
def test_select_months_rejects_bad_ranges(settings, spec, message):
    with pytest.raises(CommandError, match=message):
        select_months(["2010-01", "2010-02"], spec, settings)


def test_months_before_the_first_partition_are_skipped_with_a_hint(settings, capsys):
    assert select_months(["2009-11", "2009-12", "2010-01"], None, settings) == ["2010-01"]
    assert "2009-11..2009-12" in capsys.readouterr().err
    with pytest.raises(CommandError, match="before 2010-01"):
        select_months(["2009-12"], None, settings)


def test_run_without_landing_data_says_what_to_do(tmp_path, capsys):
    assert cli.main(["run", "--home", str(tmp_path)]) == 2
    assert "run `webcare demo-data` or `webcare ingest` first" in capsys.readouterr().err


def test_ingest_refuses_an_unknown_format_and_a_missing_file(tmp_path, capsys):
    assert cli.main(["ingest", "--source", "complaints", "--format", "twcs", "x.csv",
                     "--home", str(tmp_path)]) == 2  # fmt: skip
    assert "complaints cannot be read as 'twcs'; choose canonical, cfpb" in capsys.readouterr().err
    missing = tmp_path / "missing.csv"
    assert cli.main(["ingest", "--source", "mentions", "--format", "twcs", str(missing),
                     "--home", str(tmp_path)]) == 2  # fmt: skip
    assert f"no such file: {missing}" in capsys.readouterr().err


def test_dagster_home_is_created_with_the_single_writer_pool(tmp_path, capsys):
    assert cli.main(["dagster-home", "--home", str(tmp_path)]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed == str(tmp_path / "state" / "dagster")
    assert "default_limit: 1" in (tmp_path / "state" / "dagster" / "dagster.yaml").read_text()


def test_a_home_that_cannot_be_used_is_one_line_naming_the_path(tmp_path, capsys, monkeypatch):
    """A home that is a file (or a folder the user may not create) crashed with
    NotADirectoryError's traceback; an OS error without a path still raises."""
    home = tmp_path / "home"
    home.write_text("not a folder")
    assert cli.main(["run", "--home", str(home)]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"webcare run: cannot use {home}/")
    assert error.endswith(": Not a directory\n")
    assert cli.main(["demo-data", "--home", str(home)]) == 2
    assert f"webcare demo-data: cannot use {home}/" in capsys.readouterr().err

    from orchestration import commands

    def broken(**kwargs: object) -> int:
        raise OSError("no path in this one")

    monkeypatch.setattr(commands, "run", broken)
    with pytest.raises(OSError, match="no path in this one"):
        cli.main(["run", "--home", str(tmp_path / "other")])
