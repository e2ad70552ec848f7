"""matplotlib charts rendered to inline SVG strings, deterministic byte for byte.

Each function takes the rows of one report mart (sections.py says which) and the configs,
and returns one `<svg>` element; it arranges the rows, it computes no figure.
Text from the trace data (tool and category names) reaches the SVG only through matplotlib,
which escapes it; the returned markup is the only thing the template marks safe.
"""

from __future__ import annotations

import io
import itertools
import math
import re
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import LinearSegmentedColormap  # noqa: E402

# Okabe-Ito, colour-blind safe; one fixed colour per meaning across every chart.
BLUE, ORANGE, GREEN, VERMILION, PURPLE, SKY, YELLOW, GREY = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#999999",
)
CONFIG_COLOURS = (BLUE, ORANGE, PURPLE, GREEN, SKY, GREY)
OUTCOME_COLOURS = {
    "answered": GREEN,
    "answered_after_unresolved_error": YELLOW,
    "iteration_limit": ORANGE,
    "cut_off": VERMILION,
    "empty": GREY,
}
OUTCOME_LABELS = {
    "answered": "answered",
    "answered_after_unresolved_error": "answered after an unresolved error",
    "iteration_limit": "iteration limit",
    "cut_off": "cut off",
    "empty": "empty",
}
TURN_KIND_COLOURS = {
    "reasoning_and_tool": BLUE,
    "reasoning_only": SKY,
    "tool_only": ORANGE,
    "neither": GREY,
}
TURN_KIND_LABELS = {
    "reasoning_and_tool": "reasoning and tool",
    "reasoning_only": "reasoning only",
    "tool_only": "tool only",
    "neither": "neither",
}
PRECEDED_LABELS = {
    "human": "after a human message",
    "tool_ok": "after a successful result",
    "tool_error": "after a failed result",
}
STATUS_COLOURS = {"ok": BLUE, "error": VERMILION, "no_response": GREY}
HEAT = LinearSegmentedColormap.from_list("tracehouse", ["#FFFFFF", SKY, BLUE, "#08306B"])

WIDTH = 10.0  # inches; at 72 pt per inch the SVG is 720 pt wide, scaled to the column by CSS
STYLE = {
    "svg.hashsalt": "tracehouse",
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "legend.frameon": False,
    "legend.fontsize": 9,
    "figure.dpi": 72,
    "path.simplify": True,
}

_counter = itertools.count()


def config_colour(configs: Sequence[str], config: str) -> str:
    return CONFIG_COLOURS[list(configs).index(config) % len(CONFIG_COLOURS)]


def _figure(panels: int = 1, height: float = 4.0, sharey: bool = False, sharex: bool = False):
    fig, axes = plt.subplots(
        1, max(panels, 1), figsize=(WIDTH, height), squeeze=False, sharey=sharey, sharex=sharex
    )
    return fig, list(axes[0])


def _svg(fig, title: str, legend_room: float = 0.0, layout: bool = True) -> str:
    """The figure as an `<svg>` element with chart-unique ids and an accessible title."""
    fig.suptitle(title, fontsize=12, fontweight="bold", x=0.01, ha="left")
    if layout:
        fig.tight_layout(rect=(0, legend_room, 1, 1))
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    prefix = f"c{next(_counter)}-"
    text = re.sub(r'(\bid="|url\(#|href="#)', lambda m: m.group(1) + prefix, text)
    return text.replace("<svg ", f'<svg role="img" aria-label="{_attr(title)}" ', 1)


def _attr(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )


def reset_ids() -> None:
    """Restart chart-id numbering so that one report's output does not depend on earlier ones."""
    global _counter
    _counter = itertools.count()


def _empty(ax, message: str = "no data yet") -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color=GREY)
    ax.set_xticks([])
    ax.set_yticks([])


def _short(label: str, width: int = 28) -> str:
    label = "(none)" if label is None else str(label)
    return label if len(label) <= width else label[: width - 1] + "…"


def _by_config(rows, configs):
    return {config: [row for row in rows if row["config"] == config] for config in configs}


# ---------------------------------------------------------------- answers


