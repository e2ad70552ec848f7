{#
  Placeholders for the export macros (macros/export_json.sql) on engines that have no
  implementation of their own. dbt renders every model when it parses the project, so each
  dispatched macro needs some implementation on every target before anything builds there.
  These render when parsing and fail with a clear message if a model using them is run:
  the export marts are ported to Spark separately (spark__ versions in export_json.sql,
  which dispatch finds before these defaults); until then a Spark build excludes
  `path:dbt_project/models/marts/export` and `path:dbt_project/models/marts/report`.
  Delete this file when every export macro has a spark__ version.
#}

{% macro export_not_ported(name) -%}
    {%- if execute -%}
        {{ exceptions.raise_compiler_error(
            name ~ " has no implementation for the " ~ target.type ~ " target yet: build with "
            ~ "--exclude path:dbt_project/models/marts/export path:dbt_project/models/marts/report"
        ) }}
    {%- endif -%}
    null
{%- endmacro %}

{% macro default__export_json_object(pairs, keep_nulls=false) -%}{{ tracehouse.export_not_ported('export_json_object') }}{%- endmacro %}
{% macro default__export_json_parse(expression) -%}{{ tracehouse.export_not_ported('export_json_parse') }}{%- endmacro %}
{% macro default__export_json_array(expression) -%}{{ tracehouse.export_not_ported('export_json_array') }}{%- endmacro %}
{% macro default__export_string_agg(expression, separator, order_by) -%}{{ tracehouse.export_not_ported('export_string_agg') }}{%- endmacro %}
{% macro default__export_string_agg_over(expression, separator, window_name) -%}{{ tracehouse.export_not_ported('export_string_agg_over') }}{%- endmacro %}
{% macro default__export_json_array_agg_over(expression, window_name) -%}{{ tracehouse.export_not_ported('export_json_array_agg_over') }}{%- endmacro %}
{% macro default__export_json_keys(expression) -%}{{ tracehouse.export_not_ported('export_json_keys') }}{%- endmacro %}
{% macro default__export_stable_fraction(expression) -%}{{ tracehouse.export_not_ported('export_stable_fraction') }}{%- endmacro %}
{% macro default__export_json_is_python_dumps(expression) -%}{{ tracehouse.export_not_ported('export_json_is_python_dumps') }}{%- endmacro %}
{% macro default__export_preceding_text(expression, partition_by, order_by) -%}{{ tracehouse.export_not_ported('export_preceding_text') }}{%- endmacro %}
{% macro default__export_json_object_flat(pairs) -%}{{ tracehouse.export_not_ported('export_json_object_flat') }}{%- endmacro %}
