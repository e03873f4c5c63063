-- One row per person x product-or-collection needing action: the single recommendation that
-- applies first in the order reclaim_leaver, remove_duplicate, remove_unused, move_to_flex,
-- move_to_named, move_to_collection, watch_trend (int_licence_recommendation_candidates holds
-- every one that applies), with its annual saving and a reason a licence manager can act on.
{%- set money = "' ' || currency" %}
with candidates as (
    select * from {{ ref('int_licence_recommendation_candidates') }}
),

seats as (
    select * from {{ ref('int_seats_judged') }}
),

usage as (
    select * from {{ ref('int_user_product_usage') }}
),

users as (
    select * from {{ ref('dim_users') }}
),

settings as (
    select * from {{ ref('int_recommendation_settings') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by user_key, product order by priority asc, annual_saving desc
        ) as rank_in_key
    from candidates
),

others as (
    select
        user_key,
        product,
        {{ dbt.listagg('recommendation', "', '", 'order by priority') }} as other_recommendations
    from ranked
    where rank_in_key > 1
    group by user_key, product
),

chosen as (
    select
        ranked.*,
        others.other_recommendations,
        users.display_name,
        users.department,
        users.left_on,
        users.left_reason,
        seats.assigned_on,
        seats.last_used_on,
        seats.idle_days,
        seats.unused_basis,
        seats.products_used_list,
        seats.projected_annual_flex_cost as seat_flex_cost,
        usage.days_used,
        usage.observed_days,
        usage.annualised_days,
        usage.break_even_days,
        usage.projected_annual_flex_cost as product_flex_cost,
        usage.recent_annualised_days,
        settings.currency,
        settings.inactivity_days,
        settings.new_starter_grace_days,
        settings.break_even_margin,
        settings.trend_window_days,
        settings.data_start_on,
        case when ranked.product_kind = 'product' then ranked.product || ' seat' else ranked.product end
            as seat_words
    from ranked
    left join others
        on
            ranked.user_key = others.user_key
            and ranked.product = others.product
    left join users
        on ranked.user_key = users.user_key
    left join seats
        on
            ranked.user_key = seats.user_key
            and ranked.product = seats.product
    left join usage
        on
            ranked.user_key = usage.user_key
            and ranked.product = usage.product
    cross join settings
    where ranked.rank_in_key = 1
),

-- "on 40 of the last 184 days (79 days a year annualised; break-even 104 days a year)"
described as (
    select
        *,
        'on ' || {{ rec_int_text('days_used') }} || ' of the last ' || {{ rec_int_text('observed_days') }}
        || ' days ('
        || case
            when observed_days <> 365 then {{ rec_int_text('annualised_days') }} || ' days a year annualised; '
            else ''
        end
        || 'break-even ' || coalesce({{ rec_int_text('break_even_days') }}, 'unknown') || ' days a year)'
            as use_words,
        {{ rec_int_text('break_even_margin * 100') }} || '%' as margin_words
    from chosen
),

reasons as (
    select
        *,
        case
            when recommendation = 'reclaim_leaver' and product_kind = 'flex_access'
                then
                    'Left on ' || coalesce({{ rec_date_text('left_on') }}, 'an unknown date')
                    || ' (' || coalesce(left_reason, 'left') || '); Flex access assigned since '
                    || {{ rec_date_text('assigned_on') }}
                    || case
                        when last_used_on is null then ''
                        when last_used_on >= left_on
                            then ', last used ' || {{ rec_date_text('last_used_on') }} || ' (after leaving)'
                        else ', last used ' || {{ rec_date_text('last_used_on') }}
                    end
                    || ': remove it so nobody spends tokens under this ID'
                    || ' (no saving: Flex access costs nothing until it is used).'
            when recommendation = 'reclaim_leaver'
                then
                    'Left on ' || coalesce({{ rec_date_text('left_on') }}, 'an unknown date')
                    || ' (' || coalesce(left_reason, 'left') || '); ' || seat_words || ' assigned since '
                    || {{ rec_date_text('assigned_on') }} || ': reclaim it, saving '
                    || {{ rec_amount_text('annual_saving') }} || {{ money }} || ' a year.'
            when recommendation = 'remove_duplicate' and related = 'Flex'
                then
                    'Holds Flex access and the ' || seat_words || ' (assigned since '
                    || {{ rec_date_text('assigned_on') }} || '); '
                    || case
                        when product_kind = 'product' then product || ' was used ' || use_words
                        else 'of its products ' || coalesce(products_used_list, 'none') || ' were used'
                    end
                    || ': on Flex that costs ' || {{ rec_amount_text('annual_cost_after') }} || {{ money }}
                    || ' a year against ' || {{ rec_amount_text('seat_price') }} || {{ money }}
                    || ' for the ' || case when product_kind = 'product' then 'seat' else 'collection' end
                    || ' (more than ' || margin_words || ' less): drop the '
                    || case when product_kind = 'product' then 'seat' else 'collection' end
                    || ' and keep Flex, saving ' || {{ rec_amount_text('annual_saving') }} || {{ money }} || ' a year.'
            when recommendation = 'remove_duplicate' and product_kind = 'product'
                then
                    seat_words || ' assigned since ' || {{ rec_date_text('assigned_on') }} || ' duplicates the '
                    || related || ', which includes ' || product || ': drop the seat, saving '
                    || {{ rec_amount_text('annual_saving') }} || {{ money }} || ' a year (dropping the '
                    || related || ' instead would save '
                    || {{ rec_amount_text('case when alternative_saving > 0 then alternative_saving else 0 end') }}
                    || {{ money }} || ').'
            when recommendation = 'remove_duplicate'
                then
                    product || ' assigned since ' || {{ rec_date_text('assigned_on') }} || ' duplicates the '
                    || related || ' seat(s) the person also holds; its other products used would cost '
                    || {{ rec_amount_text('seat_price - annual_saving') }} || {{ money }}
                    || ' a year on their own: drop the collection and keep the seat(s), saving '
                    || {{ rec_amount_text('annual_saving') }}
                    || {{ money }}
                    || ' a year (dropping the seat(s) instead would save '
                    || {{ rec_amount_text('alternative_saving') }} || {{ money }} || ').'
            when recommendation = 'remove_unused' and unused_basis = 'never_used'
                then
                    seat_words || ' assigned on ' || {{ rec_date_text('assigned_on') }} || ' and never used since ('
                    || {{ rec_int_text('idle_days') }} || ' days; new-starter grace '
                    || {{ rec_int_text('new_starter_grace_days') }} || ' days): remove it, saving '
                    || {{ rec_amount_text('annual_saving') }} || {{ money }} || ' a year.'
            when recommendation = 'remove_unused' and unused_basis = 'no_use_in_data'
                then
                    seat_words || ' assigned since ' || {{ rec_date_text('assigned_on') }}
                    || ', no use seen since the data starts on ' || {{ rec_date_text('data_start_on') }} || ' ('
                    || {{ rec_int_text('idle_days') }} || ' days; threshold ' || {{ rec_int_text('inactivity_days') }}
                    || ' days): remove it, saving '
                    || {{ rec_amount_text('annual_saving') }}
                    || {{ money }}
                    || ' a year.'
            when recommendation = 'remove_unused'
                then
                    seat_words || ' assigned since ' || {{ rec_date_text('assigned_on') }} || ', last used '
                    || {{ rec_date_text('last_used_on') }} || ' (' || {{ rec_int_text('idle_days') }}
                    || ' days ago; threshold ' || {{ rec_int_text('inactivity_days') }}
                    || ' days): remove it, saving '
                    || {{ rec_amount_text('annual_saving') }}
                    || {{ money }}
                    || ' a year.'
            when recommendation = 'move_to_flex' and product_kind = 'product'
                then
                    seat_words || ' used ' || use_words || ': on Flex that would cost '
                    || {{ rec_amount_text('annual_cost_after') }} || {{ money }} || ' a year against '
                    || {{ rec_amount_text('seat_price') }} || {{ money }} || ' for the seat (more than '
                    || margin_words || ' less): assign Flex access and drop the seat, saving '
                    || {{ rec_amount_text('annual_saving') }} || {{ money }} || ' a year.'
            when recommendation = 'move_to_flex'
                then
                    product || ' (its products used: ' || coalesce(products_used_list, 'none')
                    || '): on Flex that use would cost ' || {{ rec_amount_text('annual_cost_after') }} || {{ money }}
                    || ' a year against ' || {{ rec_amount_text('seat_price') }} || {{ money }}
                    || ' for the collection (more than ' || margin_words
                    || ' less): assign Flex access and drop the collection, saving '
                    || {{ rec_amount_text('annual_saving') }} || {{ money }} || ' a year.'
            when recommendation = 'move_to_named'
                then
                    'Used ' || product || ' on Flex ' || use_words || ': '
                    || {{ rec_amount_text('annual_cost_now') }} || {{ money }} || ' a year in tokens against '
                    || {{ rec_amount_text('seat_price') }} || {{ money }} || ' for a named seat (more than '
                    || margin_words || ' more): assign a ' || product || ' seat, saving '
                    || {{ rec_amount_text('annual_saving') }} || {{ money }} || ' a year.'
            when recommendation = 'move_to_collection'
                then
                    'Pays separately for ' || related || ': '
                    || {{ rec_amount_text('annual_cost_now') }} || {{ money }}
                    || ' a year after the other recommendations here ('
                    || {{ rec_amount_text('alternative_saving + seat_price') }}
                    || {{ money }} || ' today), against ' || {{ rec_amount_text('seat_price') }} || {{ money }}
                    || ' for the ' || product || ' (more than ' || margin_words || ' more): assign the '
                    || product || ' instead of those seats and Flex use, saving '
                    || {{ rec_amount_text('annual_saving') }} || {{ money }} || ' a year.'
            when recommendation = 'watch_trend' and trend_direction = 'busier'
                then
                    'Flex use of ' || product || ' picked up: ' || {{ rec_int_text('recent_annualised_days') }}
                    || ' days a year at the pace of the last ' || {{ rec_int_text('trend_window_days') }}
                    || ' days, above the ' || {{ rec_int_text('break_even_days') }} || '-day break-even, against '
                    || {{ rec_int_text('annualised_days') }}
                    || ' a year over the last '
                    || {{ rec_int_text('observed_days') }}
                    || ' days: watch it; at the recent pace a named seat would save '
                    || {{ rec_amount_text('alternative_saving') }} || {{ money }} || ' a year.'
            when recommendation = 'watch_trend'
                then
                    'Flex use of ' || product || ' slowed down: ' || {{ rec_int_text('recent_annualised_days') }}
                    || ' days a year at the pace of the last ' || {{ rec_int_text('trend_window_days') }}
                    || ' days, below the ' || {{ rec_int_text('break_even_days') }} || '-day break-even, against '
                    || {{ rec_int_text('annualised_days') }}
                    || ' a year over the last '
                    || {{ rec_int_text('observed_days') }}
                    || ' days: watch it before buying a seat; at the recent pace Flex costs '
                    || {{ rec_amount_text('0 - alternative_saving') }} || {{ money }} || ' a year less than a seat.'
        end as reason
    from described
),

final as (
    select
        user_key,
        display_name,
        department,
        product,
        product_kind,
        recommendation,
        priority,
        annual_saving,
        currency,
        reason,
        seat_price,
        annual_cost_now,
        annual_cost_after,
        related,
        alternative_saving,
        trend_direction,
        other_recommendations
    from reasons
)

select * from final