def think_around_tools(rows, configs) -> str:
    """Median think words by what precedes the turn, grouped bars per config."""
    fig, (ax,) = _figure(height=3.8)
    keys = list(PRECEDED_LABELS)
    width = 0.8 / max(len(configs), 1)
    for i, config in enumerate(configs):
        found = {row["preceded_by"]: row for row in rows if row["config"] == config}
        values = [float(found[k]["median_think_words"] or 0) if k in found else 0 for k in keys]
        positions = np.arange(len(keys)) + (i - (len(configs) - 1) / 2) * width
        bars = ax.bar(positions, values, width * 0.92, color=config_colour(configs, config))
        bars.set_label(config)
        for x, value, key in zip(positions, values, keys, strict=True):
            label = f"{value:.0f}" if key in found else "no turns"
            ax.annotate(label, (x, value), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(np.arange(len(keys)), [PRECEDED_LABELS[k] for k in keys])
    ax.set_ylabel("median think length (words per turn)")
    ax.set_xlabel("what the assistant turn follows")
    if rows:
        ax.legend(title="config")
    else:
        _empty(ax)
    return _svg(fig, "Think length before and after tool results")


def completion_by_category(rows, configs) -> str:
    rows = [row for row in rows if not row["is_all_categories"]]
    fig, axes = _figure(
        len(configs), height=max(3.2, 1.2 + 0.42 * _max_categories(rows, configs)), sharey=True
    )
    categories = sorted({row["category"] for row in rows}, reverse=True)
    for ax, config in zip(axes, configs or [""], strict=False):
        found = {row["category"]: row for row in rows if row["config"] == config}
        left = np.zeros(len(categories))
        for outcome, colour in OUTCOME_COLOURS.items():
            shares = np.array(
                [
                    (found[c][outcome] / found[c]["conversations"]) if c in found else 0.0
                    for c in categories
                ]
            )
            ax.barh(
                [_short(c) for c in categories],
                shares * 100,
                left=left * 100,
                color=colour,
                label=OUTCOME_LABELS[outcome],
                edgecolor="white",
                linewidth=0.5,
            )
            left += shares
        ax.set_xlim(0, 100)
        ax.set_xlabel("share of conversations (%)")
        ax.set_title(config)
        if not found:
            _empty(ax)
    axes[0].set_ylabel("category")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=5, bbox_to_anchor=(0.5, -0.01))
    return _svg(fig, "How conversations end, per category", legend_room=0.1)


def _max_categories(rows, configs) -> int:
    return max([len({r["category"] for r in rows})] + [1])


def tool_usage_vs_length(rows, configs) -> str:
    """One dot per (length, tool calls) with its conversations, and each config's trend."""
    fig, (ax,) = _figure(height=4.2)
    for config in configs:
        colour = config_colour(configs, config)
        found = [row for row in rows if row["config"] == config]
        if not found:
            continue
        x = np.array([row["messages"] for row in found], dtype=float)
        y = np.array([row["tool_calls"] for row in found], dtype=float)
        n = np.array([row["conversations"] for row in found], dtype=float)
        ax.scatter(x, y, s=8 + 40 * np.sqrt(n / n.max()), color=colour, alpha=0.45, linewidths=0)
        slope, intercept = found[0]["trend_slope"], found[0]["trend_intercept"]
        if slope is not None and intercept is not None:
            xs = np.array([x.min(), x.max()])
            ax.plot(
                xs,
                intercept + slope * xs,
                color=colour,
                linewidth=2,
                label=f"{config}: {slope:.2f} calls per message",
            )
    ax.set_xlabel("conversation length (messages)")
    ax.set_ylabel("tool calls per conversation")
    if not rows:
        _empty(ax)
    elif ax.get_legend_handles_labels()[0]:
        ax.legend(title="least-squares trend")
    return _svg(fig, "Tool calls against conversation length (dot area: conversations)")


