"""Errors a user can cause and fix: the CLI prints their message as one line and exits 1."""


class UserError(Exception):
    """Raised with a message that names what was wrong and, where it helps, what to do."""


def is_interruption(exc: BaseException | None) -> bool:
    """Whether `exc` is the user's Ctrl-C: a KeyboardInterrupt, DuckDB's InterruptException,
    or an error raised because of one. DuckDB 1.5 turns a KeyboardInterrupt during an Arrow
    scan into `RuntimeError: Query interrupted` (caused by it) or into a plain
    `duckdb.Error: KeyboardInterrupt: ...` (its text only); dbt's libraries wrap it in their
    own errors."""
    import duckdb

    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, (KeyboardInterrupt, duckdb.InterruptException)):
            return True
        if isinstance(exc, duckdb.Error) and str(exc).startswith("KeyboardInterrupt"):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False
