"""The single Dagster `Definitions` of webcare-warehouse (assembled by the lead; see build_definitions)."""
