-- One row per person x product used (in any window of fct_usage_windows up to the as-of date) or
-- held directly as a named seat or trial on the as-of date: the access held, the use in the
-- analysis window and in the trend period, and that use annualised and priced on Flex.
-- Days used = UTC dates on which a 24-hour window of the product started (charged, covered or of
-- unknown rate; grace rows are not days used): windows of one product start at least 24 hours
-- apart, so these are also the days a Flex user pays for. A person's use is annualised over the
-- days they could use the product inside the analysed history: from the later of the history
-- start, their start date (directory people) and their first access to the product (Flex, the
-- product, or a collection containing it), but never after their first use in the window.
-- Projected Flex cost = days used x 365 / observed days x tokens per day in force x token price.
with settings as (
    select * from {{ ref('int_recommendation_settings') }}
),

windows as (
    select * from {{ ref('fct_usage_windows') }}
),

users as (
    select * from {{ ref('dim_users') }}
),

assignments as (
    select * from {{ ref('int_assignments_resolved') }}
    where reject_reason is null and is_current_record
),

collection_products as (
    select * from {{ ref('int_collection_products_effective') }}
),

economics as (
    select * from {{ ref('int_product_economics') }}
),

dated_windows as (
    select
        windows.user_key,
        windows.product,
        windows.usage_date,
        windows.charge_status,
        windows.tokens_charged,
        windows.tokens_per_day,
        case when windows.usage_date >= settings.window_start_on then 1 else 0 end as is_in_window,
        case when windows.usage_date >= settings.trend_start_on then 1 else 0 end as is_in_trend
    from windows
    cross join settings
    where windows.usage_date <= settings.as_of_date
),

usage_summary as (
    select
        user_key,
        product,
        min(usage_date) as first_used_on,
        max(usage_date) as last_used_on,
        max(case when charge_status = 'charged' then usage_date end) as last_charged_on,
        min(case when is_in_window = 1 then usage_date end) as first_used_in_window_on,
        count(distinct case when is_in_window = 1 and charge_status <> 'grace' then usage_date end) as days_used,
        count(distinct case when is_in_trend = 1 and charge_status <> 'grace' then usage_date end)
            as recent_days_used,
        sum(case when is_in_window = 1 and charge_status = 'charged' then 1 else 0 end) as windows_charged,
        sum(case when is_in_window = 1 and charge_status = 'covered_by_subscription' then 1 else 0 end)
            as windows_covered,
        sum(case when is_in_window = 1 and charge_status = 'rate_unknown' then 1 else 0 end)
            as windows_rate_unknown,
        sum(case when is_in_window = 1 and charge_status = 'grace' then 1 else 0 end) as grace_intervals,
        sum(case when is_in_window = 1 and charge_status = 'charged' then tokens_charged else 0 end) as tokens,
        sum(
            case
                when is_in_window = 1 and charge_status in ('charged', 'covered_by_subscription')
                    then coalesce(tokens_per_day, 0)
                else 0
            end
        ) as tokens_if_flex
    from dated_windows
    group by user_key, product
),

current_assignments as (
    select assignments.*
    from assignments
    cross join settings
    where
        assignments.assigned_on <= settings.as_of_date
        and (assignments.unassigned_on is null or assignments.unassigned_on > settings.as_of_date)
),

-- what covers each product now: a direct named seat, a trial, or a collection containing it
current_cover as (
    select
        user_key,
        product,
        access_option,
        product as subscription_via,
        1 as cover_order
    from current_assignments
    where product_kind = 'product' and access_option in ('named', 'trial')
    union all
    select
        current_assignments.user_key,
        collection_products.product,
        current_assignments.access_option,
        current_assignments.product as subscription_via,
        2 as cover_order
    from current_assignments
    inner join collection_products
        on current_assignments.product = collection_products.collection
    where current_assignments.product_kind = 'collection' and current_assignments.access_option in ('named', 'trial')
),

current_cover_ranked as (
    select
        *,
        row_number() over (
            partition by user_key, product
            order by cover_order, case when access_option = 'named' then 0 else 1 end, subscription_via
        ) as cover_rank
    from current_cover
),

current_flex as (
    select distinct user_key
    from current_assignments
    where product_kind = 'flex_access'
),

held_direct as (
    select distinct
        user_key,
        product
    from current_assignments
    where product_kind = 'product' and access_option in ('named', 'trial')
),

row_keys as (
    select
        user_key,
        product
    from usage_summary
    union
    select
        user_key,
        product
    from held_direct
),

-- the first day each person could use each product: any assignment of the product, of a
-- collection containing it, or of Flex (past or current)
access_starts as (
    select
        user_key,
        product,
        assigned_on
    from assignments
    where product_kind = 'product'
    union all
    select
        assignments.user_key,
        collection_products.product,
        assignments.assigned_on
    from assignments
    inner join collection_products
        on assignments.product = collection_products.collection
    where assignments.product_kind = 'collection'
    union all
    select
        row_keys.user_key,
        row_keys.product,
        assignments.assigned_on
    from row_keys
    inner join assignments
        on row_keys.user_key = assignments.user_key
    where assignments.product_kind = 'flex_access'
),

