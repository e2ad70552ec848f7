{#
  on-run-end: drop the tables and views of the project's schemas (staging, intermediate,
  marts, and `audit`, which older versions kept test records in) that no model of the project
  builds any more, so that a warehouse built by an older tracehouse does not keep serving
  relations this version left out (the text-copying export and preview tables, say). Only a full build (no --select) knows every model, so only it
  drops anything. DuckDB only: on Spark the schemas may be shared with other projects.
#}
{% macro drop_orphaned_relations() -%}
    {%- if execute and target.type == 'duckdb' and not selected_resources_narrowed() -%}
        {%- set schemas = ['audit'] -%}
        {%- set kept = [] -%}
        {%- for node in graph.nodes.values() if node.resource_type in ('model', 'seed', 'snapshot') -%}
            {%- do schemas.append(node.schema) if node.schema not in schemas -%}
            {%- do kept.append(node.schema ~ '.' ~ node.alias) -%}
        {%- endfor -%}
        {%- set found = run_query(
            "select table_schema, table_name, table_type from information_schema.tables"
            ~ " where table_catalog = current_database() and table_schema in ('"
            ~ schemas | join("', '") ~ "')"
        ) -%}
        {%- for row in found.rows if (row[0] ~ '.' ~ row[1]) not in kept -%}
            {%- set kind = 'view' if row[2] == 'VIEW' else 'table' -%}
            {%- do log('dropping ' ~ kind ~ ' ' ~ row[0] ~ '.' ~ row[1] ~ ': no model of this project builds it', info=true) -%}
            {%- do run_query('drop ' ~ kind ~ ' if exists ' ~ adapter.quote(row[0]) ~ '.' ~ adapter.quote(row[1]) ~ ' cascade') -%}
        {%- endfor -%}
    {%- endif -%}
    select 1 as orphans_dropped
{%- endmacro %}

{# Whether this run selects only part of the project (--select, --exclude, a selector). #}
{% macro selected_resources_narrowed() -%}
    {%- set models = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model') | map(attribute='unique_id') | list -%}
    {{ return(models | reject('in', selected_resources) | list | length > 0) }}
{%- endmacro %}
