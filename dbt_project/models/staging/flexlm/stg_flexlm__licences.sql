-- One row per INCREMENT/FEATURE line of a FlexNet licence file: the server, the feature and how
-- many network licences it grants. `uncounted` (node-locked) lines grant no pool licences.
with licences as (
    select * from {{ source('raw', 'flexlm_licences') }}
),

cleaned as (
    select
        lower({{ clean_text('server') }}) as server,
        upper({{ clean_text('keyword') }}) as keyword,
        upper({{ clean_text('feature') }}) as feature,
        upper({{ clean_text('feature_suffix') }}) as feature_suffix,
        lower({{ clean_text('vendor') }}) as vendor,
        {{ clean_text('version') }} as version,
        lower({{ clean_text('expires') }}) as expires,
        lower({{ clean_text('licenses') }}) as licenses_raw,
        cast({{ safe_cast(clean_text('licenses'), 'decimal(18,4)') }} as decimal(18, 4)) as licenses_decimal,
        _source_file as source_file,
        _source_row as source_row
    from licences
),

final as (
    select
        server,
        keyword,
        feature,
        feature_suffix,
        vendor,
        version,
        expires,
        coalesce(licenses_raw = 'uncounted', false) as is_uncounted,
        case
            when licenses_raw = 'uncounted' then 0
            when licenses_decimal >= 0 and licenses_decimal = floor(licenses_decimal)
                then cast(licenses_decimal as {{ dbt.type_bigint() }})
        end as licenses,
        case
            when server is null or feature is null or licenses_raw is null then 'missing_required'
            when licenses_raw = 'uncounted' then null
            when
                licenses_decimal is null or licenses_decimal < 0
                or licenses_decimal <> floor(licenses_decimal) then 'bad_value'
        end as reject_reason,
        case
            when server is null then 'server'
            when feature is null then 'feature'
            when licenses_raw is null then 'licenses'
            when licenses_raw = 'uncounted' then null
            when
                licenses_decimal is null or licenses_decimal < 0
                or licenses_decimal <> floor(licenses_decimal)
                then {{ dbt.concat(["'licenses='", "licenses_raw"]) }}
        end as reject_value,
        source_file,
        source_row
    from cleaned
)

select * from final
