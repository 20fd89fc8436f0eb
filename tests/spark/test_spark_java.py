"""Without a Java 17+ runtime the Spark engine stops at once and says what to install."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from assets.dbt.spark import SparkUnavailable, prepare_spark_build, spark_session
from warehouse.settings import Settings


def _nowhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("JAVA_HOME", raising=False)


def test_no_java_on_path_says_what_to_install(monkeypatch, tmp_path) -> None:
    _nowhere(monkeypatch, tmp_path)
    settings = Settings.from_env(tmp_path / "home", engine="spark")
    with pytest.raises(SparkUnavailable) as raised:
        spark_session(settings)
    message = str(raised.value)
    assert "no `java` on PATH" in message
    assert "Java 17+" in message
    assert "apt-get install default-jre-headless" in message
    assert "WEBCARE_ENGINE=duckdb" in message


def test_no_java_stops_before_the_parquet_export(monkeypatch, tmp_path) -> None:
    _nowhere(monkeypatch, tmp_path)
    settings = Settings.from_env(tmp_path / "home", engine="spark")
    with pytest.raises(SparkUnavailable, match="default-jre-headless"):
        prepare_spark_build(settings, tmp_path / "no-manifest.json")
    assert not Path(settings.spark_dir).exists()


def test_java_home_without_java_says_what_to_install(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-jdk"))
    settings = Settings.from_env(tmp_path / "home", engine="spark")
    with pytest.raises(SparkUnavailable, match=r"JAVA_HOME is .*no-jdk, which has no bin/java"):
        spark_session(settings)


def test_java_older_than_17_is_refused(monkeypatch, tmp_path) -> None:
    # A fake `java` (Java 11 is not installed here): only its version line matters.
    jdk = tmp_path / "jdk-11"
    (jdk / "bin").mkdir(parents=True)
    fake_java = jdk / "bin" / "java"
    fake_java.write_text("#!/bin/sh\necho 'openjdk version \"11.0.22\" 2024-01-16' >&2\n")
    fake_java.chmod(fake_java.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("JAVA_HOME", str(jdk))
    settings = Settings.from_env(tmp_path / "home", engine="spark")
    with pytest.raises(SparkUnavailable, match=r"needs Java 17 or later; .* is Java 11"):
        spark_session(settings)
