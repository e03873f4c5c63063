-- One row per licence checkout read from the FlexNet logs, with its person (`user_key`, the
-- directory's SAM name resolved like agent logins), its catalogue product, and what became of it:
--   status = used        counts in the network marts (cut at the run's as-of time);
--            merged      the IN half of a checkout that was open at the end of one log file and is
--                        closed in a later file of the same server (a rotated log): its end time
--                        moved onto the earlier row (`is_stitched`), so it is not counted twice;
--            after_as_of started after the run's as-of time;
--            rejected    unusable: `reject_reason` (a staging reason, unknown_product, or
--                        duplicate_row for the same checkout in an overlapping copy of a log).
-- `is_start_estimated` / `is_end_estimated` flag times that are a log start, a restart or the end
-- of a log rather than an OUT or IN line.
with sessions as (
    select * from {{ ref('stg_flexlm__sessions') }}
),

context as (
    select * from {{ ref('stg_run__context') }}
),

features as (
    select * from {{ ref('int_network_features_mapped') }}
),

identifiers as (
    select * from {{ ref('int_identifiers_mapped') }}
    where identifier_kind = 'sam'
),

usable as (
    select * from sessions
    where reject_reason is null
),

log_ends as (
    select * from usable
    where closed_by = 'end_of_log'
),

log_starts as (
    select * from usable
    where opened_by = 'start_of_log'
),

-- a checkout open at the end of one file, and an IN without OUT at the start of a later file of
-- the same server for the same feature, user and host: one checkout split by a log rotation
candidate_pairs as (
    select
        log_ends.source_file as end_file,
        log_ends.source_row as end_row,
        log_starts.source_file as start_file,
        log_starts.source_row as start_row,
        log_starts.in_at as stitched_in_at,
        log_starts.in_row as stitched_in_row,
        log_starts.in_reason as stitched_in_reason,
        row_number() over (
            partition by log_ends.source_file, log_ends.source_row
            order by log_starts.in_at, log_starts.source_file, log_starts.source_row
        ) as rank_for_end,
        row_number() over (
            partition by log_starts.source_file, log_starts.source_row
            order by log_ends.out_at desc, log_ends.source_file desc, log_ends.source_row desc
        ) as rank_for_start
    from log_ends
    inner join log_starts
        on
            log_ends.server = log_starts.server
            and log_ends.feature = log_starts.feature
            and log_ends.user_name = log_starts.user_name
            and log_ends.host = log_starts.host
            and log_ends.source_file <> log_starts.source_file
            and log_ends.in_at <= log_starts.out_at
),

pairs as (
    select * from candidate_pairs
    where rank_for_end = 1 and rank_for_start = 1
),

stitched as (
    select
        sessions.*,
        end_pairs.end_file is not null as is_stitched,
        start_pairs.start_file is not null as is_merged,
        coalesce(end_pairs.stitched_in_at, sessions.in_at) as in_at_stitched,
        case when end_pairs.end_file is not null then 'in' else sessions.closed_by end as closed_by_stitched,
        coalesce(end_pairs.stitched_in_reason, sessions.in_reason) as in_reason_stitched
    from sessions
    left join pairs as end_pairs
        on
            sessions.source_file = end_pairs.end_file
            and sessions.source_row = end_pairs.end_row
    left join pairs as start_pairs
        on
            sessions.source_file = start_pairs.start_file
            and sessions.source_row = start_pairs.start_row
),

-- the same checkout in several files (overlapping copies of one log): the file with the most
-- complete row (closed by an IN, then latest end, then last file name) keeps it
ranked as (
    select
        *,
        first_value(source_file) over (
            partition by server, feature, user_name, host, out_at
            order by
                case when closed_by_stitched = 'in' then 0 else 1 end,
                in_at_stitched desc,
                source_file desc
        ) as best_file
    from stitched
    where reject_reason is null and not is_merged
),

mapped as (
    select
        stitched.*,
        ranked.best_file,
        features.product,
        identifiers.user_key as directory_user_key
    from stitched
    left join ranked
        on
            stitched.source_file = ranked.source_file
            and stitched.source_row = ranked.source_row
    left join features
        on stitched.feature = features.feature
    left join identifiers
        on stitched.user_name = identifiers.identifier
),

judged as (
    select
        mapped.*,
        context.as_of,
        case
            when mapped.reject_reason is not null then mapped.reject_reason
            when mapped.is_merged then null
            when mapped.product is null then 'unknown_product'
            when mapped.source_file <> mapped.best_file then 'duplicate_row'
        end as final_reject_reason,
        case
            when mapped.reject_reason is not null then mapped.reject_value
            when mapped.is_merged then null
            when mapped.product is null then mapped.feature
            when mapped.source_file <> mapped.best_file
                then {{ dbt.concat(["'also in '", "mapped.best_file"]) }}
        end as final_reject_value
    from mapped
    cross join context
),

final as (
    select
        {{ dbt.concat(["source_file", "':'", "cast(source_row as " ~ dbt.type_string() ~ ")"]) }} as session_id,
        server,
        product,
        feature,
        feature_version,
        coalesce(directory_user_key, user_name) as user_key,
        directory_user_key is not null as is_identity_resolved,
        user_name,
        host,
        licenses,
        out_at as started_at,
        case when in_at_stitched > as_of then as_of else in_at_stitched end as ended_at,
        in_at_stitched as ended_at_reported,
        opened_by,
        closed_by_stitched as closed_by,
        in_reason_stitched as in_reason,
        opened_by <> 'out' as is_start_estimated,
        closed_by_stitched <> 'in' as is_end_estimated,
        is_stitched,
        case
            when final_reject_reason is not null then 'rejected'
            when is_merged then 'merged'
            when out_at >= as_of then 'after_as_of'
            else 'used'
        end as status,
        final_reject_reason as reject_reason,
        final_reject_value as reject_value,
        source_file,
        source_row
    from judged
)

select * from final
