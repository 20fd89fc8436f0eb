"""Deterministic demo data with planted truths (``webcare demo-data``).

`generate` writes landing files for every source of DATA_CONTRACTS.md for a fictional
Dutch market (three banks, three telecoms, three insurers) and ``truth.json``, the
planted parameters and the true values that later tests compare the pipeline with.
The same arguments always give byte-identical files (seeded numpy / random streams,
no wall clock); a file whose bytes did not change is not rewritten.

Landing layout (``<landing>`` = the settings' landing folder)::

    brands/demo/brands.csv
    webcare_accounts/demo/webcare_accounts.yaml
    <source>/demo/<YYYY-MM>/<source>[-part1|-part2].<csv|csv.gz|jsonl|parquet>

for sources mentions, complaints, nps_responses and stock_prices. A row lies in the
file of the calendar month (reporting time zone) of its timestamp. Timestamps mix
``...+02:00``, ``...Z`` and local time without offset (in `reporting_timezone`, which
the generator also uses as the source time zone); a local time in the repeated
October hour is always written with its offset.

truth.json keys (brand = brand key, month = ``YYYY-MM``, account = handle):

- ``seed``, ``size``, ``months`` (list), ``reporting_timezone``, ``source_timezone``,
  ``truth_version``, ``landing_layout``, ``sectors`` (sector -> [brand]),
  ``sarcastic_share`` (share of ordinary complaints written as sarcasm, default 0;
  their labels, and so every planted share, are those of the plain demo).
- ``brands[brand]``: display_name, sector, ticker, shares_outstanding, currency,
  listed, keywords, personalised_replies, signature_style, accounts, planted.
- ``accounts[handle]``: brand, platform, is_bot, promised_response_minutes,
  opening_hours, timezone, has_expectations_management, delay (planted reply-delay
  distribution: lognormal median_minutes and sigma on the account's clock, answer
  probability by label), sla_promise_minutes (promise or the default 120), sla_clock,
  realised and realised_by_month[month] (inbound_messages addressed to the account,
  answered, answered_within_72h, within_promise, response_rate, sla_attainment,
  median_first_response_minutes (calendar), median_first_response_business_minutes,
  share_answered_within_1h / _24h). Bots: realised replies and median_reply_seconds.
  First responses exclude bot replies; rows are grouped by the inbound message's month.
- ``sentiment[brand][month]``: mentions (inbound messages), negative, neutral, positive,
  share_*, net_sentiment (polar), net_sentiment_all, share_of_voice (within sector),
  negative_share_of_voice, english, latent_net_sentiment (the planted driver).
- ``webcare[brand][month]``: inbound_messages, addressed_inbound, answered_inbound,
  brand_replies (human), bot_replies, signed_replies, follow_ups,
  recovery_posts_planted, deleted_inbound.
- ``roi[brand][month]``: negative_posters, contacted, recovered_contacted,
  recovered_uncontacted, contacted_rate, recovery_rate_contacted,
  recovery_rate_uncontacted, contacted_negative_posts, deleted_contacted_posts
  (definition in `truth.roi_truth`); ``roi_model``: the planted probabilities.
- ``repeat_complainers[brand][month]``: repeat_complainers (authors with >= 3
  negatives), their_negatives, negatives, share_of_negative.
- ``crisis``: brand, month, days, planted_negatives_by_day, spike_rule and
  spike_alerts (every brand-day where mean + 3 sd of the 28 preceding days, with at
  least 10 negatives, fires on the true labels; flags for sample / population sd).
- ``complaints[brand][month]``: total, channels {phone, email, letter, webform, store,
  other}, with_social_handle, social_customers, escalated_customers (negative mention
  within 14 days after the complaint), escalations_planted, resolved,
  median_resolution_hours; ``complaints_model``.
- ``nps[brand][month]``: responses, promoters, passives, detractors, nps, comments
  {negative, neutral, positive}, planted_expected_nps; ``nps_model``: alpha, beta,
  noise_sd of expected NPS = alpha + beta * net_sentiment + noise.
- ``stock[brand]``: ticker, currency, months[month] {trading_days, month_end_date,
  month_end_adj_close, month_end_close, monthly_return, market_cap (month-end adjusted
  close x shares outstanding, as KPI_DEFINITIONS.md defines the month-end close),
  planted_log_return}; ``stock_model``: mu, beta, market and noise sd.
- ``correlations``: sentiment_nps and sentiment_return, each lag0 / lag1 with
  excluding_low_volume and all_brand_months {n_brand_months, pearson_r} (true values).
- ``mentions_model``, ``authors`` (distinct customer authors, those in >= 2 months),
  ``dst_rows`` (mention_id, created_at as written, utc).
- ``expected_counts[source][month]``: files, formats, rows_in_files, loaded, rejected,
  rejected_by_reason {unparsable_timestamp, missing_required, duplicate_id,
  score_out_of_range, non_positive_close}, identical_duplicates, extra_columns.
  ``reference_counts[brands|webcare_accounts]``: file, rows_in_files, loaded, rejected.
- ``bad_rows``: every planted bad row {source, month, file, line, column, reason, id};
  ``identical_duplicates``: {source, month, file, line, duplicate_of_line}. Lines
  follow docs/warehouse-tables.md (CSV header = line 1; JSONL and Parquet from 1).
"""

from __future__ import annotations


def __getattr__(name: str) -> object:
    # `generate` is imported on first use, so importing the package (the CLI's argument
    # parsing, the catalogue) does not load numpy and polars.
    if name == "generate":
        from demo.generator import generate

        return generate
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["generate"]