def top_tools(rows, configs, limit: int = 12) -> str:
    fig, axes = _figure(len(configs), height=1.0 + 0.32 * limit)
    for ax, config in zip(axes, configs or [""], strict=False):
        found = [
            row
            for row in rows
            if row["config"] == config and not row["is_all_configs"] and row["call_rank"] <= limit
        ][::-1]
        if not found:
            _empty(ax, "no tool calls yet")
            continue
        names = [_short(row["tool_name"], 22) for row in found]
        ok = np.array(
            [row["calls"] - row["failed_calls"] - row["no_response_calls"] for row in found]
        )
        errors = np.array([row["failed_calls"] for row in found])
        missing = np.array([row["no_response_calls"] for row in found])
        ax.barh(names, ok, color=STATUS_COLOURS["ok"], label="ok")
        ax.barh(names, errors, left=ok, color=STATUS_COLOURS["error"], label="failed")
        ax.barh(
            names,
            missing,
            left=ok + errors,
            color=STATUS_COLOURS["no_response"],
            label="no response",
        )
        for i, row in enumerate(found):
            ax.annotate(
                f" {row['error_rate'] * 100:.0f}% failed",
                (row["calls"], i),
                va="center",
                fontsize=8,
            )
        ax.set_xlim(0, max(row["calls"] for row in found) * 1.3)
        ax.set_xlabel("tool calls")
        ax.set_title(config)
    if axes[0].get_legend_handles_labels()[0]:
        axes[0].legend(loc="lower right")
    return _svg(fig, f"Top {limit} tools by calls, with their failures")


# ---------------------------------------------------------------- more charts


def tool_calls_by_category(rows, configs) -> str:
    fig, (ax,) = _figure(height=4.0)
    categories = sorted({row["category"] for row in rows})
    width = 0.8 / max(len(configs), 1)
    for i, config in enumerate(configs):
        found = {row["category"]: row for row in rows if row["config"] == config}
        values = [float(found[c]["avg_tool_calls"]) if c in found else 0.0 for c in categories]
        positions = np.arange(len(categories)) + (i - (len(configs) - 1) / 2) * width
        ax.bar(positions, values, width * 0.92, color=config_colour(configs, config), label=config)
    ax.set_xticks(
        np.arange(len(categories)), [_short(c, 18) for c in categories], rotation=25, ha="right"
    )
    ax.set_ylabel("tool calls per conversation (mean)")
    ax.set_xlabel("category")
    if rows:
        ax.legend(title="config")
    else:
        _empty(ax)
    return _svg(fig, "Tool calls per conversation, by category")


def length_histogram(rows, configs) -> str:
    fig, axes = _figure(len(configs), height=3.4, sharey=True)
    for ax, config in zip(axes, configs or [""], strict=False):
        found = [row for row in rows if row["config"] == config]
        if not found:
            _empty(ax)
            continue
        ax.bar(
            [row["messages"] for row in found],
            [row["conversations"] for row in found],
            width=0.9,
            color=config_colour(configs, config),
        )
        ax.set_xlabel("conversation length (messages)")
        ax.set_title(config)
    axes[0].set_ylabel("conversations")
    return _svg(fig, "Conversation length")


def turn_kind_mix(rows, configs) -> str:
    categories = sorted({row["category"] for row in rows}, reverse=True)
    fig, axes = _figure(len(configs), height=max(3.2, 1.2 + 0.42 * len(categories)), sharey=True)
    for ax, config in zip(axes, configs or [""], strict=False):
        found = {
            (row["category"], row["turn_kind"]): row["share_of_turns"]
            for row in rows
            if row["config"] == config
        }
        left = np.zeros(len(categories))
        for kind, colour in TURN_KIND_COLOURS.items():
            shares = np.array([float(found.get((c, kind), 0.0)) for c in categories])
            ax.barh(
                [_short(c) for c in categories],
                shares * 100,
                left=left * 100,
                color=colour,
                label=TURN_KIND_LABELS[kind],
                edgecolor="white",
                linewidth=0.5,
            )
            left += shares
        ax.set_xlim(0, 100)
        ax.set_xlabel("share of assistant turns (%)")
        ax.set_title(config)
        if not found:
            _empty(ax)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4)
    return _svg(fig, "What assistant turns do, per category", legend_room=0.1)


