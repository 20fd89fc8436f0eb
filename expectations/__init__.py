"""Great Expectations suites for the Python boundary of the warehouse, and their runner.

What crosses the boundary (STYLE.md rule 5): what landed in ``raw.*``, what the
sentiment model wrote in ``scores.*``, and what is published from ``marts.*``.
Each boundary table has one suite module in `expectations.suites`; the runner
(`expectations.runner`) validates a pandas frame or Arrow table against a suite
with an ephemeral GX context and turns the outcome into a Dagster asset-check
result. Great Expectations is imported lazily, so importing this package (and
the Dagster definitions that use it) costs nothing.
"""
