"""Arguments shared by several commands."""

from __future__ import annotations

import argparse
import os
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

from tracehouse.errors import UserError
from tracehouse.warehouse import DB_ENV, default_db_path


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        type=warehouse_file,
        default=None,
        metavar="PATH",
        help=f"warehouse file (default: ${DB_ENV}, else warehouse.duckdb at the repository root)",
    )


def add_quiet_argument(
    parser: argparse.ArgumentParser, help: str = "no progress bars, status or summary lines"
) -> None:
    parser.add_argument("-q", "--quiet", action="store_true", help=help)


def add_allow_stale_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-stale",
        action="store_true",
        help="use the marts even when they do not reflect the raw layer (loads ingested since "
        "the last build, or a failed last build); refused by default",
    )


def warehouse_file(text: str) -> Path:
    """An argparse type: the warehouse's file. An empty path is refused (Path turns it into
    `.`, the current folder, which DuckDB then failed to open), and so is a folder: a path
    ending in a separator, which Path would silently turn into a file of the folder's name,
    or an existing folder."""
    if not text:
        raise argparse.ArgumentTypeError("must not be empty; give the warehouse file")
    if text.endswith(("/", os.sep)) or Path(text).is_dir():
        example = Path(text) / "warehouse.duckdb"
        raise argparse.ArgumentTypeError(
            f"{text} names a folder; give the warehouse file, e.g. {example}"
        )
    return Path(text)


def plain_name(text: str) -> str:
    """An argparse type: a name that is not empty or only white space, and holds no control
    characters (a newline in a name would split every message that quotes it)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    if any(unicodedata.category(char) == "Cc" for char in text):
        raise argparse.ArgumentTypeError(f"must not contain control characters, got {text!r}")
    return text


def whole_number(minimum: int = 1, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number from `minimum` to `maximum` (if given)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum:,}, got {value}")
        return value

    return parse


positive_int = whole_number(1)  # a whole number of at least 1


def db_path(args: argparse.Namespace) -> Path:
    return args.db if args.db is not None else default_db_path()


def warehouse_files(db: Path) -> dict[Path, str]:
    """The files of the warehouse `db`: the database and DuckDB's write-ahead log beside it."""
    return {db: "the warehouse", db.with_name(db.name + ".wal"): "the warehouse's write-ahead log"}


def same_file(a: Path, b: Path) -> bool:
    """Whether `a` and `b` name one file: the same inode when both exist (hard links,
    symbolic links, case-insensitive folders), else the same resolved path."""
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
        return a.resolve() == b.resolve()
    except OSError:
        return False


def warehouse_file_role(path: Path, db: Path) -> str | None:
    """What `path` is of the warehouse `db` ("the warehouse", its write-ahead log), or None."""
    for file, role in warehouse_files(db).items():
        if same_file(path, file):
            return role
    return None


def refuse_writing_over_warehouse(db: Path, out: Path, paths: Iterable[Path]) -> None:
    """Fail, before anything is written, when `out` or any file written for it (`paths`,
    temporary files included) is the warehouse `db` or its write-ahead log: the command
    would replace the data it reads with its own output."""
    for path in paths:
        role = warehouse_file_role(path, db)
        if role is not None:
            what = "is" if same_file(path, out) else f"would write {path}, which is"
            raise UserError(
                f"--out {out} {what} {role} ({db}); give an output path outside the warehouse"
            )
