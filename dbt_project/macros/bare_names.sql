{#
  on-run-end: every mart by its bare name. For each mart this run built, a view
  `main.<name>` (`select * from marts.<name>`), so that in the stock duckdb shell and in
  `tracehouse sql`, whose default schema is `main`, `select * from fct_tool_calls` answers and
  `show tables` lists the marts. DuckDB checks a view's columns against those it had when it
  was made, so each view is made again whenever its mart is; a mart that failed or was skipped
  keeps its view as it was. The views carry a comment that marks them as ours: only those are
  replaced, or dropped once their mart is gone, never a user's own relation of the same name.
  Their text names no catalog, so they work under whatever name the file is opened. DuckDB only.
#}
{% macro create_bare_name_views(results) -%}
    {%- if execute and target.type == 'duckdb' -%}
        {%- set marker = 'tracehouse: a mart by its bare name' -%}
        {%- set catalog = tracehouse.sql_identifier(target.database) -%}
        {%- set built = {} -%}
        {%- for result in results
            if result.node.resource_type == 'model' and result.node.fqn[1] == 'marts'
            and result.status == 'success' -%}
            {%- do built.update({result.node.alias: result.node.schema}) -%}
        {%- endfor -%}
        {%- set relations = run_query(
            "select table_schema, table_name from information_schema.tables"
            ~ " where table_catalog = " ~ tracehouse.sql_string(target.database)
        ) -%}
        {%- set existing = [] -%}
        {%- set in_main = [] -%}
        {%- for row in relations.rows -%}
            {%- do existing.append(row[0] ~ '.' ~ row[1]) -%}
            {%- do in_main.append(row[1]) if row[0] == 'main' -%}
        {%- endfor -%}
        {%- set ours = run_query(
            "select view_name from duckdb_views()"
            ~ " where database_name = " ~ tracehouse.sql_string(target.database)
            ~ " and schema_name = 'main' and comment = " ~ tracehouse.sql_string(marker)
        ).columns[0].values() | list -%}
        {%- for name, schema in built.items() if name not in in_main or name in ours -%}
            {%- set view = catalog ~ '.main.' ~ tracehouse.sql_identifier(name) -%}
            {%- do run_query(
                'create or replace view ' ~ view ~ ' as select * from '
                ~ tracehouse.sql_identifier(schema) ~ '.' ~ tracehouse.sql_identifier(name)
            ) -%}
            {%- do run_query('comment on view ' ~ view ~ ' is ' ~ tracehouse.sql_string(marker)) -%}
        {%- endfor -%}
        {%- for name in ours if name not in built and not tracehouse.mart_exists(existing, name) -%}
            {%- do run_query('drop view if exists ' ~ catalog ~ '.main.' ~ tracehouse.sql_identifier(name)) -%}
        {%- endfor -%}
    {%- endif -%}
    select 1 as bare_names_created
{%- endmacro %}

{# Whether a model of the project's marts folder named `name` has a relation in the file. #}
{% macro mart_exists(existing, name) -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and node.fqn[1] == 'marts' and node.alias == name
        and (node.schema ~ '.' ~ name) in existing -%}
        {{ return(true) }}
    {%- endfor -%}
    {{ return(false) }}
{%- endmacro %}
