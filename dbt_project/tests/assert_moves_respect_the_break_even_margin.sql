-- A returned row is a move between Flex and a named seat that the margin forbids: a
-- move_to_named whose Flex cost is not above the seat price x (1 + break_even_margin), or a
-- move to Flex (move_to_flex, or dropping a seat of a Flex holder) whose Flex cost is not below
-- the seat price x (1 - break_even_margin). Amounts are rounded to cents, so a cost equal to the
-- line counts as on the right side.
{{ config(meta={'dagster': {'ref': {'name': 'rpt_licence_recommendations'}}}) }}

with recommendations as (
    select * from {{ ref('rpt_licence_recommendations') }}
),

settings as (
    select * from {{ ref('int_recommendation_settings') }}
),

final as (
    select
        recommendations.user_key,
        recommendations.product,
        recommendations.recommendation,
        recommendations.seat_price,
        recommendations.annual_cost_now,
        recommendations.annual_cost_after,
        settings.break_even_margin
    from recommendations
    cross join settings
    where
        (
            recommendations.recommendation = 'move_to_named'
            and recommendations.annual_cost_now < recommendations.seat_price * (1 + settings.break_even_margin)
        )
        or (
            (
                recommendations.recommendation = 'move_to_flex'
                or (recommendations.recommendation = 'remove_duplicate' and recommendations.related = 'Flex')
            )
            and recommendations.annual_cost_after > recommendations.seat_price * (1 - settings.break_even_margin)
        )
)

select * from final
