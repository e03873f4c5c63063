-- One row per Autodesk Token Usage line with its resolved person and catalogue product, and the
-- reason it cannot be used (exact duplicates across overlapping exports are `duplicate_row`).
with token_usage as (
    select * from {{ ref('stg_autodesk__token_usage') }}
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
        token_usage.*,
        coalesce(by_email.user_key, by_hash.user_key, token_usage.email, token_usage.hashed_autodesk_id) as user_key,
        aliases.product,
        catalogue.product_kind
    from token_usage
    left join identifiers as by_email
        on
            by_email.identifier_kind = 'email'
            and token_usage.email = by_email.identifier
    left join identifiers as by_hash
        on
            by_hash.identifier_kind = 'hashed_id'
            and token_usage.hashed_autodesk_id = by_hash.identifier
    left join aliases
        on {{ product_match_key('token_usage.product_raw') }} = aliases.match_value
    left join catalogue
        on aliases.product = catalogue.product
),

-- Overlapping exports repeat lines: a line is a duplicate when an earlier file already holds the
-- same line (the same number of times). Identical lines inside one file are separate charges.
numbered as (
    select
        *,
        row_number() over (
            partition by
                coalesce(email, ''), coalesce(hashed_autodesk_id, ''), usage_date, product_raw,
                coalesce(feature, ''), tokens_used, source_file
            order by source_row
        ) as occurrence_in_file
    from mapped
),

ranked as (
    select
        *,
        case
            when source_file > min(source_file) over (
                partition by
                    coalesce(email, ''), coalesce(hashed_autodesk_id, ''), usage_date, product_raw,
                    coalesce(feature, ''), tokens_used, occurrence_in_file
            ) then 2
            else 1
        end as rank_in_line
    from numbered
),

final as (
    select
        user_key,
        email,
        hashed_autodesk_id,
        usage_date,
        product,
        product_raw,
        feature,
        team,
        tokens_used,
        case
            when reject_reason is not null then reject_reason
            when product is null or product_kind <> 'product' then 'unknown_product'
            when rank_in_line > 1 then 'duplicate_row'
        end as reject_reason,
        case
            when reject_reason is not null then reject_value
            when product is null or product_kind <> 'product' then product_raw
            when rank_in_line > 1 then {{ dbt.concat(["coalesce(email, hashed_autodesk_id)", "' '", "product_raw"]) }}
        end as reject_value,
        source_file,
        source_row
    from ranked
)

select * from final
