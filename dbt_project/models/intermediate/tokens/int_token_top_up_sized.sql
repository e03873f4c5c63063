-- One row: the tokens the forecast cannot serve up to the horizon date (the projected shortfall,
-- rounded up to whole tokens) and the top-up that covers it, rounded up to the pack sizes the
-- organisation buys (setting token_pack_sizes): the smallest total a combination of those sizes
-- makes, then the fewest packs. Each smaller size is tried up to largest / gcd(size, largest) - 1
-- times (more copies could be swapped for larger packs of the same total), the largest size makes
-- up the rest.
with forecast_draws as (
    select * from {{ ref('int_token_forecast_draws') }}
),

forecast_days as (
    select * from {{ ref('int_token_forecast_days') }}
),

context as (
    select * from {{ ref('stg_run__context') }}
),

need as (
    select
        cast(ceil(coalesce(sum(forecast_draws.tokens_drawn), 0)) as {{ dbt.type_bigint() }}) as tokens_needed
    from forecast_draws
    inner join forecast_days
        on forecast_draws.forecast_date = forecast_days.forecast_date
    where forecast_draws.is_shortfall and not forecast_days.is_after_horizon
),

size_parts as (
    {% for part in range(1, 7) -%}
        select {{ dbt.split_part('token_pack_sizes', "','", part) }} as size_text
        from context
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

sizes as (
    select distinct cast(size_text as {{ dbt.type_bigint() }}) as pack_size
    from size_parts
    where size_text is not null and size_text <> ''
),

largest as (
    select max(pack_size) as pack_size
    from sizes
),

candidate_divisors as (
    select cast(generated_number as {{ dbt.type_bigint() }}) as divisor
    from ({{ dbt.generate_series(var('token_max_pack_size', 100000)) }}) as series
),

-- the smaller sizes, largest first, with how many copies of each are worth trying
smaller_sizes as (
    select
        sizes.pack_size,
        largest.pack_size / max(candidate_divisors.divisor) as copies_bound,
        row_number() over (order by sizes.pack_size desc) as size_rank
    from sizes
    cross join largest
    inner join candidate_divisors
        on
            sizes.pack_size >= candidate_divisors.divisor
            and sizes.pack_size % candidate_divisors.divisor = 0
            and largest.pack_size % candidate_divisors.divisor = 0
    where sizes.pack_size < largest.pack_size
    group by sizes.pack_size, largest.pack_size
),

copy_counts as (
    select cast(generated_number - 1 as {{ dbt.type_bigint() }}) as copies
    from ({{ dbt.generate_series(var('token_max_pack_combinations', 100000)) }}) as series
),

combinations as (
    select *
    from (
        with recursive combination as (
            select
                cast(0 as {{ dbt.type_bigint() }}) as size_rank,
                cast(0 as {{ dbt.type_bigint() }}) as subtotal,
                cast(0 as {{ dbt.type_bigint() }}) as packs,
                cast('' as {{ dbt.type_string() }}) as description
            from context

            union all

            select
                cast(smaller_sizes.size_rank as {{ dbt.type_bigint() }}) as size_rank,
                cast(combination.subtotal + copy_counts.copies * smaller_sizes.pack_size as {{ dbt.type_bigint() }})
                    as subtotal,
                cast(combination.packs + copy_counts.copies as {{ dbt.type_bigint() }}) as packs,
                cast(
                    case
                        when copy_counts.copies = 0 then combination.description
                        else {{ dbt.concat([
                            "combination.description", "' + '",
                            "cast(copy_counts.copies as " ~ dbt.type_string() ~ ")", "' x '",
                            "cast(smaller_sizes.pack_size as " ~ dbt.type_string() ~ ")"
                        ]) }}
                    end as {{ dbt.type_string() }}
                ) as description
            from combination
            inner join smaller_sizes
                on combination.size_rank + 1 = smaller_sizes.size_rank
            inner join copy_counts
                on smaller_sizes.copies_bound > copy_counts.copies
        )

        select * from combination
    ) as combination_result
),

completed as (
    select
        need.tokens_needed,
        largest.pack_size as largest_size,
        combinations.subtotal,
        combinations.packs,
        combinations.description,
        case
            when need.tokens_needed <= combinations.subtotal then 0
            else cast(
                ceil(cast(need.tokens_needed - combinations.subtotal as {{ dbt.type_numeric() }}) / largest.pack_size)
                as {{ dbt.type_bigint() }}
            )
        end as largest_copies
    from combinations
    cross join need
    cross join largest
    where combinations.size_rank = (select count(*) from smaller_sizes)
),

ranked as (
    select
        tokens_needed,
        subtotal + largest_copies * largest_size as tokens_to_buy,
        packs + largest_copies as packs,
        case
            when largest_copies = 0 then description
            else {{ dbt.concat([
                "' + '", "cast(largest_copies as " ~ dbt.type_string() ~ ")", "' x '",
                "cast(largest_size as " ~ dbt.type_string() ~ ")", "description"
            ]) }}
        end as description,
        row_number() over (
            order by subtotal + largest_copies * largest_size, packs + largest_copies, description
        ) as rank_in_need
    from completed
),

final as (
    select
        need.tokens_needed,
        -- without pack sizes the need is bought as it is
        cast(
            case when need.tokens_needed > 0 then coalesce(ranked.tokens_to_buy, need.tokens_needed) else 0 end
            as {{ dbt.type_bigint() }}
        ) as tokens_to_buy,
        cast(case when need.tokens_needed > 0 then ranked.packs else 0 end as {{ dbt.type_bigint() }})
            as packs_to_buy,
        case
            when need.tokens_needed > 0 then substring(ranked.description, 4, 1000)
        end as pack_combination
    from need
    left join ranked
        on ranked.rank_in_need = 1
)

select * from final
