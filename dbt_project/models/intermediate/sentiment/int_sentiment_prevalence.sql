{#
    Adjusted classify-and-count (dbt_project/README.md, "Adjusted sentiment shares";
    models/sentiment/calibration.py does the same in numpy): per brand-month, the
    estimated true shares of negative, neutral and positive inbound messages behind
    the model's labels, with 95% intervals.

    Per language with rates of its own (else the pooled '*' rates of the model's
    calibration) and n scored messages with predicted shares q:
        p_i   = sum_j a_ij q_j               (a = inverse of the transposed confusion rates)
        var_i = (sum_j a_ij^2 q_j - p_i^2) / n                      (the messages)
              + sum_t p_t^2 (sum_j a_ij^2 c_tj - [i = t]) / m_t     (the calibration sample:
                c_tj its confusion rates, m_t its labelled examples of true class t)
    Languages are weighted by their messages (p = sum n_l p_l / N, var = sum n_l^2
    var_l / N^2); the point estimate is clipped to [0, 1] and divided by its sum;
    the interval is it +- 1.96 standard errors, clipped to [0, 1]. Messages scored by
    a model without a calibration are left out; a brand-month with none has no row.
#}
{{ config(
    materialized='incremental',
    incremental_strategy=month_strategy(),
    month_column='reporting_month',
    partition_by=['reporting_month'],
) }}

with inbound as (
    select
        brand,
        reporting_month,
        sentiment_label,
        sentiment_model_version,
        {{ dbt.split_part('lower(language_code)', "'-'", 1) }} as language_code
    from {{ ref('int_inbound_mentions') }}
    where sentiment_label is not null
),

calibration as (
    select * from {{ ref('stg_scores__sentiment_calibration') }}
),

calibrated_languages as (
    select distinct
        model_version,
        language_code,
        calibration_id
    from calibration
),

-- Each message with the rates it is corrected with: its language's, else the pooled.
routed as (
    select
        inbound.brand,
        inbound.reporting_month,
        inbound.sentiment_label,
        inbound.sentiment_model_version as model_version,
        coalesce(own.language_code, pooled.language_code) as calibration_language,
        pooled.calibration_id
    from inbound
    inner join calibrated_languages as pooled
        on inbound.sentiment_model_version = pooled.model_version and pooled.language_code = '*'
    left join calibrated_languages as own
        on
            inbound.sentiment_model_version = own.model_version
            and inbound.language_code = own.language_code
            and own.language_code <> '*'
),

language_counts as (
    select
        brand,
        reporting_month,
        model_version,
        calibration_language,
        min(calibration_id) as calibration_id,
        count(*) as scored,
        {{ safe_divide(count_if("sentiment_label = 'negative'"), 'count(*)') }} as q_negative,
        {{ safe_divide(count_if("sentiment_label = 'neutral'"), 'count(*)') }} as q_neutral,
        {{ safe_divide(count_if("sentiment_label = 'positive'"), 'count(*)') }} as q_positive
    from routed
    group by
        brand,
        reporting_month,
        model_version,
        calibration_language
),

inverse as (
    select
        model_version,
        language_code,
        true_label,
        sum(case when predicted_label = 'negative' then inverse_coefficient end) as a_negative,
        sum(case when predicted_label = 'neutral' then inverse_coefficient end) as a_neutral,
        sum(case when predicted_label = 'positive' then inverse_coefficient end) as a_positive
    from calibration
    group by
        model_version,
        language_code,
        true_label
),

-- Per language and true class i: the weights of p_t^2 in the variance the calibration
-- sample adds to the estimate of i, (sum_j a_ij^2 c_tj - [i = t]) / m_t.
labelled_examples as (
    select
        model_version,
        language_code,
        true_label,
        sum(labelled_count) as examples
    from calibration
    group by
        model_version,
        language_code,
        true_label
),

calibration_terms as (
    select
        estimated.model_version,
        estimated.language_code,
        estimated.true_label,
        measured.true_label as weighted_label,
        (
            sum(estimated.inverse_coefficient * estimated.inverse_coefficient * measured.confusion_rate)
            - case when estimated.true_label = measured.true_label then 1.0 else 0.0 end
        ) / labelled_examples.examples as weight
    from calibration as estimated
    inner join calibration as measured
        on
            estimated.model_version = measured.model_version
            and estimated.language_code = measured.language_code
            and estimated.predicted_label = measured.predicted_label
    inner join labelled_examples
        on
            measured.model_version = labelled_examples.model_version
            and measured.language_code = labelled_examples.language_code
            and measured.true_label = labelled_examples.true_label
    group by
        estimated.model_version,
        estimated.language_code,
        estimated.true_label,
        measured.true_label,
        labelled_examples.examples
),

calibration_weights as (
    select
        model_version,
        language_code,
        true_label,
        sum(case when weighted_label = 'negative' then weight end) as w_negative,
        sum(case when weighted_label = 'neutral' then weight end) as w_neutral,
        sum(case when weighted_label = 'positive' then weight end) as w_positive
    from calibration_terms
    group by
        model_version,
        language_code,
        true_label
),

-- Per language group and true class: the estimate and the second moment of its
-- sampling over messages.
class_estimates as (
    select
        language_counts.brand,
        language_counts.reporting_month,
        language_counts.model_version,
        language_counts.calibration_language,
        language_counts.calibration_id,
        language_counts.scored,
        inverse.true_label,
        inverse.a_negative * language_counts.q_negative
        + inverse.a_neutral * language_counts.q_neutral
        + inverse.a_positive * language_counts.q_positive as class_share,
        inverse.a_negative * inverse.a_negative * language_counts.q_negative
        + inverse.a_neutral * inverse.a_neutral * language_counts.q_neutral
        + inverse.a_positive * inverse.a_positive * language_counts.q_positive as second_moment
    from language_counts
    inner join inverse
        on
            language_counts.model_version = inverse.model_version
            and language_counts.calibration_language = inverse.language_code
),

group_shares as (
    select
        brand,
        reporting_month,
        model_version,
        calibration_language,
        sum(case when true_label = 'negative' then class_share end) as p_negative,
        sum(case when true_label = 'neutral' then class_share end) as p_neutral,
        sum(case when true_label = 'positive' then class_share end) as p_positive
    from class_estimates
    group by
        brand,
        reporting_month,
        model_version,
        calibration_language
),

-- The variance of each group's estimate: its messages' and its calibration's.
class_variances as (
    select
        class_estimates.brand,
        class_estimates.reporting_month,
        class_estimates.calibration_id,
        class_estimates.scored,
        class_estimates.true_label,
        class_estimates.class_share,
        (class_estimates.second_moment - class_estimates.class_share * class_estimates.class_share)
        / class_estimates.scored
        + calibration_weights.w_negative * group_shares.p_negative * group_shares.p_negative
        + calibration_weights.w_neutral * group_shares.p_neutral * group_shares.p_neutral
        + calibration_weights.w_positive * group_shares.p_positive * group_shares.p_positive as class_variance
    from class_estimates
    inner join group_shares
        on
            class_estimates.brand = group_shares.brand
            and class_estimates.reporting_month = group_shares.reporting_month
            and class_estimates.model_version = group_shares.model_version
            and class_estimates.calibration_language = group_shares.calibration_language
    inner join calibration_weights
        on
            class_estimates.model_version = calibration_weights.model_version
            and class_estimates.calibration_language = calibration_weights.language_code
            and class_estimates.true_label = calibration_weights.true_label
),

weighted as (
    select
        brand,
        reporting_month,
        min(calibration_id) as calibration_id,
        true_label,
        sum(scored) as total_scored,
        sum(scored * class_share) / sum(scored) as weighted_share,
        -- sum n_l^2 var_l / N^2
        sum(scored * scored * class_variance) / (sum(scored) * sum(scored)) as weighted_variance
    from class_variances
    group by
        brand,
        reporting_month,
        true_label
),

pivoted as (
    select
        brand,
        reporting_month,
        min(calibration_id) as calibration_id,
        max(total_scored) as calibrated_messages,
        sum(case when true_label = 'negative' then greatest(0.0, least(1.0, weighted_share)) end) as negative,
        sum(case when true_label = 'neutral' then greatest(0.0, least(1.0, weighted_share)) end) as neutral,
        sum(case when true_label = 'positive' then greatest(0.0, least(1.0, weighted_share)) end) as positive,
        sum(case when true_label = 'negative' then weighted_variance end) as negative_variance,
        sum(case when true_label = 'neutral' then weighted_variance end) as neutral_variance,
        sum(case when true_label = 'positive' then weighted_variance end) as positive_variance
    from weighted
    group by
        brand,
        reporting_month
),

normalised as (
    select
        brand,
        reporting_month,
        calibration_id,
        calibrated_messages,
        {{ safe_divide('negative', 'negative + neutral + positive') }} as share_negative_adjusted,
        {{ safe_divide('neutral', 'negative + neutral + positive') }} as share_neutral_adjusted,
        {{ safe_divide('positive', 'negative + neutral + positive') }} as share_positive_adjusted,
        1.96 * sqrt(greatest(negative_variance, 0.0)) as negative_margin,
        1.96 * sqrt(greatest(neutral_variance, 0.0)) as neutral_margin,
        1.96 * sqrt(greatest(positive_variance, 0.0)) as positive_margin
    from pivoted
),

final as (
    select
        brand,
        reporting_month,
        calibration_id,
        calibrated_messages,
        share_negative_adjusted,
        share_neutral_adjusted,
        share_positive_adjusted,
        greatest(0.0, share_negative_adjusted - negative_margin) as share_negative_adjusted_lower_95,
        least(1.0, share_negative_adjusted + negative_margin) as share_negative_adjusted_upper_95,
        greatest(0.0, share_neutral_adjusted - neutral_margin) as share_neutral_adjusted_lower_95,
        least(1.0, share_neutral_adjusted + neutral_margin) as share_neutral_adjusted_upper_95,
        greatest(0.0, share_positive_adjusted - positive_margin) as share_positive_adjusted_lower_95,
        least(1.0, share_positive_adjusted + positive_margin) as share_positive_adjusted_upper_95
    from normalised
)

select * from final
where {{ incremental_months('reporting_month') }}