def parallel_width(rows, configs) -> str:
    fig, (ax,) = _figure(height=3.4)
    widths = sorted({row["parallel_width"] for row in rows})
    bar = 0.8 / max(len(configs), 1)
    for i, config in enumerate(configs):
        found = {
            row["parallel_width"]: row["share_of_calling_turns"]
            for row in rows
            if row["config"] == config
        }
        values = [float(found.get(w) or 0) * 100 for w in widths]
        positions = np.arange(len(widths)) + (i - (len(configs) - 1) / 2) * bar
        ax.bar(positions, values, bar * 0.92, color=config_colour(configs, config), label=config)
    ax.set_xticks(np.arange(len(widths)), [str(w) for w in widths])
    ax.set_xlabel("tool calls in one assistant turn (parallel width)")
    ax.set_ylabel("share of calling turns (%)")
    if rows:
        ax.legend(title="config")
    else:
        _empty(ax, "no tool calls yet")
    return _svg(fig, "Parallel tool calls per turn")


def transitions(rows, configs) -> str:
    """Heatmap of the next tool called (share of the calls after each tool), the same top
    tools (the mart's ranks) for every config."""
    fig, axes = _figure(len(configs), height=5.0)
    ranked = {row["from_tool_rank"]: row["from_tool"] for row in rows}
    ranked.update({row["to_tool_rank"]: row["to_tool"] for row in rows})
    names = [ranked[rank] for rank in sorted(ranked)]
    index = {name: i for i, name in enumerate(names)}
    image = None
    for ax, config in zip(axes, configs or [""], strict=False):
        found = [row for row in rows if row["config"] == config]
        if not found:
            _empty(ax, "no tool-to-tool transitions yet")
            continue
        shares = np.zeros((len(names), len(names)))
        for row in found:
            shares[index[row["from_tool"]], index[row["to_tool"]]] = row["share_of_from_tool"] * 100
        image = ax.imshow(shares, cmap=HEAT, vmin=0, vmax=100, aspect="auto")
        labels = [_short(name, 16) for name in names]
        ax.set_xticks(range(len(names)), labels, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(len(names)), labels if ax is axes[0] else [], fontsize=8)
        ax.set_xlabel("next tool called")
        ax.set_title(config)
    axes[0].set_ylabel("tool called")
    fig.suptitle(
        "Which tool follows which (top tools, row shares)",
        fontsize=12,
        fontweight="bold",
        x=0.01,
        ha="left",
    )
    fig.tight_layout(rect=(0, 0, 0.92, 1))
    if image is not None:
        bar = fig.add_axes((0.93, 0.3, 0.015, 0.55))
        fig.colorbar(image, cax=bar, label="share of next calls (%)")
    return _svg(fig, "Which tool follows which (top tools, row shares)", layout=False)


def step_sequences(rows, configs, positions: int = 40) -> str:
    """Heatmap of step kind (rows) by 1-based step position (columns), one panel per config."""
    fig, axes_grid = plt.subplots(
        max(len(configs), 1), 1, figsize=(WIDTH, 0.6 + 3.4 * max(len(configs), 1)), squeeze=False
    )
    axes = [row[0] for row in axes_grid]
    steps = sorted({row["step_kind"] for row in rows}, key=_step_order)
    for ax, config in zip(axes, configs or [""], strict=False):
        found = [row for row in rows if row["config"] == config]
        if not found:
            _empty(ax, "no steps yet")
            continue
        index = {step: i for i, step in enumerate(steps)}
        matrix = np.zeros((len(steps), positions))
        for row in found:
            matrix[index[row["step_kind"]], row["step_position"] - 1] = (
                row["share_at_position"] * 100
            )
        image = ax.imshow(
            matrix, cmap=HEAT, vmin=0, vmax=100, aspect="auto", interpolation="nearest"
        )
        ax.set_yticks(range(len(steps)), [_step_label(s) for s in steps], fontsize=8)
        ticks = list(range(0, positions, 5))
        ax.set_xticks(ticks, [str(t + 1) for t in ticks])
        ax.set_xlabel("step position in the conversation (1 = first step)")
        ax.set_title(config)
        fig.colorbar(image, ax=ax, label="share of steps at that position (%)", pad=0.01)
    return _svg(fig, "Reasoning step sequences: what happens at each step")


def _step_order(step: str):
    order = ["think", "call", "response_ok", "response_failed", "answer"]
    for i, prefix in enumerate(order):
        if step == prefix or step.startswith(prefix + ":"):
            return (i, step == "call:(other tools)", step)
    return (len(order), False, step)


