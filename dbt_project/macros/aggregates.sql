{# Aggregate and window helpers whose spelling differs between engines. #}

{# Continuous quantile (linear interpolation, as numpy's default). #}
{% macro quantile(expression, fraction) -%}
    {{ return(adapter.dispatch('quantile', 'tracehouse')(expression, fraction)) }}
{%- endmacro %}

{% macro default__quantile(expression, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__quantile(expression, fraction) -%}
    quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}

{#
  Least-squares slope of y on x. DuckDB's is NaN when every x is the same (0 / 0); Spark's
  is null there: spark__regr_slope gives NaN too, so the marts agree.
#}
{% macro regr_slope(y, x) -%}
    {{ return(adapter.dispatch('regr_slope', 'tracehouse')(y, x)) }}
{%- endmacro %}

{% macro default__regr_slope(y, x) -%}
    regr_slope({{ y }}, {{ x }})
{%- endmacro %}

{# The last non-null value of a window frame: `{{ last_non_null('x') }} over (...)`. #}
{% macro last_non_null(expression) -%}
    {{ return(adapter.dispatch('last_non_null', 'tracehouse')(expression)) }}
{%- endmacro %}

{% macro default__last_non_null(expression) -%}
    last_value({{ expression }} ignore nulls)
{%- endmacro %}
