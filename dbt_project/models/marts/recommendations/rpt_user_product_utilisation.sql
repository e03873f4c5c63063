-- One row per person x product used in the analysis window (the `analysis_window_days` days
-- ending on the as-of date) or held directly as a named seat or trial on the as-of date: the
-- access held on the as-of date, the use in the window, what it cost on Flex, and that use
-- annualised against the product's break-even (E1). A history shorter than the window is
-- annualised over the days observed (`observed_days`, `is_annualised`).
with usage as (
    select * from {{ ref('int_user_product_usage') }}
),

settings as (
    select * from {{ ref('int_recommendation_settings') }}
),

final as (
    select
        usage.user_key,
        usage.product,
        usage.access,
        usage.subscription_via,
        usage.subscription_option,
        usage.days_used,
        usage.windows_charged,
        usage.windows_covered,
        usage.windows_rate_unknown,
        usage.grace_intervals,
        usage.tokens,
        usage.flex_cost,
        usage.tokens_if_flex,
        usage.observed_days,
        usage.observed_days <> 365 as is_annualised,
        usage.annualised_days,
        usage.tokens_per_day,
        usage.annual_price,
        usage.break_even_days,
        cast(round(usage.projected_annual_flex_cost, 2) as decimal(18, 2)) as projected_annual_flex_cost,
        usage.recent_days_used,
        usage.recent_annualised_days,
        usage.first_used_on,
        usage.last_used_on,
        usage.exposure_start_on,
        usage.status,
        settings.currency,
        settings.window_start_on,
        settings.as_of_date
    from usage
    cross join settings
    where
        usage.days_used > 0
        or usage.grace_intervals > 0
        or (usage.has_subscription and usage.subscription_via = usage.product)
)

select * from final
