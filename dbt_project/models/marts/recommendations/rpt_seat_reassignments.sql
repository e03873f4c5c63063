-- One row per proposed transfer of a seat (of a product or a collection) from someone whose seat
-- the recommendations free (reclaim_leaver, remove_duplicate, remove_unused, move_to_flex) to
-- someone who should get that seat (move_to_named; a starter already using the product on Flex;
-- move_to_collection for a collection seat). Never a leaver nor an unresolved login as recipient,
-- never a person with themselves.
-- annual_saving = what the recipient pays a year now for that use (their projected Flex cost; for
-- a collection, their cost of its products after their other recommendations) - what the donor
-- will pay after giving the seat up (their projected Flex cost for move_to_flex and Flex
-- duplicates, else 0): the saving against today. For a move_to_named recipient it equals the sum
-- of the two recommendations' savings: the transfer is how both are carried out without buying
-- or cancelling a seat.
-- The pairing maximises the total saving. Because a pair's saving is (recipient's value) -
-- (donor's cost after), pairing the k-th most valuable recipient with the k-th cheapest donor of
-- the same product, for as long as the pair saves something, is an optimal assignment (exchange
-- argument, docs/recommendations.md); ties go to the alphabetically first user_key.
with recommendations as (
    select * from {{ ref('rpt_licence_recommendations') }}
),

usage as (
    select * from {{ ref('int_user_product_usage') }}
),

users as (
    select * from {{ ref('dim_users') }}
),

settings as (
    select * from {{ ref('int_recommendation_settings') }}
),

donors as (
    select
        product,
        product_kind,
        user_key as from_user_key,
        recommendation as from_recommendation,
        annual_cost_after as donor_cost_after,
        seat_price
    from recommendations
    where
        recommendation in ('reclaim_leaver', 'remove_duplicate', 'remove_unused', 'move_to_flex')
        and product_kind in ('product', 'collection')
),

recommended_recipients as (
    select
        product,
        user_key as to_user_key,
        recommendation as to_reason,
        annual_cost_now as recipient_cost_now
    from recommendations
    where recommendation in ('move_to_named', 'move_to_collection')
),

-- starters: people who joined after the analysed history began, using the product on Flex with
-- nothing covering it (a move_to_named recipient already is one)
starters_on_flex as (
    select
        usage.product,
        usage.user_key as to_user_key,
        'starter_on_flex' as to_reason,
        usage.projected_annual_flex_cost as recipient_cost_now
    from usage
    cross join settings
    left join recommended_recipients
        on
            usage.user_key = recommended_recipients.to_user_key
            and usage.product = recommended_recipients.product
    where
        usage.started_on >= settings.history_start_on
        and usage.has_flex_access
        and not usage.has_subscription
        and usage.windows_charged > 0
        and usage.projected_annual_flex_cost > 0
        and recommended_recipients.to_user_key is null
),

recipients as (
    select
        candidates.*,
        users.started_on as recipient_started_on
    from (
        select * from recommended_recipients
        union all
        select * from starters_on_flex
    ) as candidates
    inner join users
        on candidates.to_user_key = users.user_key
    where users.status = 'active' and users.is_identity_resolved
),

donors_ranked as (
    select
        *,
        row_number() over (
            partition by product order by donor_cost_after, from_user_key
        ) as pair_rank
    from donors
),

recipients_ranked as (
    select
        *,
        row_number() over (
            partition by product order by recipient_cost_now desc, to_user_key asc
        ) as pair_rank
    from recipients
),

paired as (
    select
        donors_ranked.product,
        donors_ranked.product_kind,
        donors_ranked.from_user_key,
        recipients_ranked.to_user_key,
        donors_ranked.pair_rank,
        donors_ranked.from_recommendation,
        recipients_ranked.to_reason,
        donors_ranked.seat_price,
        donors_ranked.donor_cost_after,
        recipients_ranked.recipient_cost_now,
        recipients_ranked.recipient_cost_now - donors_ranked.donor_cost_after as annual_saving
    from donors_ranked
    inner join recipients_ranked
        on
            donors_ranked.product = recipients_ranked.product
            and donors_ranked.pair_rank = recipients_ranked.pair_rank
    where
        recipients_ranked.recipient_cost_now - donors_ranked.donor_cost_after > 0
        and donors_ranked.from_user_key <> recipients_ranked.to_user_key
),

final as (
    select
        paired.product,
        paired.product_kind,
        paired.from_user_key,
        paired.to_user_key,
        cast(round(paired.annual_saving, 2) as decimal(18, 2)) as annual_saving,
        settings.currency,
        paired.pair_rank,
        paired.from_recommendation,
        paired.to_reason,
        paired.seat_price,
        cast(round(paired.donor_cost_after, 2) as decimal(18, 2)) as donor_cost_after,
        cast(round(paired.recipient_cost_now, 2) as decimal(18, 2)) as recipient_cost_now,
        cast(round(paired.recipient_cost_now - paired.seat_price, 2) as decimal(18, 2)) as saving_vs_cancelling,
        'Give the ' || paired.product || case when paired.product_kind = 'product' then ' seat' else '' end
        || case paired.from_recommendation
            when 'reclaim_leaver' then ' reclaimed from a leaver'
            when 'remove_duplicate' then ' freed as a duplicate'
            when 'remove_unused' then ' freed as unused'
            else ' freed by a move to Flex'
        end
        || ' to the recipient ('
        || case paired.to_reason
            when 'starter_on_flex' then 'a starter already using it on Flex'
            when 'move_to_named' then 'recommended a named seat'
            else 'recommended the collection'
        end
        || ', paying ' || {{ rec_amount_text('paired.recipient_cost_now') }} || ' ' || settings.currency
        || ' a year for it now)'
        || case
            when paired.donor_cost_after > 0
                then
                    '; the donor keeps using it on Flex for ' || {{ rec_amount_text('paired.donor_cost_after') }}
                    || ' ' || settings.currency || ' a year'
            else ''
        end
        || ': saving ' || {{ rec_amount_text('paired.annual_saving') }} || ' ' || settings.currency || ' a year'
        || case
            when paired.recipient_cost_now < paired.seat_price
                then
                    ' while the seat is paid for; at renewal, cancelling the seat would save '
                    || {{ rec_amount_text('paired.seat_price - paired.recipient_cost_now') }}
                    || ' '
                    || settings.currency
                    || ' a year more.'
            else '.'
        end as reason
    from paired
    cross join settings
)

select * from final
