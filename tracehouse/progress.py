"""Progress bars on long work, quiet with --quiet and when stderr is not a terminal."""

from __future__ import annotations

import sys

from tqdm import tqdm


def progress_bar(total: int | None, desc: str, unit: str, quiet: bool) -> tqdm:
    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        unit_scale=True,
        dynamic_ncols=True,
        leave=True,
        disable=quiet or not sys.stderr.isatty(),
        file=sys.stderr,
    )


def say(message: str, quiet: bool = False) -> None:
    """A status line for humans, on stderr so stdout stays clean for data."""
    if not quiet:
        print(message, file=sys.stderr)


def quiet_libraries(quiet: bool) -> None:
    """`datasets` draws its own bars; keep them to interactive, non-quiet runs. It also logs
    the errors it then raises (a broken JSON line, say), which ingest reports as one line: its
    log shows only what it cannot raise."""
    import datasets

    datasets.logging.set_verbosity(datasets.logging.CRITICAL)

    if quiet or not sys.stderr.isatty():
        datasets.disable_progress_bars()
    else:
        datasets.enable_progress_bars()
