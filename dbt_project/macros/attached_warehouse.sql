{#
  ref() and source() without the catalog. The profile attaches the warehouse file under the
  fixed name `warehouse` (profiles.yml), so no path reaches SQL as a name; the relations dbt
  renders into model SQL name only schema and table, so that the views dbt writes (staging,
  text views, fct_tool_calls) read the file they are in under whatever name it is opened:
  `duckdb my.duckdb` calls it `my`, `attach ... as w` calls it `w`. DDL and DML (`this`) still
  name the catalog; they are run, not stored. DuckDB only; Spark relations have no catalog.
#}
{% macro ref() -%}
    {{ return(tracehouse.without_catalog(builtins.ref(*varargs, **kwargs))) }}
{%- endmacro %}

{% macro source() -%}
    {{ return(tracehouse.without_catalog(builtins.source(*varargs, **kwargs))) }}
{%- endmacro %}

{% macro without_catalog(relation) -%}
    {%- if target.type == 'duckdb' and relation.include is defined -%}
        {{ return(relation.include(database=False)) }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}

{#
  on-run-start: DuckDB's spill files in `<warehouse file>.tmp`, where DuckDB puts them for a
  file it opens itself (for an in-memory instance it would use `.tmp` in the working
  directory). Set once per run, before any model: DuckDB refuses to move a temporary directory
  it has used, so it cannot be a profile setting, which dbt-duckdb applies to every cursor.
#}
{% macro spill_beside_the_warehouse() -%}
    {%- if execute and target.type == 'duckdb' -%}
        {%- set path = run_query(
            "select path from duckdb_databases() where database_name = "
            ~ tracehouse.sql_string(target.database)
        ).columns[0].values()[0] -%}
        {%- do run_query("set temp_directory = " ~ tracehouse.sql_string(path ~ '.tmp')) -%}
    {%- endif -%}
    select 1 as spill_directory_set
{%- endmacro %}
