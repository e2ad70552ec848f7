"""The `tracehouse` command line: thin; it parses arguments and calls the modules that work."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import NoReturn

from tracehouse.commands import build, export, generate, ingest, report, run, sql
from tracehouse.errors import UserError, is_interruption
from tracehouse.ingest.errors import IngestError

COMMANDS = (generate, ingest, build, report, export, sql, run)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tracehouse",
        description="A SQL-first analytics warehouse for AI agent reasoning traces.",
        epilog="Run `tracehouse <command> --help` for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="<command>", required=True)
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # named by the command's own usage, as argparse would for a single command
        (subparsers,) = [
            action for action in parser._actions if isinstance(action, argparse._SubParsersAction)
        ]
        hint = " (dbt's own arguments go after `--`)" if args.command == "build" else ""
        subparsers.choices[args.command].error(f"unrecognized arguments: {' '.join(unknown)}{hint}")
    # dbt prints through Python's logging. Once stdout's reader is gone (`tracehouse build |
    # head`), each line it logged put a "--- Logging error ---" traceback on stderr, 4,667
    # lines for a 1x build. With this switch off (the logging module's, for applications), a
    # failed write is dropped: the build runs to its end, and tracehouse's own next write ends
    # it quietly (BrokenPipeError below).
    logging.raiseExceptions = False
    try:
        return args.handler(args) or 0
    except (UserError, IngestError) as exc:
        print(f"tracehouse {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        _interrupted(args.command)
    except BrokenPipeError:
        # The reader of stdout is gone (`tracehouse sql ... | head`): that is its choice, not
        # an error. Point stdout at /dev/null so that the flush at exit cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        if is_interruption(exc):  # Ctrl-C inside a DuckDB query or a library that wraps it
            _interrupted(args.command)
        raise


def _interrupted(command: str) -> NoReturn:
    """Ctrl-C: one line and the shell's exit status for SIGINT (a failed ingest or build
    leaves the warehouse as it was, or its build record unfinished).

    The process ends here, without Python's finalization: an interrupted read can leave an
    Arrow thread that releases a Python file object while the interpreter shuts down, which
    aborts the process ("terminate called without an active exception", SIGABRT; 1 in about
    15 interrupted ingests, core dump: pyarrow's PyReadableFile destructor taking the GIL).
    Every `with` and `finally` on the way here has run: the warehouse is closed, temporary
    folders are gone."""
    print(f"tracehouse {command}: interrupted", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(130)


def _version() -> str:
    try:
        return version("tracehouse")
    except PackageNotFoundError:
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
