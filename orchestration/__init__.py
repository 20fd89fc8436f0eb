"""Orchestration: the single Dagster `Definitions`, settings, resources, jobs, schedules,
sensors and the `webcare` CLI."""
