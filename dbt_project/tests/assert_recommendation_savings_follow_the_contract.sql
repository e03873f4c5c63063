-- A returned row is a licence recommendation that breaks the marts contract: a saving that is
-- not > 0 (watch_trend and reclaiming a leaver's Flex access must save exactly 0), no reason
-- sentence, or a leaver advised anything but reclaim_leaver.
{{ config(meta={'dagster': {'ref': {'name': 'rpt_licence_recommendations'}}}) }}

with recommendations as (
    select * from {{ ref('rpt_licence_recommendations') }}
),

users as (
    select * from {{ ref('dim_users') }}
),

final as (
    select
        recommendations.user_key,
        recommendations.product,
        recommendations.recommendation,
        recommendations.annual_saving,
        case
            when recommendations.reason is null or recommendations.reason = '' then 'no reason'
            when users.status = 'left' and recommendations.recommendation <> 'reclaim_leaver'
                then 'leaver advised ' || recommendations.recommendation
            when
                recommendations.recommendation = 'watch_trend'
                or (recommendations.recommendation = 'reclaim_leaver' and recommendations.product_kind = 'flex_access')
                then case when recommendations.annual_saving <> 0 then 'saving should be 0' end
            when recommendations.annual_saving is null or recommendations.annual_saving <= 0
                then 'saving should be > 0'
        end as problem
    from recommendations
    left join users
        on recommendations.user_key = users.user_key
)

select * from final
where problem is not null
