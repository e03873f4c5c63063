-- One row per person x product-or-collection x access option held on the as-of date: a named
-- seat of a product or a collection, a trial, or Flex access (product `Flex`). An assignment is
-- held when `assigned_on <= as-of date < unassigned_on` (null = open-ended). Two open records of
-- the same assignment (a data glitch) are one holding, since the earliest assignment date.
with settings as (
    select * from {{ ref('int_recommendation_settings') }}
),

assignments as (
    select * from {{ ref('int_assignments_resolved') }}
    where reject_reason is null and is_current_record
),

economics as (
    select * from {{ ref('int_product_economics') }}
),

current_assignments as (
    select assignments.*
    from assignments
    cross join settings
    where
        assignments.assigned_on <= settings.as_of_date
        and (assignments.unassigned_on is null or assignments.unassigned_on > settings.as_of_date)
),

collapsed as (
    select
        user_key,
        product,
        min(product_kind) as product_kind,
        access_option,
        min(assigned_on) as assigned_on,
        max(last_accessed_on) as last_accessed_on,
        count(*) as records
    from current_assignments
    group by user_key, product, access_option
),

final as (
    select
        collapsed.user_key,
        collapsed.product,
        collapsed.product_kind,
        collapsed.access_option,
        collapsed.assigned_on,
        collapsed.last_accessed_on,
        cast(collapsed.records as integer) as records,
        case
            when collapsed.access_option = 'named' and collapsed.product_kind in ('product', 'collection')
                then economics.annual_price
            else cast(0 as decimal(18, 2))
        end as annual_price
    from collapsed
    left join economics
        on collapsed.product = economics.product
)

select * from final
