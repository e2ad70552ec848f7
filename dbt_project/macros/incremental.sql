{#
  Incremental by load (the `incremental_loads` doc block in _tracehouse__docs.md).

  Every intermediate table and the large per-conversation marts are incremental: a build
  after `tracehouse ingest` only computes the conversations of loads the table has not seen,
  and a re-ingested slice replaces its rows. Each such model
  - carries `load_id` (the load that landed the conversation),
  - imports stg_hermes__conversations as `conversations`, filtered with
    `{{ tracehouse.where_load_is_new() }}`,
  - filters its imports of other incremental tables with `{{ tracehouse.where_load_changed() }}`
    and its imports of staging views (stg_hermes__messages, stg_hermes__tool_definitions:
    they carry the raw slice columns) with `{{ tracehouse.where_slice_changed() }}`,
  - and is configured with `pre_hook=tracehouse.delete_replaced_loads()` so that rows of
    loads that no longer exist (a slice ingested again) are gone before the new ones append
    (folder-wide for the intermediate layer, in dbt_project.yml).
  On a full build (first run, `--full-refresh`) the filters render to nothing.
#}

{# `where load_id not in (loads already in this table)` on incremental runs; else nothing. #}
{% macro where_load_is_new() -%}
    {%- if is_incremental() -%}
        {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
        {%- if 'load_id' not in columns -%}
            {{ exceptions.raise_compiler_error(
                this.schema ~ "." ~ this.identifier ~ " has no load_id column: it was built before it became incremental"
                ~ " by load. Rebuild it from scratch: tracehouse build -- --full-refresh"
                ~ " (or dbt build --full-refresh)."
            ) }}
        {%- endif %}
        where load_id not in (select distinct load_id from {{ this }})
    {%- endif -%}
{%- endmacro %}

{#
  `where (source, config, split) in (the slices of the conversations CTE)` on incremental
  runs; else nothing. For imports of staging views, which carry the slice columns as raw
  has them: their conversation_key is computed in the view, so a filter on it hashes every
  row of the raw layer (for stg_hermes__messages 2.1 s at 10x the kimi size against 0.15 s
  for this one, with 10% new data), and it applies after the view's joins, where a filter on
  the slice columns reaches the raw scan. The same rows: the raw layer holds one load per
  slice.
#}
{% macro where_slice_changed() -%}
    {%- if is_incremental() -%}
        where {{ tracehouse.slice_in_conversations() }}
    {%- endif -%}
{%- endmacro %}

{# `(source, config, split) in (the slices of the conversations CTE)`, always. #}
{% macro slice_in_conversations() -%}
    (source, config, split) in (
        select conversations.source, conversations.config, conversations.split
        from conversations
    )
{%- endmacro %}

{#
  `where load_id in (the loads of the conversations CTE)` on incremental runs; else nothing.
  For imports of incremental tables, which carry the load_id of each row's conversation: the
  same rows as a filter on their conversation_key (the table's pre-hook has removed replaced
  loads), found without reading the others. Loads are appended one after another, so the row
  groups of older loads hold other load_ids, and DuckDB skips them by their min/max once the
  join has the new loads; a filter on conversation_key (a hash, spread over every row group)
  reads every row of the table, text columns included.
#}
{% macro where_load_changed() -%}
    {%- if is_incremental() -%}
        where load_id in (select conversations.load_id from conversations)
    {%- endif -%}
{%- endmacro %}

{#
  Pre-hook: delete the rows of loads that are no longer in the raw layer (their slice was
  ingested again, under a new load). Nothing on a full build.
#}
{% macro delete_replaced_loads() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where load_id not in (select distinct load_id from {{ ref('stg_hermes__conversations') }})
    {%- else -%}
        select 1 as nothing_to_delete
    {%- endif -%}
{%- endmacro %}
