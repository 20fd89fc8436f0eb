"""The foundation every layer stands on: settings, the DuckDB resource, partitions and the
contract of the raw and scores tables. It imports nothing else of ours
(docs/architecture.md; tests/test_layers.py keeps it so)."""
