-- One row per person x product-or-collection x recommendation that applies to it (several may
-- apply to one key: rpt_licence_recommendations keeps the first in the order of `priority`).
-- The rules (flex-rules section 4; docs/recommendations.md):
--   1 reclaim_leaver     a seat, collection or Flex access held by someone who left; saves the
--                        price (Flex access: 0)
--   2 remove_duplicate   a product seat inside a collection the person also holds: keep the
--                        cheaper outcome (drop the seat: its price; or drop the collection: its
--                        price less what the other products used would cost on their own), then
--                        a seat (or collection) of a Flex holder whose use costs less on Flex than
--                        the seat by more than the margin: drop the seat, saving price - Flex cost
--   3 remove_unused      a seat unused (int_seats_judged.is_unused); saves the price
--   4 move_to_flex       as the Flex duplicate, for someone without Flex access
--   5 move_to_named      a Flex user (no seat or collection covering the product) whose projected
--                        annual Flex cost exceeds the seat price by more than the margin
--   6 move_to_collection someone holding no collection whose products of one collection cost,
--                        after rules 2-5, more than the collection by more than the margin; one
--                        collection per person (the largest saving)
--   7 watch_trend        a Flex user whose last-90-day pace is on the other side of break-even than
--                        the whole analysed history; saves 0
-- "By more than the margin": Flex cost < price x (1 - margin) for a move to Flex, Flex cost >
-- price x (1 + margin) for a move to named; exactly at the line there is no move.
with settings as (
    select * from {{ ref('int_recommendation_settings') }}
),

