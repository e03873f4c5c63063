{#- Helpers of the Flex token models (models/intermediate/tokens, models/marts/tokens; docs/tokens.md). -#}

{#- The ledger's account for tokens charged when no pack held usable tokens (flex-rules T4): it
    stands where an order id would, so the ledger accounts for every token charged. -#}
{% macro token_overdraft_account() %}'(overdrawn)'{% endmacro %}

{#- Whole days from date `a` to date `b` (b - a) as an integer. -#}
{% macro token_days_between(a, b) %}{{ return(adapter.dispatch('token_days_between')(a, b)) }}{% endmacro %}
{% macro default__token_days_between(a, b) %}cast(({{ b }}) - ({{ a }}) as integer){% endmacro %}
{% macro spark__token_days_between(a, b) %}datediff({{ b }}, {{ a }}){% endmacro %}

{#- The weekday of a date, 0 = Monday .. 6 = Sunday (engines number `dow` differently). -#}
{% macro token_weekday(d) -%}
    (({{ token_days_between("cast('2001-01-01' as date)", d) }} % 7 + 7) % 7)
{%- endmacro %}

{#- Days 0..n-1 as column `day_offset` (integer): the calendars of the balance and forecast. -#}
{% macro token_day_offsets(n) -%}
    select cast(generated_number - 1 as integer) as day_offset
    from ({{ dbt.generate_series(n) }}) as series
{%- endmacro %}

{#- Sequential drawing of a demand from token packs (flex-rules T2/T3): on each day the day's
    demand draws from the usable pack with the earliest expiry, among equal expiries the
    smallest, spilling to the next one when a pack runs dry.

    `demand`: a CTE with `demand_date` and `tokens_demanded` (> 0).
    `packs`:  a CTE with `pack_rank` (1..K without gaps, in consumption priority: expiry, then
              size, then order id), `usable_from` and `usable_until` (dates; a pack is usable on
              usable_from <= d < usable_until) and `tokens_available`.

    Returns one row per pack_rank (0 = the demand itself) x day still open before that pack:
    `tokens_open` (demand left after packs 1..pack_rank), `tokens_drawn` (from pack pack_rank).

    Why this is exact: the packs only ever serve in priority order, so pack k receives, among
    the demand that packs 1..k-1 left, the earliest days inside its usable span until it runs
    dry; what a higher-priority pack does never depends on a lower one. One recursion step per
    pack (the chain is short: a step handles every open day at once), one running sum per step.
    Spark (4.1+) limits recursion to 100 levels unless the calling model raises it. -#}
{% macro token_allocate(demand, packs) -%}
    {{ return(adapter.dispatch('token_allocate')(demand, packs)) }}
{%- endmacro %}

{% macro default__token_allocate(demand, packs) -%}
    select *
    from (
        with recursive allocation as (
            select
                cast(0 as {{ dbt.type_bigint() }}) as pack_rank,
                demand_date,
                cast(tokens_demanded as {{ dbt.type_numeric() }}) as tokens_open,
                cast(0 as {{ dbt.type_numeric() }}) as tokens_drawn
            from {{ demand }}
            where tokens_demanded > 0

            union all

            select
                cast(stepped.pack_rank as {{ dbt.type_bigint() }}) as pack_rank,
                stepped.demand_date,
                cast(stepped.tokens_open - stepped.tokens_drawn as {{ dbt.type_numeric() }}) as tokens_open,
                cast(stepped.tokens_drawn as {{ dbt.type_numeric() }}) as tokens_drawn
            from (
                select
                    next_pack.pack_rank,
                    allocation.demand_date,
                    allocation.tokens_open,
                    case
                        when
                            allocation.demand_date >= next_pack.usable_from
                            and allocation.demand_date < next_pack.usable_until
                            then greatest(
                                cast(0 as {{ dbt.type_numeric() }}),
                                least(
                                    allocation.tokens_open,
                                    next_pack.tokens_available - coalesce(sum(
                                        case
                                            when
                                                allocation.demand_date >= next_pack.usable_from
                                                and allocation.demand_date < next_pack.usable_until
                                                then allocation.tokens_open
                                            else 0
                                        end
                                    ) over (
                                        order by allocation.demand_date
                                        rows between unbounded preceding and 1 preceding
                                    ), 0)
                                )
                            )
                        else cast(0 as {{ dbt.type_numeric() }})
                    end as tokens_drawn
                from allocation
                inner join {{ packs }} as next_pack
                    on allocation.pack_rank + 1 = next_pack.pack_rank
                where allocation.tokens_open > 0
            ) as stepped
        )

        select * from allocation
    ) as allocation_result
{%- endmacro %}

{#- Spark forbids a window function over the recursive reference, so its step carries the open
    days as one array (in date order) and draws from the next pack with a fold over it: the same
    greedy fill, the same rows out (one per pack_rank x day still open before that pack). -#}
{% macro spark__token_allocate(demand, packs) -%}
    {%- set amount = dbt.type_numeric() -%}
    {%- set drawn -%}
        case
            when
                open_day.demand_date >= next_pack.usable_from
                and open_day.demand_date < next_pack.usable_until
                then greatest(cast(0 as {{ amount }}), least(open_day.tokens_open, fill.tokens_left))
            else cast(0 as {{ amount }})
        end
    {%- endset -%}
    select
        allocation.pack_rank,
        drawn_day.demand_date,
        drawn_day.tokens_open,
        drawn_day.tokens_drawn
    from (
        with recursive allocation as (
            select
                cast(0 as {{ dbt.type_bigint() }}) as pack_rank,
                array_sort(collect_list(named_struct(
                    'demand_date', demand_date,
                    'tokens_open', cast(tokens_demanded as {{ amount }}),
                    'tokens_drawn', cast(0 as {{ amount }})
                ))) as open_days
            from {{ demand }}
            where tokens_demanded > 0

            union all

            select
                cast(next_pack.pack_rank as {{ dbt.type_bigint() }}) as pack_rank,
                aggregate(
                    filter(allocation.open_days, open_day -> open_day.tokens_open > 0),
                    named_struct(
                        'tokens_left', cast(next_pack.tokens_available as {{ amount }}),
                        'days', filter(allocation.open_days, open_day -> false)
                    ),
                    (fill, open_day) -> named_struct(
                        'tokens_left', cast(fill.tokens_left - {{ drawn }} as {{ amount }}),
                        'days', concat(fill.days, array(named_struct(
                            'demand_date', open_day.demand_date,
                            'tokens_open', cast(open_day.tokens_open - {{ drawn }} as {{ amount }}),
                            'tokens_drawn', cast({{ drawn }} as {{ amount }})
                        )))
                    ),
                    fill -> fill.days
                ) as open_days
            from allocation
            inner join {{ packs }} as next_pack
                on allocation.pack_rank + 1 = next_pack.pack_rank
            where exists(allocation.open_days, open_day -> open_day.tokens_open > 0)
        )

        select * from allocation
    ) as allocation
    lateral view explode(allocation.open_days) exploded as drawn_day
{%- endmacro %}