first_access as (
    select
        user_key,
        product,
        min(assigned_on) as first_access_on
    from access_starts
    group by user_key, product
),

joined as (
    select
        row_keys.user_key,
        row_keys.product,
        users.status,
        users.is_identity_resolved,
        case when users.is_in_directory then users.started_on end as started_on,
        current_cover_ranked.subscription_via,
        current_cover_ranked.access_option as subscription_option,
        current_cover_ranked.user_key is not null as has_subscription,
        current_flex.user_key is not null as has_flex_access,
        first_access.first_access_on,
        usage_summary.first_used_on,
        usage_summary.last_used_on,
        usage_summary.last_charged_on,
        usage_summary.first_used_in_window_on,
        coalesce(usage_summary.days_used, 0) as days_used,
        coalesce(usage_summary.recent_days_used, 0) as recent_days_used,
        coalesce(usage_summary.windows_charged, 0) as windows_charged,
        coalesce(usage_summary.windows_covered, 0) as windows_covered,
        coalesce(usage_summary.windows_rate_unknown, 0) as windows_rate_unknown,
        coalesce(usage_summary.grace_intervals, 0) as grace_intervals,
        coalesce(usage_summary.tokens, 0) as tokens,
        coalesce(usage_summary.tokens_if_flex, 0) as tokens_if_flex,
        economics.tokens_per_day,
        economics.annual_price,
        economics.break_even_days,
        settings.token_price,
        settings.as_of_date,
        settings.history_start_on,
        settings.trend_start_on
    from row_keys
    cross join settings
    left join users
        on row_keys.user_key = users.user_key
    left join usage_summary
        on
            row_keys.user_key = usage_summary.user_key
            and row_keys.product = usage_summary.product
    left join current_cover_ranked
        on
            row_keys.user_key = current_cover_ranked.user_key
            and row_keys.product = current_cover_ranked.product
            and current_cover_ranked.cover_rank = 1
    left join current_flex
        on row_keys.user_key = current_flex.user_key
    left join first_access
        on
            row_keys.user_key = first_access.user_key
            and row_keys.product = first_access.product
    left join economics
        on row_keys.product = economics.product
),

exposure_bounds as (
    select
        *,
        greatest(
            history_start_on,
            coalesce(started_on, history_start_on),
            coalesce(first_access_on, history_start_on)
        ) as exposure_start_candidate
    from joined
),

exposure as (
    select
        *,
        case
            when first_used_in_window_on is not null and first_used_in_window_on < exposure_start_candidate
                then first_used_in_window_on
            when exposure_start_candidate > as_of_date then as_of_date
            else exposure_start_candidate
        end as exposure_start_on
    from exposure_bounds
),

observed as (
    select
        *,
        {{ rec_days_between('exposure_start_on', 'as_of_date') }} + 1 as observed_days,
        {{ rec_days_between('greatest(trend_start_on, exposure_start_on)', 'as_of_date') }} + 1
            as recent_observed_days
    from exposure
),

final as (
    select
        user_key,
        product,
        status,
        is_identity_resolved,
        case
            when has_subscription and has_flex_access then 'both'
            when has_subscription then 'subscription'
            when has_flex_access then 'flex'
            else 'none'
        end as access,
        has_subscription,
        subscription_via,
        subscription_option,
        has_flex_access,
        started_on,
        first_access_on,
        exposure_start_on,
        cast(observed_days as integer) as observed_days,
        cast(days_used as integer) as days_used,
        cast(windows_charged as integer) as windows_charged,
        cast(windows_covered as integer) as windows_covered,
        cast(windows_rate_unknown as integer) as windows_rate_unknown,
        cast(grace_intervals as integer) as grace_intervals,
        cast(tokens as {{ dbt.type_bigint() }}) as tokens,
        cast(tokens_if_flex as {{ dbt.type_bigint() }}) as tokens_if_flex,
        cast(tokens * token_price as decimal(18, 2)) as flex_cost,
        cast(
            cast(days_used * 365 as {{ type_double() }}) / observed_days as decimal(18, 2)
        ) as annualised_days,
        tokens_per_day,
        annual_price,
        break_even_days,
        cast(
            cast(days_used as {{ type_double() }}) * 365 * tokens_per_day * cast(token_price as {{ type_double() }})
            / observed_days
            as {{ dbt.type_numeric() }}
        ) as projected_annual_flex_cost,
        cast(recent_observed_days as integer) as recent_observed_days,
        cast(recent_days_used as integer) as recent_days_used,
        cast(
            cast(recent_days_used * 365 as {{ type_double() }}) / recent_observed_days as decimal(18, 2)
        ) as recent_annualised_days,
        cast(
            cast(recent_days_used as {{ type_double() }}) * 365 * tokens_per_day
            * cast(token_price as {{ type_double() }}) / recent_observed_days
            as {{ dbt.type_numeric() }}
        ) as recent_projected_annual_flex_cost,
        first_used_on,
        last_used_on,
        last_charged_on
    from observed
)

select * from final
