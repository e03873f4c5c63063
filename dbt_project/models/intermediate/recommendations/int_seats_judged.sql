-- One row per licence a person holds on the as-of date that costs money or could: a named seat of
-- a product or a collection, or Flex access (trials are free and end by themselves: not here).
-- For each seat: when it was last used since it was assigned (the agent's windows of the product,
-- or of any product of the collection, and Autodesk's "last accessed" date, whichever is later),
-- whether it counts as unused, and what its use would cost a year on Flex.
-- Unused (`is_unused`):
--   idle            used since assignment, last use at least `inactivity_days` before the as-of;
--   never_used      assigned inside the data and never used since, at least
--                   `new_starter_grace_days` ago (the grace of new seats and new starters);
--   no_use_in_data  assigned before the data starts and not used in it, when the data spans at
--                   least `inactivity_days` (the seat may have been used before the data starts).
-- Flex comparison (`is_cheaper_on_flex`): the projected annual Flex cost of the seat's products
-- (int_user_product_usage) is below the seat's price by more than `break_even_margin`; judged only
-- when every product used has a token rate and the seat is at least `new_starter_grace_days` old.
with settings as (
    select * from {{ ref('int_recommendation_settings') }}
),

held as (
    select * from {{ ref('int_licences_held') }}
),

usage as (
    select * from {{ ref('int_user_product_usage') }}
),

collection_products as (
    select * from {{ ref('int_collection_products_effective') }}
),

seats as (
    select
        user_key,
        product as seat,
        product_kind as seat_kind,
        access_option,
        assigned_on,
        last_accessed_on,
        annual_price as seat_price
    from held
    where
        (access_option = 'named' and product_kind in ('product', 'collection'))
        or product_kind = 'flex_access'
),

-- the products each seat gives: itself, a collection's contents, or (Flex) whatever was used
seat_products as (
    select
        user_key,
        seat,
        seat as product
    from seats
    where seat_kind = 'product'
    union all
    select
        seats.user_key,
        seats.seat,
        collection_products.product
    from seats
    inner join collection_products
        on seats.seat = collection_products.collection
    where seats.seat_kind = 'collection'
    union all
    select
        seats.user_key,
        seats.seat,
        usage.product
    from seats
    inner join usage
        on seats.user_key = usage.user_key
    where seats.seat_kind = 'flex_access'
),

seat_use as (
    select
        seat_products.user_key,
        seat_products.seat,
        max(usage.last_used_on) as last_used_on_agent,
        sum(case when usage.days_used > 0 then 1 else 0 end) as products_used,
        sum(case when usage.days_used > 0 then usage.days_used else 0 end) as product_days_used,
        sum(case when usage.days_used > 0 then usage.projected_annual_flex_cost else 0 end)
            as projected_annual_flex_cost,
        sum(case when usage.days_used > 0 and usage.projected_annual_flex_cost is null then 1 else 0 end)
            as products_without_rate,
        {{ dbt.listagg('case when usage.days_used > 0 then usage.product end', "', '", 'order by usage.product') }}
            as products_used_list
    from seat_products
    left join usage
        on
            seat_products.user_key = usage.user_key
            and seat_products.product = usage.product
    group by seat_products.user_key, seat_products.seat
),

last_use as (
    select
        seats.*,
        seat_use.products_used,
        seat_use.product_days_used,
        seat_use.projected_annual_flex_cost,
        seat_use.products_without_rate,
        seat_use.products_used_list,
        seat_use.last_used_on_agent,
        case
            when seat_use.last_used_on_agent >= seats.assigned_on then seat_use.last_used_on_agent
        end as agent_use_since_assigned_on,
        case
            when seats.last_accessed_on >= seats.assigned_on then seats.last_accessed_on
        end as autodesk_use_since_assigned_on,
        settings.as_of_date,
        settings.data_start_on,
        settings.inactivity_days,
        settings.new_starter_grace_days,
        settings.break_even_margin
    from seats
    cross join settings
    left join seat_use
        on
            seats.user_key = seat_use.user_key
            and seats.seat = seat_use.seat
),

use_dated as (
    select
        *,
        case
            when agent_use_since_assigned_on is null then autodesk_use_since_assigned_on
            when autodesk_use_since_assigned_on is null then agent_use_since_assigned_on
            when autodesk_use_since_assigned_on > agent_use_since_assigned_on then autodesk_use_since_assigned_on
            else agent_use_since_assigned_on
        end as last_used_on
    from last_use
),

unused_basis as (
    select
        *,
        case
            when last_used_on is not null then 'idle'
            when assigned_on >= data_start_on then 'never_used'
            else 'no_use_in_data'
        end as unused_basis,
        {{ rec_days_between('assigned_on', 'as_of_date') }} as seat_age_days
    from use_dated
),

idle as (
    select
        *,
        case
            when unused_basis = 'idle' then {{ rec_days_between('last_used_on', 'as_of_date') }}
            when unused_basis = 'never_used' then {{ rec_days_between('assigned_on', 'as_of_date') }}
            else {{ rec_days_between('data_start_on', 'as_of_date') }} + 1
        end as idle_days
    from unused_basis
),

final as (
    select
        user_key,
        seat as product,
        seat_kind as product_kind,
        access_option,
        assigned_on,
        last_accessed_on,
        seat_price,
        cast(seat_age_days as integer) as seat_age_days,
        last_used_on_agent,
        last_used_on,
        unused_basis,
        cast(idle_days as integer) as idle_days,
        seat_kind <> 'flex_access'
        and (
            (unused_basis = 'never_used' and idle_days >= new_starter_grace_days)
            or (unused_basis <> 'never_used' and idle_days >= inactivity_days)
        ) as is_unused,
        cast(coalesce(products_used, 0) as integer) as products_used,
        cast(coalesce(product_days_used, 0) as integer) as product_days_used,
        products_used_list,
        cast(coalesce(products_without_rate, 0) as integer) as products_without_rate,
        cast(coalesce(projected_annual_flex_cost, 0) as {{ dbt.type_numeric() }}) as projected_annual_flex_cost,
        seat_kind <> 'flex_access'
        and coalesce(products_without_rate, 0) = 0
        and seat_price is not null
        and seat_age_days >= new_starter_grace_days
        and coalesce(projected_annual_flex_cost, 0) < seat_price * (1 - break_even_margin) as is_cheaper_on_flex
    from idle
)

select * from final
