-- One row per person x product x assignment that makes Flex use of the product free (flex-rules
-- F6/F6a): a named-user subscription or trial of the product, or of a collection containing it.
-- Covered on day d when `covered_from <= d < covered_until` (null `covered_until` = open-ended).
with assignments as (
    select * from {{ ref('int_assignments_resolved') }}
    where
        reject_reason is null
        and is_current_record
        and access_option in ('named', 'trial')
),

collection_products as (
    select * from {{ ref('int_collection_products_effective') }}
),

product_assignments as (
    select
        user_key,
        product,
        access_option as covered_by,
        cast(null as {{ dbt.type_string() }}) as via_collection,
        assigned_on as covered_from,
        unassigned_on as covered_until
    from assignments
    where product_kind = 'product'
),

collection_assignments as (
    select
        assignments.user_key,
        collection_products.product,
        assignments.access_option as covered_by,
        assignments.product as via_collection,
        assignments.assigned_on as covered_from,
        assignments.unassigned_on as covered_until
    from assignments
    inner join collection_products
        on assignments.product = collection_products.collection
    where assignments.product_kind = 'collection'
),

final as (
    select * from product_assignments
    union all
    select * from collection_assignments
)

select * from final