economics as (
    select * from {{ ref('int_product_economics') }}
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

collection_products as (
    select * from {{ ref('int_collection_products_effective') }}
),

seat_holdings as (
    select
        seats.*,
        coalesce(users.status, 'active') as status
    from seats
    left join users
        on seats.user_key = users.user_key
),

active_seats as (
    select * from seat_holdings
    where status = 'active' and product_kind in ('product', 'collection') and seat_price > 0
),

flex_holders as (
    select distinct user_key from seats
    where product_kind = 'flex_access'
),

collection_holders as (
    select distinct user_key from seats
    where product_kind = 'collection'
),

-- 1: everything a leaver still holds
reclaim_leaver as (
    select
        user_key,
        product,
        product_kind,
        'reclaim_leaver' as recommendation,
        1 as priority,
        coalesce(seat_price, 0) as annual_saving,
        coalesce(seat_price, 0) as seat_price,
        coalesce(seat_price, 0) as annual_cost_now,
        cast(null as {{ dbt.type_string() }}) as related,
        cast(null as {{ dbt.type_numeric() }}) as alternative_saving,
        cast(null as {{ dbt.type_string() }}) as trend_direction
    from seat_holdings
    where status = 'left' and (product_kind = 'flex_access' or seat_price > 0)
),

-- 2a: a product seat inside a collection the same person holds
duplicated_in_collection as (
    select
        collection_seat.user_key,
        collection_seat.product as collection,
        collection_seat.seat_price as collection_price,
        product_seat.product,
        product_seat.seat_price as product_price
    from active_seats as collection_seat
    inner join collection_products
        on collection_seat.product = collection_products.collection
    inner join active_seats as product_seat
        on
            collection_seat.user_key = product_seat.user_key
            and collection_products.product = product_seat.product
    where collection_seat.product_kind = 'collection' and product_seat.product_kind = 'product'
),

-- what the collection's other products the person uses would cost without it: the cheaper of
-- Flex (projected) and a seat; a seat when the product has no token rate
collection_other_use as (
    select
        collection_seat.user_key,
        collection_seat.product as collection,
        sum(
            case
                when economics.annual_price is null then coalesce(usage.projected_annual_flex_cost, 0)
                when usage.projected_annual_flex_cost is null then economics.annual_price
                when usage.projected_annual_flex_cost < economics.annual_price then usage.projected_annual_flex_cost
                else economics.annual_price
            end
        ) as replacement_cost
    from active_seats as collection_seat
    inner join collection_products
        on collection_seat.product = collection_products.collection
    inner join usage
        on
            collection_seat.user_key = usage.user_key
            and collection_products.product = usage.product
            and usage.days_used > 0
    left join active_seats as product_seat
        on
            collection_seat.user_key = product_seat.user_key
            and collection_products.product = product_seat.product
            and product_seat.product_kind = 'product'
    left join economics
        on collection_products.product = economics.product
    where collection_seat.product_kind = 'collection' and product_seat.user_key is null
    group by collection_seat.user_key, collection_seat.product
),

collection_duplicate_choice as (
    select
        duplicated_in_collection.user_key,
        duplicated_in_collection.collection,
        max(duplicated_in_collection.collection_price) as collection_price,
        sum(duplicated_in_collection.product_price) as keep_collection_saving,
        max(duplicated_in_collection.collection_price) - coalesce(max(collection_other_use.replacement_cost), 0)
            as drop_collection_saving,
        {{ dbt.listagg('duplicated_in_collection.product', "', '", 'order by duplicated_in_collection.product') }}
            as duplicated_products
    from duplicated_in_collection
    left join collection_other_use
        on
            duplicated_in_collection.user_key = collection_other_use.user_key
            and duplicated_in_collection.collection = collection_other_use.collection
    group by duplicated_in_collection.user_key, duplicated_in_collection.collection
),

remove_duplicate_collection as (
    -- keeping the collection is cheaper: drop each product seat it duplicates
    select
        duplicated_in_collection.user_key,
        duplicated_in_collection.product,
        'product' as product_kind,
        'remove_duplicate' as recommendation,
        2 as priority,
        duplicated_in_collection.product_price as annual_saving,
        duplicated_in_collection.product_price as seat_price,
        duplicated_in_collection.product_price as annual_cost_now,
        duplicated_in_collection.collection as related,
        cast(collection_duplicate_choice.drop_collection_saving as {{ dbt.type_numeric() }}) as alternative_saving,
        cast(null as {{ dbt.type_string() }}) as trend_direction
    from duplicated_in_collection
    inner join collection_duplicate_choice
        on
            duplicated_in_collection.user_key = collection_duplicate_choice.user_key
            and duplicated_in_collection.collection = collection_duplicate_choice.collection
    where collection_duplicate_choice.drop_collection_saving <= collection_duplicate_choice.keep_collection_saving
    union all
    -- dropping the collection is cheaper: keep the product seats
    select
        user_key,
        collection as product,
        'collection' as product_kind,
        'remove_duplicate' as recommendation,
        2 as priority,
        drop_collection_saving as annual_saving,
        collection_price as seat_price,
        collection_price as annual_cost_now,
        duplicated_products as related,
        cast(keep_collection_saving as {{ dbt.type_numeric() }}) as alternative_saving,
        cast(null as {{ dbt.type_string() }}) as trend_direction
    from collection_duplicate_choice
    where drop_collection_saving > keep_collection_saving
),

-- 2b: a seat of someone holding Flex access, cheaper on Flex by more than the margin (a seat
-- already dropped by 2a is not judged again)
remove_duplicate_flex as (
    select
        active_seats.user_key,
        active_seats.product,
        active_seats.product_kind,
        'remove_duplicate' as recommendation,
        2 as priority,
        active_seats.seat_price - active_seats.projected_annual_flex_cost as annual_saving,
        active_seats.seat_price,
        active_seats.seat_price as annual_cost_now,
        'Flex' as related,
        cast(null as {{ dbt.type_numeric() }}) as alternative_saving,
        cast(null as {{ dbt.type_string() }}) as trend_direction
    from active_seats
    inner join flex_holders
        on active_seats.user_key = flex_holders.user_key
    left join remove_duplicate_collection
        on
            active_seats.user_key = remove_duplicate_collection.user_key
            and active_seats.product = remove_duplicate_collection.product
    where remove_duplicate_collection.user_key is null and active_seats.is_cheaper_on_flex
),

-- 3
remove_unused as (
    select
        user_key,
        product,
        product_kind,
        'remove_unused' as recommendation,
        3 as priority,
        seat_price as annual_saving,
        seat_price,
        seat_price as annual_cost_now,
        cast(null as {{ dbt.type_string() }}) as related,
        cast(null as {{ dbt.type_numeric() }}) as alternative_saving,
        cast(null as {{ dbt.type_string() }}) as trend_direction
    from active_seats
    where is_unused
),

-- 4
move_to_flex as (
    select
        active_seats.user_key,
        active_seats.product,
        active_seats.product_kind,
        'move_to_flex' as recommendation,
        4 as priority,
        active_seats.seat_price - active_seats.projected_annual_flex_cost as annual_saving,
        active_seats.seat_price,
        active_seats.seat_price as annual_cost_now,
        cast(null as {{ dbt.type_string() }}) as related,
        cast(null as {{ dbt.type_numeric() }}) as alternative_saving,
        cast(null as {{ dbt.type_string() }}) as trend_direction
    from active_seats
    left join flex_holders
        on active_seats.user_key = flex_holders.user_key
    where flex_holders.user_key is null and active_seats.is_cheaper_on_flex
),

-- Flex users of a product nothing else covers, with enough history to judge
flex_use as (
    select
        usage.*,
        settings.break_even_margin
    from usage
    cross join settings
    where
        coalesce(usage.status, 'active') = 'active'
        and usage.has_flex_access
        and not usage.has_subscription
        and usage.windows_charged > 0
        and usage.projected_annual_flex_cost is not null
        and usage.annual_price > 0
        and usage.observed_days >= settings.new_starter_grace_days
),

-- 5
move_to_named as (
    select
        user_key,
        product,
        'product' as product_kind,
        'move_to_named' as recommendation,
        5 as priority,
        projected_annual_flex_cost - annual_price as annual_saving,
        annual_price as seat_price,
        projected_annual_flex_cost as annual_cost_now,
        cast(null as {{ dbt.type_string() }}) as related,
        cast(null as {{ dbt.type_numeric() }}) as alternative_saving,
        cast(null as {{ dbt.type_string() }}) as trend_direction
    from flex_use
    where projected_annual_flex_cost > annual_price * (1 + break_even_margin)
),

-- 7: the last trend_window_days on the other side of break-even than the whole history
watch_trend as (
    select
        user_key,
        product,
        'product' as product_kind,
        'watch_trend' as recommendation,
        7 as priority,
        cast(0 as {{ dbt.type_numeric() }}) as annual_saving,
        annual_price as seat_price,
        projected_annual_flex_cost as annual_cost_now,
        cast(null as {{ dbt.type_string() }}) as related,
        cast(recent_projected_annual_flex_cost - annual_price as {{ dbt.type_numeric() }}) as alternative_saving,
        case
            when recent_projected_annual_flex_cost > annual_price then 'busier'
            else 'quieter'
        end as trend_direction
    from flex_use
    where
        recent_observed_days < observed_days
        and (
            (recent_projected_annual_flex_cost > annual_price and projected_annual_flex_cost <= annual_price)
            or (recent_projected_annual_flex_cost < annual_price and projected_annual_flex_cost >= annual_price)
        )
),

-- 6: the collection basket, after the product-level recommendations of rules 2-5
product_level as (
    select * from remove_duplicate_flex
    union all
    select * from remove_unused
    union all
    select * from move_to_flex
    union all
    select * from move_to_named
),

product_level_ranked as (
    select
        *,
        row_number() over (
            partition by user_key, product order by priority asc, annual_saving desc
        ) as rank_in_key
    from product_level
),

person_product_costs as (
    select
        active_seats.user_key,
        active_seats.product,
        active_seats.seat_price as cost_now
    from active_seats
    left join collection_holders
        on active_seats.user_key = collection_holders.user_key
    where active_seats.product_kind = 'product' and collection_holders.user_key is null
    union all
    select
        flex_use.user_key,
        flex_use.product,
        flex_use.projected_annual_flex_cost as cost_now
    from flex_use
    left join collection_holders
        on flex_use.user_key = collection_holders.user_key
    where collection_holders.user_key is null
),

collection_baskets as (
    select
        person_product_costs.user_key,
        collection_products.collection,
        sum(person_product_costs.cost_now) as cost_now,
        sum(person_product_costs.cost_now - coalesce(product_level_ranked.annual_saving, 0)) as cost_after,
        {{ dbt.listagg('person_product_costs.product', "', '", 'order by person_product_costs.product') }}
            as products
    from person_product_costs
    inner join collection_products
        on person_product_costs.product = collection_products.product
    left join product_level_ranked
        on
            person_product_costs.user_key = product_level_ranked.user_key
            and person_product_costs.product = product_level_ranked.product
            and product_level_ranked.rank_in_key = 1
    group by person_product_costs.user_key, collection_products.collection
),

collection_moves as (
    select
        collection_baskets.*,
        economics.annual_price as collection_price,
        row_number() over (
            partition by collection_baskets.user_key
            order by collection_baskets.cost_after - economics.annual_price desc, collection_baskets.collection
        ) as rank_in_person
    from collection_baskets
    inner join economics
        on collection_baskets.collection = economics.product
    cross join settings
    where
        economics.annual_price > 0
        and collection_baskets.cost_after > economics.annual_price * (1 + settings.break_even_margin)
),

move_to_collection as (
    select
        user_key,
        collection as product,
        'collection' as product_kind,
        'move_to_collection' as recommendation,
        6 as priority,
        cost_after - collection_price as annual_saving,
        collection_price as seat_price,
        cost_after as annual_cost_now,
        products as related,
        cast(cost_now - collection_price as {{ dbt.type_numeric() }}) as alternative_saving,
        cast(null as {{ dbt.type_string() }}) as trend_direction
    from collection_moves
    where rank_in_person = 1
),

unioned as (
    select * from reclaim_leaver
    union all
    select * from remove_duplicate_collection
    union all
    select * from remove_duplicate_flex
    union all
    select * from remove_unused
    union all
    select * from move_to_flex
    union all
    select * from move_to_named
    union all
    select * from move_to_collection
    union all
    select * from watch_trend
),

final as (
    select
        user_key,
        product,
        product_kind,
        recommendation,
        priority,
        cast(round(annual_saving, 2) as decimal(18, 2)) as annual_saving,
        cast(seat_price as decimal(18, 2)) as seat_price,
        cast(round(annual_cost_now, 2) as decimal(18, 2)) as annual_cost_now,
        cast(round(annual_cost_now - annual_saving, 2) as decimal(18, 2)) as annual_cost_after,
        related,
        cast(round(alternative_saving, 2) as decimal(18, 2)) as alternative_saving,
        trend_direction
    from unioned
)

select * from final
