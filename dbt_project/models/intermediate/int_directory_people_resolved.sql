-- One row per person known to the directory (across all snapshots): their latest attributes,
-- when they were first and last seen, and when they left. A person has left on the date of the
-- first snapshot they are missing from or disabled in (after their last active snapshot), or on
-- their account expiry or leave date once it has passed, whichever comes first.
with people as (
    select * from {{ ref('stg_directory__people') }}
    where reject_reason is null
),

context as (
    select * from {{ ref('stg_run__context') }}
),

-- the same person twice in one snapshot: the later row of the file wins
person_snapshots as (
    select *
    from (
        select
            *,
            row_number() over (
                partition by person_id, snapshot_date order by source_file desc, source_row desc
            ) as rank_in_snapshot
        from people
    ) as ranked
    where rank_in_snapshot = 1
),

snapshot_dates as (
    select distinct snapshot_date from person_snapshots
),

latest_snapshot as (
    select max(snapshot_date) as latest_snapshot_date from snapshot_dates
),

person_activity as (
    select
        person_id,
        min(snapshot_date) as first_seen_on,
        max(snapshot_date) as last_seen_on,
        max(case
            when
                coalesce(is_enabled, true)
                and (account_expires_on is null or account_expires_on > snapshot_date)
                then snapshot_date
        end) as last_active_on
    from person_snapshots
    group by person_id
),

latest_rows as (
    select *
    from (
        select
            *,
            row_number() over (partition by person_id order by snapshot_date desc) as rank_latest
        from person_snapshots
    ) as ranked
    where rank_latest = 1
),

first_absence as (
    -- the first snapshot after the person's last active one
    select
        person_activity.person_id,
        min(snapshot_dates.snapshot_date) as first_inactive_snapshot_on
    from person_activity
    inner join snapshot_dates
        on person_activity.last_active_on < snapshot_dates.snapshot_date
    group by person_activity.person_id
),

combined as (
    select
        latest_rows.person_id,
        coalesce(latest_rows.email, latest_rows.upn, latest_rows.sam_account, latest_rows.object_id) as user_key,
        latest_rows.email,
        latest_rows.upn,
        latest_rows.sam_account,
        latest_rows.object_id,
        coalesce(
            latest_rows.display_name,
            {{ dbt.concat(["coalesce(latest_rows.given_name, '')", "' '", "coalesce(latest_rows.surname, '')"]) }}
        ) as display_name,
        latest_rows.given_name,
        latest_rows.surname,
        latest_rows.department,
        latest_rows.country,
        latest_rows.office,
        latest_rows.title,
        latest_rows.manager,
        latest_rows.is_enabled,
        latest_rows.account_expires_on,
        latest_rows.leave_on,
        latest_rows.last_logon_at,
        latest_rows.directory_kind,
        person_activity.first_seen_on,
        person_activity.last_seen_on,
        person_activity.last_active_on,
        {{ utc_date('latest_rows.created_at') }} as created_on,
        case
            -- never active in any snapshot: inactive since first seen
            when person_activity.last_active_on is null then person_activity.first_seen_on
            when person_activity.last_active_on < latest_snapshot.latest_snapshot_date
                then first_absence.first_inactive_snapshot_on
        end as inactive_from_snapshot_on,
        latest_snapshot.latest_snapshot_date,
        case
            when latest_rows.account_expires_on <= context.as_of_date
                then latest_rows.account_expires_on
        end as expired_on,
        case
            when latest_rows.leave_on <= context.as_of_date
                then latest_rows.leave_on
        end as leave_passed_on
    from latest_rows
    inner join person_activity
        on latest_rows.person_id = person_activity.person_id
    left join first_absence
        on latest_rows.person_id = first_absence.person_id
    cross join latest_snapshot
    cross join context
),

final as (
    select
        person_id,
        user_key,
        email,
        upn,
        sam_account,
        object_id,
        display_name,
        given_name,
        surname,
        department,
        country,
        office,
        title,
        manager,
        is_enabled,
        account_expires_on,
        last_logon_at,
        directory_kind,
        first_seen_on,
        last_seen_on,
        case
            when created_on is not null and created_on < first_seen_on then created_on
            else first_seen_on
        end as started_on,
        case
            -- the earliest of the reasons that apply
            when inactive_from_snapshot_on is null and expired_on is null and leave_passed_on is null
                then null
            else {{ least_of(['inactive_from_snapshot_on', 'expired_on', 'leave_passed_on']) }}
        end as left_on,
        case
            when last_seen_on < latest_snapshot_date then 'gone from the directory'
            when inactive_from_snapshot_on is not null then 'disabled in the directory'
            when expired_on is not null then 'account expired'
            when leave_passed_on is not null then 'leave date passed'
        end as left_reason
    from combined
)

select * from final
