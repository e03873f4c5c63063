-- One row: the price per Flex token used for costs and break-even (flex-rules E5): the
-- `token_price` setting when the organisation sets it, else the token-weighted average price of
-- the packs usable on the as-of date, else the 3 USD list price (T5).
with run as (
    select * from {{ ref('stg_run__context') }}
),

packs as (
    select * from {{ ref('int_token_packs_deduplicated') }}
    where reject_reason is null
),

packs_in_force as (
    select
        cast(sum(packs.tokens * packs.price_per_token) as decimal(18, 6)) as pack_value,
        cast(sum(packs.tokens) as decimal(18, 6)) as pack_tokens
    from packs
    cross join run
    where
        packs.price_per_token is not null
        and packs.purchased_on <= run.as_of_date
        and packs.expires_on > run.as_of_date
),

final as (
    select
        cast(case
            when run.token_price is not null then run.token_price
            when packs_in_force.pack_tokens > 0
                then packs_in_force.pack_value / packs_in_force.pack_tokens
            else 3
        end as decimal(18, 6)) as token_price,
        case
            when run.token_price is not null then 'setting'
            when packs_in_force.pack_tokens > 0 then 'packs_in_force'
            else 'list_price'
        end as token_price_source
    from run
    cross join packs_in_force
)

select * from final
