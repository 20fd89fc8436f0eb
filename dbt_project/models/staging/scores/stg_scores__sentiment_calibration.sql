with source as (
    select * from {{ source('scores', 'sentiment_calibration') }}
),

final as (
    select
        calibration_id,
        model_version,
        lower(language) as language_code,
        lower(true_label) as true_label,
        lower(predicted_label) as predicted_label,
        labelled_count,
        cast(confusion_rate as {{ type_double() }}) as confusion_rate,
        cast(inverse_coefficient as {{ type_double() }}) as inverse_coefficient
    from source
)

select * from final
