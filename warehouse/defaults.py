"""Defaults of settings that the libraries beside the warehouse share, as plain constants.

`warehouse.settings` uses them as the defaults of its fields; `models/` and
`expectations/` import them from here, without Dagster or the settings object, so
each default is written once and the libraries stay free of the orchestrator.
"""

# The default sentiment model: built offline from PyPI packages (models/sentiment).
DEFAULT_MODEL_NAME = "webcare-e5-small-sentiment"
# Texts per inference batch. On 2 CPU cores 32 was a few per cent faster than 64 and
# clearly faster than 128 or more (whose activations no longer fit in cache); see
# models/sentiment/MODEL_CARD.md, "Speed".
DEFAULT_BATCH_SIZE = 32
# How far ahead of now a row's own timestamp may lie before it is refused (the
# row rules in expectations/rules.py): clocks of source systems drift and an
# export may be written just after midnight; a year like 2099 is a typo.
DEFAULT_MAX_FUTURE_DAYS = 1.0
