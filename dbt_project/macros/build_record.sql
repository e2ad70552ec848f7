{#
  The build record (README, "Fresh marts only"): `meta.builds`,
  one row per dbt invocation that builds models on the warehouse (`tracehouse build`, a plain
  `dbt build`, `dbt run`, `dbt retry`), so that `tracehouse report` and `tracehouse export`
  can refuse marts that do not reflect the raw layer. A row holds ids, times and flags, and
  the load_id of every slice the raw layer held when the build started (the file is locked
  for the whole build, so no load lands meanwhile).

  on-run-start inserts the row, unfinished; on-run-end (its last hook) marks it finished and
  whether every node passed. A build that is killed, crashes or whose earlier on-run-end hook
  fails stays unfinished, which readers treat as failed. DuckDB only.
#}

{# The dbt commands that build models; `compile` and `docs generate` run on-run-start only. #}
{% macro model_building_commands() -%}
    {{ return(['build', 'run', 'retry']) }}
{%- endmacro %}

{% macro build_record_relation() -%}
    {{ return(api.Relation.create(database=target.database, schema='meta', identifier='builds')) }}
{%- endmacro %}

{% macro record_build_start() -%}
    {%- if execute and target.type == 'duckdb' and flags.WHICH in tracehouse.model_building_commands() -%}
        {%- set builds = tracehouse.build_record_relation() -%}
        {%- set raw_loads = api.Relation.create(database=target.database, schema='raw', identifier='loads') -%}
        {%- set found = run_query(
            "select count(*) from information_schema.tables where table_catalog = "
            ~ tracehouse.sql_string(target.database) ~ " and table_schema = 'raw' and table_name = 'loads'"
        ).columns[0].values()[0] -%}
        {%- call statement('record_build_start', auto_begin=True) -%}
            create schema if not exists {{ builds.without_identifier() }};
            create table if not exists {{ builds }} (
                invocation_id varchar primary key,
                command varchar not null,
                started_at timestamp not null,
                finished_at timestamp,
                succeeded boolean,
                whole boolean not null,
                load_ids varchar[] not null
            );
            insert or replace into {{ builds }}
            select
                {{ tracehouse.sql_string(invocation_id) }},
                {{ tracehouse.sql_string(flags.WHICH) }},
                cast(current_timestamp as timestamp),
                null,
                null,
                {{ not tracehouse.selected_resources_narrowed() }},
                {% if found -%}
                {#- The current load of each slice, as report_build_info picks it. -#}
                (
                    select coalesce(list(load_id order by load_id), cast([] as varchar[]))
                    from (
                        select load_id
                        from {{ raw_loads }}
                        qualify row_number() over (
                            partition by source, config, split
                            order by finished_at desc, load_id desc
                        ) = 1
                    )
                )
                {%- else -%}
                cast([] as varchar[])
                {%- endif %}
        {%- endcall -%}
        {%- do adapter.commit() -%}
    {%- endif -%}
    select 1 as build_recorded
{%- endmacro %}

{% macro record_build_end(results) -%}
    {%- if execute and target.type == 'duckdb' and flags.WHICH in tracehouse.model_building_commands() -%}
        {%- set failed = results | selectattr('status', 'in', ['error', 'fail', 'runtime error']) | list -%}
        {%- call statement('record_build_end', auto_begin=True) -%}
            update {{ tracehouse.build_record_relation() }}
            set finished_at = cast(current_timestamp as timestamp), succeeded = {{ failed | length == 0 }}
            where invocation_id = {{ tracehouse.sql_string(invocation_id) }}
        {%- endcall -%}
        {%- do adapter.commit() -%}
    {%- endif -%}
    select 1 as build_recorded
{%- endmacro %}

{# A string as a SQL literal: the one quoting helper of the project's macros. #}
{% macro sql_string(value) -%}
    {{- return("'" ~ (value | string | replace("'", "''")) ~ "'") -}}
{%- endmacro %}

{# An identifier, double-quoted, with its double quotes doubled. #}
{% macro sql_identifier(value) -%}
    {{- return('"' ~ (value | string | replace('"', '""')) ~ '"') -}}
{%- endmacro %}
