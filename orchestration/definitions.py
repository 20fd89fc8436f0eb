"""The single Dagster `Definitions` of webcare-warehouse.

This module only assembles: each domain folder builds its own assets, and
`build_definitions` merges them with the resources, jobs, schedule and sensors
(the landing sensor, and the alert sensors of orchestration/alerts.py).
Dagster loads `defs` lazily (`@dg.definitions`), so importing this module reads
no environment, parses no dbt project and loads no model.
"""

from __future__ import annotations

import warnings

import dagster as dg

from assets.checks import build_asset_checks
from assets.dbt import (
    build_dbt_assets,
    dbt_project,
    dbt_resource,
    mart_primary_keys,
    pseudonymised_mart_columns,
)
from assets.raw import build_raw_assets
from assets.sentiment import build_calibration_asset, build_sentiment_assets
from assets.serving import build_serving_assets
from orchestration.alerts import build_alert_sensors
from orchestration.console import console_logger
from orchestration.jobs import build_jobs
from orchestration.schedules import build_landing_sensor, build_monthly_schedule
from warehouse.partitions import monthly_partitions
from warehouse.resource import WarehouseResource
from warehouse.settings import Settings


def build_definitions(settings: Settings) -> dg.Definitions:
    """Every asset, check, job, schedule and sensor for one warehouse home."""
    partitions = monthly_partitions(settings)
    project = dbt_project(settings)
    grains = mart_primary_keys(project)
    marts = [dg.AssetKey(["marts", mart]) for mart in grains]
    with warnings.catch_warnings():
        # The single-run backfill policy (one run loads, scores or reports a range
        # of months) is what the monthly assets rely on; Dagster labels it beta.
        # Only that warning: any other beta API would show.
        warnings.filterwarnings(
            "ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning
        )
        assets = [
            *build_raw_assets(partitions),
            *build_sentiment_assets(partitions),
            build_calibration_asset(),
            build_dbt_assets(project),
            *build_serving_assets(partitions, marts, pseudonymised_mart_columns(project)),
        ]
    jobs = build_jobs()
    return dg.Definitions(
        assets=assets,
        asset_checks=build_asset_checks(partitions, grains),
        jobs=list(jobs.values()),
        schedules=[build_monthly_schedule(jobs["monthly_research"], settings)],
        sensors=[
            build_landing_sensor(jobs["monthly_research"], jobs["load_reference"]),
            *build_alert_sensors(),
        ],
        loggers={"console": console_logger},
        resources={
            "settings": settings,
            "warehouse": WarehouseResource(database=settings.duckdb_path),
            "dbt": dbt_resource(project),
        },
    )


@dg.definitions
def defs() -> dg.Definitions:
    """Definitions for the home named by the environment (`WEBCARE_HOME`, default ./data)."""
    return build_definitions(Settings.from_env())
