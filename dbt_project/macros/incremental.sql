{#
  Incremental by load (the `incremental_loads` doc block): every intermediate model and every
  fact (marts/facts/). Each
  - carries `load_id` (the load that landed the conversation) and `rules_version`,
  - imports every relation that has `load_id` (stg_hermes__conversations, the intermediate
    models) filtered with `{{ tracehouse.where_load_is_new() }}`, and stg_hermes__messages
    with `{{ tracehouse.where_slice_changed() }}` (after a `conversations` import),
  - and has the pre-hook `tracehouse.delete_replaced_loads()` (dbt_project.yml, configured
    once for both folders), so that the rows of loads that no longer exist (a slice ingested
    again) and of other rules are gone before the new ones append.
  On a full build (first run, `--full-refresh`) the filters render to nothing.
#}

{# `where load_id not in (loads already in this table)` on incremental runs; else nothing. #}
{% macro where_load_is_new() -%}
    {%- if is_incremental() -%}
        {{ tracehouse.require_load_columns() }}
        where load_id not in (select distinct load_id from {{ this }})
    {%- endif -%}
{%- endmacro %}

{#
  A table built before its model was incremental by load, or before it recorded its rules'
  version, cannot be brought up to date row by row: stop with the command that rebuilds it.
#}
{% macro require_load_columns() -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- for column in ['load_id', 'rules_version'] if column not in columns %}
        {{ exceptions.raise_compiler_error(
            this.schema ~ "." ~ this.identifier ~ " has no " ~ column ~ " column: an older tracehouse built it."
            ~ " Rebuild it and the models that read it from scratch: dbt build --full-refresh --select @" ~ this.identifier ~ "."
        ) }}
    {%- endfor %}
{%- endmacro %}

{#
  `where (source, config, split) in (the slices of the conversations CTE)` on incremental
  runs; else nothing. For imports of staging views, which carry the slice columns as raw
  has them: their conversation_key is computed in the view, so a filter on it hashes every
  row of the raw layer, where a filter on the slice columns reaches the raw scan and skips the
  other slices' row groups. The same rows: the raw layer holds one load per slice.
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
  Pre-hook: delete the rows of loads that are no longer in the raw layer (their slice was
  ingested again, under a new load), and every row written by rules of another version
  (var tracehouse_rules_version), whose loads are then built again. Nothing on a full build.
  First, on either, require_incremental_neighbours_selected. The columns it deletes by were
  checked already: dbt compiles the model, and so its where_load_is_new imports
  (require_load_columns), before it runs the pre-hook.
#}
{% macro delete_replaced_loads() -%}
    {{ tracehouse.require_incremental_neighbours_selected() }}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where
            load_id not in (select distinct load_id from {{ ref('stg_hermes__conversations') }})
            or rules_version != {{ tracehouse.rules_version() }}
    {%- else -%}
        select 1 as nothing_to_delete
    {%- endif -%}
{%- endmacro %}

{#
  A model builds the loads its table lacks from what its incremental parents hold when it
  runs. A parent that this run does not build may not hold a new load yet: the model would
  write that load from half its inputs and, holding it, never build it again. And a model
  rebuilt from scratch (`--full-refresh`) gets rows its incremental children hold older
  versions of, which they would keep. So a run that selects an incremental model without its
  incremental parents, or rebuilds one from scratch without its incremental children, stops
  and says what to select (`tracehouse build` and a plain `dbt build` select everything).
  Each message names the dbt command; `tracehouse build` adds its own, with the warehouse's
  `--db` (tracehouse/dbt_runner.py, which finds these stops by their wording).
  `dbt retry` carries no selection of its own (dbt leaves `selected_resources` empty), so it
  stops here too on a model with incremental parents, with the same advice.
#}
{% macro require_incremental_neighbours_selected() -%}
    {%- if execute and flags.WHICH in tracehouse.model_building_commands()
        and model.config.materialized == 'incremental' -%}
        {%- set parents = [] -%}
        {%- set children = [] -%}
        {%- for node in graph.nodes.values() if node.config.materialized == 'incremental'
            and node.unique_id not in selected_resources -%}
            {%- if node.unique_id in model.depends_on.nodes -%}
                {%- do parents.append(node.name) -%}
            {%- elif model.unique_id in node.depends_on.nodes -%}
                {%- do children.append(node.name) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if parents -%}
            {{ exceptions.raise_compiler_error(
                model.name ~ " is incremental by load and reads " ~ parents | join(", ")
                ~ ", which this run does not build: a load new to them would be built half."
                ~ " Select them too: dbt build --select +" ~ model.name ~ "."
            ) }}
        {%- elif children and flags.FULL_REFRESH -%}
            {{ exceptions.raise_compiler_error(
                model.name ~ " is rebuilt from scratch, and " ~ children | join(", ")
                ~ " read it: incremental by load, they would keep rows built from its old ones."
                ~ " Rebuild them too: dbt build --full-refresh --select @" ~ model.name ~ "."
            ) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#
  The condition on int_blocks_parsed's rows that no successful build has checked: those whose
  `parsed_by` (the dbt invocation that wrote them) is not a build the build record
  (meta.builds, macros/build_record.sql) marks succeeded: this build's rows, and a failed
  build's. Everything on Spark, which keeps no build record.
#}
{% macro where_parse_unverified() -%}
    {%- if target.type == 'duckdb' -%}
        parsed_by not in (
            select builds.invocation_id from {{ tracehouse.build_record_relation() }} as builds
            where builds.succeeded
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{# The version of the incremental models' rules (dbt_project.yml), as an integer literal. #}
{% macro rules_version() -%}
    {{ var('tracehouse_rules_version') | int }}
{%- endmacro %}
