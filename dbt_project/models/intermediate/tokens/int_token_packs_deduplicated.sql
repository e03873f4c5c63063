-- One row per token pack purchase line (key: source_file, source_row) with the reason it cannot be
-- used: the staging reason, `bad_value` when it expires on or before its purchase date (it would
-- never be usable), or `duplicate_row` when an earlier line (by file, then row) already holds the
-- same order id. Rows without a reason are the packs the ledger draws from, one per order id.
with packs as (
    select * from {{ ref('stg_tokens__packs') }}
),

checked as (
    select
        *,
        case
            when reject_reason is not null then reject_reason
            when expires_on <= purchased_on then 'bad_value'
        end as checked_reason,
        case
            when reject_reason is not null then reject_value
            when expires_on <= purchased_on
                then {{ dbt.concat(["'expires_on='", "cast(expires_on as " ~ dbt.type_string() ~ ")"]) }}
        end as checked_value
    from packs
),

numbered as (
    select
        *,
        case
            when checked_reason is null
                then row_number() over (
                    partition by order_id, case when checked_reason is null then 1 else 0 end
                    order by source_file, source_row
                )
        end as occurrence_of_order
    from checked
),

final as (
    select
        order_id,
        purchased_on,
        tokens,
        price_per_token,
        currency,
        expires_on,
        is_expiry_defaulted,
        source_file,
        source_row,
        case
            when checked_reason is not null then checked_reason
            when occurrence_of_order > 1 then 'duplicate_row'
        end as reject_reason,
        case
            when checked_reason is not null then checked_value
            when occurrence_of_order > 1 then {{ dbt.concat(["'order_id='", "order_id"]) }}
        end as reject_value
    from numbered
)

select * from final
