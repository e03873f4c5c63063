-- One row per Autodesk assignment line with its resolved person and catalogue product (or
-- collection, or `Flex` for Flex access to every Flex product), and the reason it cannot be used.
with assignments as (
    select * from {{ ref('stg_autodesk__assignments') }}
),

identifiers as (
    select * from {{ ref('int_identifiers_mapped') }}
),

aliases as (
    select * from {{ ref('int_product_aliases_unioned') }}
    where match_kind = 'name'
),

catalogue as (
    select * from {{ ref('product_catalogue') }}
),

mapped as (
    select
        assignments.*,
        coalesce(by_email.user_key, by_hash.user_key, assignments.email, assignments.hashed_autodesk_id) as user_key,
        aliases.product,
        catalogue.product_kind
    from assignments
    left join identifiers as by_email
        on
            by_email.identifier_kind = 'email'
            and assignments.email = by_email.identifier
    left join identifiers as by_hash
        on
            by_hash.identifier_kind = 'hashed_id'
            and assignments.hashed_autodesk_id = by_hash.identifier
    left join aliases
        on {{ product_match_key('assignments.product_raw') }} = aliases.match_value
    left join catalogue
        on aliases.product = catalogue.product
),

-- Every Users export lists the assignments current when it was taken, so one assignment appears
-- in many exports: those repeats are one assignment (the record with an unassigned date, else the
-- latest file, describes it). A line repeated inside one file is a duplicate row.
ranked as (
    select
        *,
        row_number() over (
            partition by user_key, product, access_option, assigned_on
            order by case when unassigned_on is null then 1 else 0 end, source_file desc, source_row asc
        ) as rank_in_assignment,
        row_number() over (
            partition by user_key, product, access_option, assigned_on, unassigned_on, source_file
            order by source_row
        ) as occurrence_in_file
    from mapped
),

final as (
    select
        user_key,
        email,
        hashed_autodesk_id,
        first_name,
        last_name,
        product,
        product_kind,
        product_raw,
        access_option,
        assigned_on,
        unassigned_on,
        team,
        last_accessed_on,
        contract_number,
        subscription_id,
        case
            when reject_reason is not null then reject_reason
            when product is null then 'unknown_product'
            when product_kind = 'flex_access' and access_option <> 'flex' then 'bad_value'
            when occurrence_in_file > 1 then 'duplicate_row'
        end as reject_reason,
        case
            when reject_reason is not null then reject_value
            when product is null then product_raw
            when product_kind = 'flex_access' and access_option <> 'flex'
                then {{ dbt.concat(["product_raw", "' with access option '", "access_option"]) }}
            when occurrence_in_file > 1 then {{ dbt.concat(["user_key", "' '", "product"]) }}
        end as reject_value,
        rank_in_assignment = 1 as is_current_record,
        source_file,
        source_row
    from ranked
)

select * from final
