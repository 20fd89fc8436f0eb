"""The sentiment calibration asset: the confusion rates the marts correct class shares with."""

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

from warehouse import contract
from warehouse.resource import WAREHOUSE_POOL, WarehouseResource
from warehouse.settings import Settings

if TYPE_CHECKING:
    from models.sentiment.calibration import Calibration

SENTIMENT_CALIBRATION_KEY = dg.AssetKey(["scores", "sentiment_calibration"])
_TABLE = contract.SCORE_TABLES["sentiment_calibration"]


def calibrations_in_use(settings: Settings) -> list["Calibration"]:
    """The calibrations to write: the home's own (`webcare calibrate-sentiment`), then the
    default model's shipped one unless the home's was measured for that same model."""
    from models.sentiment.build import CALIBRATION_FILE
    from models.sentiment.calibration import Calibration

    found: dict[str, Calibration] = {}
    for path in (Path(settings.sentiment_calibration_file), CALIBRATION_FILE):
        if path.is_file():
            calibration = Calibration.from_json(path.read_text(encoding="utf-8"), str(path))
            found.setdefault(calibration.model_version, calibration)
    return list(found.values())


def build_calibration_asset() -> dg.AssetsDefinition:
    """``scores/sentiment_calibration``, rewritten whole on every run (a few dozen rows)."""

    @dg.asset(
        key=SENTIMENT_CALIBRATION_KEY,
        group_name="scores",
        pool=WAREHOUSE_POOL,
        kinds={"duckdb"},
    )
    def sentiment_calibration(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, settings: Settings
    ) -> dg.MaterializeResult:
        """Confusion rates of the sentiment models: ``scores.sentiment_calibration``.

        Per model version, language and pooled ('*'): how often each true class is
        predicted as each class, and the inverse the marts use to estimate the true
        shares of negative, neutral and positive messages behind the classifier's
        counts (``share_*_adjusted`` in ``fct_sentiment_monthly``). The home's own
        calibration (`webcare calibrate-sentiment FILE`, measured on a labelled sample
        of its domain) wins over the default model's shipped one, measured on the
        model card's held-out split. Scores of a model with no calibration get no
        adjusted shares (null), with a warning here.
        """
        calibrations = calibrations_in_use(settings)
        loaded_at = datetime.now(UTC).replace(tzinfo=None)
        rows = [
            {**row, "loaded_at": loaded_at}
            for calibration in calibrations
            for row in calibration.rows()
        ]
        columns = [column.name for column in _TABLE.columns]
        with warehouse.connect() as conn:
            contract.ensure_tables(conn, [_TABLE])
            conn.execute("begin transaction")
            try:
                conn.execute(f"delete from {_TABLE.qualified}")
                if rows:
                    conn.executemany(
                        f"insert into {_TABLE.qualified} ({', '.join(columns)}) "
                        f"values ({', '.join('?' * len(columns))})",
                        [[row[name] for name in columns] for row in rows],
                    )
                conn.execute("commit")
            except Exception:
                conn.execute("rollback")
                raise
        for calibration in calibrations:
            context.log.info(
                f"sentiment calibration {calibration.calibration_id}: languages "
                f"{', '.join(calibration.languages())}"
            )
        if not calibrations:
            context.log.warning(
                "no sentiment calibration: the marts' adjusted shares stay null. Measure one "
                "on a labelled sample with `webcare calibrate-sentiment FILE`."
            )
        return dg.MaterializeResult(
            metadata={
                "rows": len(rows),
                "calibrations": ", ".join(c.calibration_id for c in calibrations) or "none",
            }
        )

    return sentiment_calibration
