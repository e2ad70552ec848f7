{#
  The raw layer on Spark: `tracehouse ingest --lake DIR` writes raw.* as Parquet,
  Hive-partitioned by source, config and split (ingest/lake.py). On the spark target an
  on-run-start hook makes each lake table a view `raw.<table>` over its folder, so that the
  sources (schema `raw`) read the same rows the DuckDB warehouse holds. Partition values stay
  text (the profile turns partition type inference off) and are percent-decoded by Spark.
  The DuckDB target lands raw.* itself and needs nothing here.
#}

{% macro create_raw_lake_views() -%}
    {{ return(adapter.dispatch('create_raw_lake_views', 'tracehouse')()) }}
{%- endmacro %}

{% macro default__create_raw_lake_views() -%}
    select 1 as raw_layer_is_landed_by_ingest
{%- endmacro %}

{% macro spark__create_raw_lake_views() -%}
    {%- if execute -%}
        {%- set lake = env_var('TRACEHOUSE_LAKE', '') -%}
        {%- if not lake -%}
            {{ exceptions.raise_compiler_error(
                "the spark target reads the raw layer from a Parquet lake: set TRACEHOUSE_LAKE "
                ~ "to the folder `tracehouse ingest SOURCE --lake DIR` wrote"
            ) }}
        {%- endif -%}
        {%- do run_query('create database if not exists raw') -%}
        {%- for table in ['conversations', 'messages', 'ingest_issues', 'loads'] -%}
            {%- do run_query(
                'create or replace view raw.' ~ table ~ ' as select * from parquet.`'
                ~ lake.rstrip('/') ~ '/' ~ table ~ '`'
            ) -%}
        {%- endfor -%}
    {%- endif -%}
    select 1 as raw_layer_views_created
{%- endmacro %}
