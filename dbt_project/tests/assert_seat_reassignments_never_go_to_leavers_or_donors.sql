-- A returned row is a seat transfer that must not be proposed: to a leaver or an unresolved
-- login, to the donor themselves, to someone who gives up a seat of the same product, a donor or
-- a recipient used twice for one product, a saving that is not > 0, or a donor whose
-- recommendation does not free that seat.
{{ config(meta={'dagster': {'ref': {'name': 'rpt_seat_reassignments'}}}) }}

with reassignments as (
    select * from {{ ref('rpt_seat_reassignments') }}
),

recommendations as (
    select * from {{ ref('rpt_licence_recommendations') }}
),

users as (
    select * from {{ ref('dim_users') }}
),

checked as (
    select
        reassignments.product,
        reassignments.from_user_key,
        reassignments.to_user_key,
        case
            when recipient.user_key is null or recipient.status <> 'active' then 'recipient is a leaver or unknown'
            when not recipient.is_identity_resolved then 'recipient is an unresolved login'
            when reassignments.to_user_key = reassignments.from_user_key then 'transfer to oneself'
            when recipient_donates.user_key is not null then 'recipient gives up the same seat'
            when donor_recommendation.user_key is null then 'donor recommendation frees no seat'
            when reassignments.annual_saving <= 0 then 'no saving'
            when
                count(*) over (partition by reassignments.product, reassignments.from_user_key) > 1
                or count(*) over (partition by reassignments.product, reassignments.to_user_key) > 1
                then 'donor or recipient used twice'
        end as problem
    from reassignments
    left join users as recipient
        on reassignments.to_user_key = recipient.user_key
    left join recommendations as recipient_donates
        on
            reassignments.to_user_key = recipient_donates.user_key
            and reassignments.product = recipient_donates.product
            and recipient_donates.recommendation in (
                'reclaim_leaver', 'remove_duplicate', 'remove_unused', 'move_to_flex'
            )
    left join recommendations as donor_recommendation
        on
            reassignments.from_user_key = donor_recommendation.user_key
            and reassignments.product = donor_recommendation.product
            and donor_recommendation.recommendation in (
                'reclaim_leaver', 'remove_duplicate', 'remove_unused', 'move_to_flex'
            )
)

select * from checked
where problem is not null
