{#
    The monthly mart has exactly one row for every brand-month of the spine
    (int_brand_months): no brand-month missing, none extra.
#}
{% test covers_brand_month_spine(model) %}
with spine as (
    select
        brand,
        reporting_month
    from {{ ref('int_brand_months') }}
),

mart as (
    select
        brand,
        reporting_month
    from {{ model }}
),

missing as (
    select
        spine.brand,
        spine.reporting_month,
        'missing from the mart' as problem
    from spine
    left join mart
        on spine.brand = mart.brand and spine.reporting_month = mart.reporting_month
    where mart.brand is null
),

extra as (
    select
        mart.brand,
        mart.reporting_month,
        'not in the spine' as problem
    from mart
    left join spine
        on mart.brand = spine.brand and mart.reporting_month = spine.reporting_month
    where spine.brand is null
)

select * from missing
union all
select * from extra
{% endtest %}
