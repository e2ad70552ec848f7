"""How numbers read on the page: thousands separators, percentages, and counted nouns."""

from __future__ import annotations


def num(value) -> str:
    """1,234 for counts; one decimal below 100 and none above for fractional values."""
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{int(value):,}"


def pct(value) -> str:
    if value is None:
        return "–"
    if value == 0:
        return "0%"
    return f"{value * 100:.1f}%" if value * 100 < 10 else f"{value * 100:.0f}%"


def many(value, noun: str, plural: str | None = None) -> str:
    """ "1 conversation", "2 conversations", "1,234 tool calls": the count and its noun, the
    noun's last word made plural unless the count is one."""
    if value is None:
        return f"– {plural or noun + 's'}"
    return f"{num(value)} {noun if value == 1 else plural or noun + 's'}"
