{# Spark versions of macros/aggregates.sql (quantile and the CTE hints use the defaults). #}

{# `last_value(x ignore nulls)` is not Spark syntax; the second argument is ignoreNulls. #}
{% macro spark__last_non_null(expression) -%}
    last_value({{ expression }}, true)
{%- endmacro %}

{% macro spark__regr_slope(y, x) -%}
    case
        when regr_sxx({{ y }}, {{ x }}) = 0 then cast('NaN' as double)
        else regr_slope({{ y }}, {{ x }})
    end
{%- endmacro %}
