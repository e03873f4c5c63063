-- One row per landing row a connector could not read at all (a broken CSV line, a file whose
-- header is not recognised, an unreadable file), with its stable reason code.
with quarantine as (
    select * from {{ source('raw', 'quarantine') }}
),

final as (
    select
        source,
        reason,
        value,
        record,
        _source_file as source_file,
        _source_row as source_row
    from quarantine
)

select * from final
