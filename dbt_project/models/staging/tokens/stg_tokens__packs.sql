-- One row per token pack purchase line. A pack is usable on the days before `expires_on`
-- (default: purchase date + 12 months, flex-rules T1).
with packs as (
    select * from {{ source('raw', 'token_packs') }}
),

cleaned as (
    select
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('purchased_on') }} as purchased_on_raw,
        {{ parse_date(clean_text('purchased_on')) }} as purchased_on,
        {{ clean_text('tokens') }} as tokens_raw,
        cast({{ safe_cast(clean_text('tokens'), 'decimal(18,4)') }} as decimal(18, 4)) as tokens_decimal,
        {{ clean_text('price_per_token') }} as price_per_token_raw,
        cast({{ safe_cast(clean_text('price_per_token'), 'decimal(18,4)') }} as decimal(18, 4)) as price_per_token,
        upper(coalesce({{ clean_text('currency') }}, 'USD')) as currency,
        {{ clean_text('expires_on') }} as expires_on_raw,
        {{ parse_date(clean_text('expires_on')) }} as expires_on_given,
        _source_file as source_file,
        _source_row as source_row
    from packs
),

final as (
    select
        order_id,
        purchased_on,
        cast(tokens_decimal as {{ dbt.type_bigint() }}) as tokens,
        price_per_token,
        currency,
        coalesce(
            expires_on_given,
            cast({{ dbt.dateadd('month', 12, 'purchased_on') }} as date)
        ) as expires_on,
        expires_on_given is null as is_expiry_defaulted,
        source_file,
        source_row,
        case
            when order_id is null or purchased_on_raw is null or tokens_raw is null
                then 'missing_required'
            when purchased_on is null then 'bad_value'
            when
                tokens_decimal is null or tokens_decimal <= 0
                or tokens_decimal <> floor(tokens_decimal) then 'bad_value'
            when price_per_token_raw is not null and (price_per_token is null or price_per_token < 0)
                then 'bad_value'
            when expires_on_raw is not null and expires_on_given is null then 'bad_value'
        end as reject_reason,
        case
            when order_id is null then 'order_id'
            when purchased_on_raw is null then 'purchased_on'
            when tokens_raw is null then 'tokens'
            when purchased_on is null then {{ dbt.concat(["'purchased_on='", "purchased_on_raw"]) }}
            when
                tokens_decimal is null or tokens_decimal <= 0
                or tokens_decimal <> floor(tokens_decimal) then {{ dbt.concat(["'tokens='", "tokens_raw"]) }}
            when price_per_token_raw is not null and (price_per_token is null or price_per_token < 0)
                then {{ dbt.concat(["'price_per_token='", "price_per_token_raw"]) }}
            when expires_on_raw is not null and expires_on_given is null
                then {{ dbt.concat(["'expires_on='", "expires_on_raw"]) }}
        end as reject_value
    from cleaned
)

select * from final