def _step_label(step: str) -> str:
    if step.startswith("call:"):
        return _short("call " + step[5:], 24)
    return step.replace("_", " ")


def reasoning_depth(rows, configs) -> str:
    categories = sorted({row["category"] for row in rows})
    fig, (ax,) = _figure(height=4.2)
    width = 0.8 / max(len(configs), 1)
    for i, config in enumerate(configs):
        found = {row["category"]: row for row in rows if row["config"] == config}
        stats, positions = [], []
        for j, category in enumerate(categories):
            if category not in found:
                continue
            row = found[category]
            stats.append(
                {
                    "med": row["median_think_words"],
                    "q1": row["p25_think_words"],
                    "q3": row["p75_think_words"],
                    "whislo": row["p10_think_words"],
                    "whishi": row["p90_think_words"],
                    "mean": row["mean_think_words"],
                    "fliers": [],
                    "label": "",
                }
            )
            positions.append(j + (i - (len(configs) - 1) / 2) * width)
        if stats:
            colour = config_colour(configs, config)
            ax.bxp(
                stats,
                positions=positions,
                widths=width * 0.8,
                showmeans=True,
                patch_artist=True,
                manage_ticks=False,
                boxprops={"facecolor": colour, "alpha": 0.6, "edgecolor": colour},
                medianprops={"color": "black"},
                meanprops={
                    "marker": "D",
                    "markerfacecolor": "white",
                    "markeredgecolor": "black",
                    "markersize": 4,
                },
            )
            ax.plot([], [], color=colour, linewidth=8, alpha=0.6, label=config)
    ax.set_xticks(
        np.arange(len(categories)), [_short(c, 18) for c in categories], rotation=25, ha="right"
    )
    ax.set_xlabel("category")
    ax.set_ylabel("think length (words per reasoning turn)")
    if rows:
        ax.legend(title="config", loc="upper left", bbox_to_anchor=(1.0, 1.0))
        ax.text(
            1.01,
            0.55,
            "box: quartiles\nwhiskers: p10–p90\nline: median\n◇: mean",
            transform=ax.transAxes,
            fontsize=8,
            va="top",
            color="#5b6475",
        )
    else:
        _empty(ax)
    return _svg(fig, "Reasoning depth per category")


def length_distributions(rows, configs) -> str:
    """Share of items per quarter-decade length bin, one step line per config."""
    kinds = ["think", "tool call", "answer"]
    fig, axes = _figure(3, height=3.4)
    for ax, kind in zip(axes, kinds, strict=True):
        any_data = False
        for config in configs:
            found = [row for row in rows if row["config"] == config and row["length_kind"] == kind]
            if not found:
                continue
            any_data = True
            total = found[0]["kind_items"]
            counts = {row["length_bin"]: row["items"] for row in found}
            first, last = min(counts), max(counts)
            steps = range(first, last + 1)
            shares = [counts.get(step, 0) / total * 100 for step in steps]
            edges = [10 ** (step / 4) for step in range(first, last + 2)]
            ax.stairs(
                shares,
                edges,
                color=config_colour(configs, config),
                linewidth=1.6,
                label=f"{config} (median {found[0]['median_chars']:,.0f})",
            )
        ax.set_xscale("log")
        # plain labels ("1k"), not the log formatter's mathtext ("$10^{3}$"), whose parser
        # cost more than the rest of the chart; no minor ticks (they only added unlabelled
        # marks and text layout work)
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(_power_of_ten_label))
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        ax.set_xlabel("characters (log scale)")
        ax.set_title(kind)
        if any_data:
            ax.legend(fontsize=8)
        else:
            _empty(ax)
    axes[0].set_ylabel("share of items (%)")
    return _svg(fig, "Length of thinking, tool calls (their JSON) and answers")


def _power_of_ten_label(value: float, _position: int | None = None) -> str:
    """A log axis's tick label: 1, 10, 100, 1k ... 100M."""
    for factor, suffix in ((1e6, "M"), (1e3, "k")):
        if value >= factor:
            return f"{value / factor:g}{suffix}"
    return f"{value:g}"


def nice_number(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"
