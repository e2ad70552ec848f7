"""Tool call arguments and tool results (successes and failures of every error_kind).

Each failure builder is labelled with the `error_kind` that the strict rules in
`dbt_project/models/_definitions.md` give it, taking the rule order into account: for example
`{"success": false, "error": "..."}` is an `error_field` failure (rule 2 before rule 3), and a
traceback printed with a non-zero exit code is an `exit_code` failure.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from tracehouse.sample.text import (
    COMMANDS,
    FILE_PATHS,
    HOSTILE_HTML,
    MODULE_TRACEBACK,
    PAGE_TITLES,
    SUBJECTS,
    TRACEBACK,
    command_output,
    file_body,
    file_excerpt,
    reasoning_text,
    snapshot_text,
)

Args = dict[str, Any]
Content = dict[str, Any] | str

URLS = (
    "https://example.com",
    "https://news.ycombinator.com",
    "https://github.com/nousresearch/hermes-agent",
    "https://docs.python.org/3/",
    "https://example.com/pricing",
    "http://localhost:8000/comments",
)
SKILLS = ("docker-build-optimization", "git-workflows", "log-analyzer", "webhook-subscriptions")
PATTERNS = ("def load_", "TODO", "staging", "DATABASE_URL", "import yaml", "*config*", "*.py")


def _hex(rng: random.Random, digits: int) -> str:
    return f"{rng.getrandbits(4 * digits):0{digits}x}"


# --- arguments ------------------------------------------------------------------------------


def terminal_args(rng: random.Random, scale: float) -> Args:
    command = rng.choice(COMMANDS)[0]
    args: Args = {"command": command}
    if rng.random() < 0.3:
        # None: agents do send explicit nulls ("timeout": null), which exports must keep.
        args["timeout"] = rng.choice((30, 60, 120, 300, None))
    return args


def read_file_args(rng: random.Random, scale: float) -> Args:
    args: Args = {"path": rng.choice(FILE_PATHS)}
    if rng.random() < 0.3:
        args["offset"] = rng.randint(1, 400)
        args["limit"] = rng.choice((50, 100, 200))
    return args


def write_file_args(rng: random.Random, scale: float) -> Args:
    return {"path": rng.choice(FILE_PATHS), "content": file_body(rng, int(160 * scale))}


def search_files_args(rng: random.Random, scale: float) -> Args:
    pattern = rng.choice(PATTERNS)
    target = "files" if pattern.startswith("*") else "content"
    return {"pattern": pattern, "target": target, "path": "."}


def patch_args(rng: random.Random, scale: float) -> Args:
    return {
        "mode": "replace",
        "path": rng.choice(FILE_PATHS),
        "old_string": "    return Settings(**data)",
        "new_string": "    return Settings(**{k: v for k, v in data.items() if k in FIELDS})",
    }


def process_args(rng: random.Random, scale: float) -> Args:
    return {"action": rng.choice(("poll", "wait", "log")), "session_id": f"proc_{_hex(rng, 8)}"}


def todo_args(rng: random.Random, scale: float) -> Args:
    items = [
        {"id": str(n), "content": f"Check {subject}", "status": status}
        for n, (subject, status) in enumerate(
            zip(
                rng.sample(SUBJECTS, 4),
                ("completed", "in_progress", "pending", "pending"),
                strict=True,
            ),
            1,
        )
    ]
    return {"todos": items}


def execute_code_args(rng: random.Random, scale: float) -> Args:
    code = (
        "from hermes_tools import terminal, read_file\n"
        "result = terminal('ls -la')\n"
        "for line in result['output'].splitlines()[:20]:\n"
        "    print(line)\n"
    )
    return {"code": code}


def _simple(builder: Callable[[random.Random], Args]) -> Callable[[random.Random, float], Args]:
    return lambda rng, scale: builder(rng)


ARGUMENTS: dict[str, Callable[[random.Random, float], Args]] = {
    "terminal": terminal_args,
    "read_file": read_file_args,
    "write_file": write_file_args,
    "search_files": search_files_args,
    "patch": patch_args,
    "process": process_args,
    "todo": todo_args,
    "execute_code": execute_code_args,
    "clarify": _simple(
        lambda rng: {
            "question": "Which environment should I deploy to?",
            "choices": ["staging", "production"],
        }
    ),
    "delegate_task": _simple(
        lambda rng: {"goal": f"Review {rng.choice(SUBJECTS)}", "context": "Project in ~/project"}
    ),
    "memory": _simple(
        lambda rng: {"action": "add", "target": "memory", "content": "Project uses Python 3.11"}
    ),
    "session_search": _simple(lambda rng: {"query": rng.choice(("staging deploy", "coding"))}),
    "skill_manage": _simple(
        lambda rng: {"action": "create", "name": "deploy-checklist", "content": "---\nname: x\n"}
    ),
    "skill_view": _simple(lambda rng: {"name": rng.choice(SKILLS)}),
    "skills_list": _simple(lambda rng: {"category": "devops"}),
    "browser_navigate": _simple(lambda rng: {"url": rng.choice(URLS)}),
    "browser_snapshot": _simple(lambda rng: {}),
    "browser_click": _simple(lambda rng: {"ref": f"@e{rng.randint(1, 60)}"}),
    "browser_type": _simple(lambda rng: {"ref": f"@e{rng.randint(1, 60)}", "text": "hermes"}),
    "browser_scroll": _simple(lambda rng: {"direction": rng.choice(("down", "up"))}),
    "browser_back": _simple(lambda rng: {}),
    "browser_press": _simple(lambda rng: {"key": rng.choice(("Enter", "Tab", "Escape"))}),
    "browser_close": _simple(lambda rng: {}),
    "browser_get_images": _simple(lambda rng: {}),
    "browser_vision": _simple(lambda rng: {"question": "What does the main chart show?"}),
    "browser_console": _simple(lambda rng: {}),
}


def arguments(rng: random.Random, tool: str, scale: float) -> Args:
    """Plausible arguments for a declared tool (`scale` stretches long values)."""
    return ARGUMENTS[tool](rng, scale)


# --- successful results ---------------------------------------------------------------------


def terminal_ok(rng: random.Random, args: Args, scale: float, hostile: bool) -> Content:
    if hostile:
        return {"output": HOSTILE_HTML, "exit_code": 0, "error": None}
    pool = dict(COMMANDS).get(args.get("command", ""), "logs")
    output = command_output(rng, pool, int(60 * scale))
    return {"output": output, "exit_code": 0, "error": None}


def read_file_ok(rng: random.Random, args: Args, scale: float, hostile: bool) -> Content:
    content, total = file_excerpt(rng, int(120 * scale))
    return {"content": content, "total_lines": total}


def write_file_ok(rng: random.Random, args: Args, scale: float, hostile: bool) -> Content:
    size = len(str(args.get("content", "")).encode("utf-8"))
    return {"bytes_written": size, "dirs_created": rng.random() < 0.2}


def search_files_ok(rng: random.Random, args: Args, scale: float, hostile: bool) -> Content:
    count = rng.choice((0, 0, rng.randint(1, 40)))
    if count == 0:
        return {"total_count": 0}
    if args.get("target") == "files":
        return {"total_count": count, "files": rng.sample(FILE_PATHS, min(count, 10))}
    matches = [
        {"path": rng.choice(FILE_PATHS), "line": rng.randint(1, 900), "content": "def load_x():"}
        for _ in range(min(count, 15))
    ]
    return {"total_count": count, "matches": matches}


def patch_ok(rng: random.Random, args: Args, scale: float, hostile: bool) -> Content:
    path = args.get("path", "app/config.py")
    line = rng.randint(10, 400)
    diff = (
        f"--- a/{path}\n+++ b/{path}\n@@ -{line},3 +{line},3 @@\n"
        f"     data = json.loads(path.read_text())\n-{args.get('old_string', '')}\n"
        f"+{args.get('new_string', '')}\n "
    )
    return {"success": True, "diff": diff}


def process_ok(rng: random.Random, args: Args, scale: float, hostile: bool) -> Content:
    status = rng.choice(("running", "exited"))
    output = command_output(rng, "logs", int(20 * scale))
    return {"session_id": args.get("session_id", ""), "status": status, "output": output}


def todo_ok(rng: random.Random, args: Args, scale: float, hostile: bool) -> Content:
    todos = args.get("todos", [])
    return {"todos": todos, "summary": {"total": len(todos), "completed": 1, "pending": 2}}


def execute_code_ok(rng: random.Random, args: Args, scale: float, hostile: bool) -> Content:
    output = command_output(rng, "listing", int(20 * scale))
    return {"status": "success", "output": output, "tool_calls_made": rng.randint(1, 6)}


def delegate_ok(rng: random.Random, args: Args, scale: float, hostile: bool) -> Content:
    summary = reasoning_text(rng, (), int(80 * scale)).strip()
    result = {"task_index": 0, "status": "completed", "summary": summary}
    return {"results": [result], "total_duration_seconds": round(rng.uniform(5, 200), 2)}


def skills_list_ok(rng: random.Random, args: Args, scale: float, hostile: bool) -> Content:
    skills = [{"name": name, "category": "devops"} for name in SKILLS]
    return {"success": True, "skills": skills, "categories": ["devops"], "count": len(skills)}


def snapshot_ok(rng: random.Random, args: Args, scale: float, hostile: bool) -> Content:
    text = snapshot_text(rng, int(80 * scale), hostile)
    return {"success": True, "snapshot": text, "element_count": text.count("[ref=")}


def _fixed(content: Content) -> Callable[[random.Random, Args, float, bool], Content]:
    return lambda rng, args, scale, hostile: content


OK_RESULTS: dict[str, Callable[[random.Random, Args, float, bool], Content]] = {
    "terminal": terminal_ok,
    "read_file": read_file_ok,
    "write_file": write_file_ok,
    "search_files": search_files_ok,
    "patch": patch_ok,
    "process": process_ok,
    "todo": todo_ok,
    "execute_code": execute_code_ok,
    "delegate_task": delegate_ok,
    "skills_list": skills_list_ok,
    "browser_snapshot": snapshot_ok,
    "memory": _fixed({"success": True, "message": "Entry added to memory."}),
    "session_search": _fixed({"success": True, "results": [], "count": 0}),
    "skill_manage": _fixed({"success": True, "message": "Skill 'deploy-checklist' created."}),
    "skill_view": _fixed({"success": True, "content": "---\nname: git-workflows\n---\n# Git"}),
    "browser_navigate": lambda rng, args, scale, hostile: {
        "success": True,
        "url": args.get("url", URLS[0]),
        "title": rng.choice(PAGE_TITLES),
    },
    "browser_click": lambda rng, args, scale, hostile: {"success": True, "clicked": args["ref"]},
    "browser_type": lambda rng, args, scale, hostile: {"success": True, "typed": args["text"]},
    "browser_scroll": lambda rng, args, scale, hostile: {
        "success": True,
        "scrolled": args["direction"],
    },
    "browser_press": lambda rng, args, scale, hostile: {"success": True, "pressed": args["key"]},
    "browser_back": _fixed({"success": True, "url": URLS[0]}),
    "browser_close": _fixed({"success": True, "closed": True}),
    "browser_get_images": _fixed(
        {"success": True, "images": [{"src": "/logo.png", "alt": "logo"}], "count": 1}
    ),
    "browser_vision": _fixed({"success": True, "analysis": "A bar chart of monthly revenue."}),
    "browser_console": _fixed({"success": True, "console_messages": [], "js_errors": []}),
    "clarify": _fixed({"error": "Clarify tool is not available in this execution context."}),
}
# Tools whose result is always a failure (the harness cannot run them here).
ALWAYS_FAILS = {"clarify": "error_field"}


def ok_result(rng: random.Random, tool: str, args: Args, scale: float, hostile: bool) -> Content:
    """A successful result for a declared tool; `hostile` puts raw HTML in page content."""
    return OK_RESULTS[tool](rng, args, scale, hostile)


# --- failures -------------------------------------------------------------------------------

FailureBuilder = Callable[[random.Random, Args], Content]


def _terminal_exit_code(rng: random.Random, args: Args) -> Content:
    command = str(args.get("command", "make")).split()[0]
    code, output, error = rng.choice(
        (
            (127, f"bash: {command}: command not found", None),
            (1, "FAILED tests/test_config.py::test_load_missing - AssertionError", None),
            (1, MODULE_TRACEBACK, None),
            (2, "ls: cannot access 'dist': No such file or directory", None),
            (-1, "", "Command timed out after 180 seconds"),
        )
    )
    return {"output": output, "exit_code": code, "error": error}


FAILURES: dict[str, dict[str, FailureBuilder]] = {
    "terminal": {
        "exit_code": _terminal_exit_code,
        "traceback": lambda rng, args: {
            "output": "Running checks...\n" + TRACEBACK,
            "exit_code": 0,
            "error": None,
        },
        "error_field": lambda rng, args: {
            "output": "",
            "exit_code": None,
            "error": "Command denied: the user did not approve this command.",
        },
    },
    "read_file": {
        "error_field": lambda rng, args: {
            "error": f"File not found: {args.get('path', 'x')}",
            "similar_files": list(FILE_PATHS[:3]),
        },
    },
    "write_file": {
        "error_field": lambda rng, args: {"error": "Permission denied: '/etc/app/config.yaml'"},
        # An empty `error` is not a failure by itself: rule 3 decides.
        "success_false": lambda rng, args: {"bytes_written": 0, "success": False, "error": ""},
    },
    "search_files": {
        "error_field": lambda rng, args: {"error": "Invalid regex pattern: unterminated set"},
    },
    "patch": {
        "error_field": lambda rng, args: {
            "success": False,
            "error": f"Could not find a match for old_string in {args.get('path', 'x')}",
        },
        "success_false": lambda rng, args: {
            "success": False,
            "diff": "",
            "message": "No changes made: old_string and new_string are identical.",
        },
    },
    "process": {
        "status_error": lambda rng, args: rng.choice(
            (
                {"session_id": args.get("session_id"), "status": "error", "message": "Not found"},
                {"session_id": args.get("session_id"), "status": "Failed", "output": "Killed"},
            )
        ),
    },
    "execute_code": {
        # `status` (rule 4) wins over the traceback in `output` (rule 5).
        "status_error": lambda rng, args: {"status": "error", "output": TRACEBACK, "error": None},
        "traceback": lambda rng, args: {"status": "success", "output": MODULE_TRACEBACK},
    },
    "delegate_task": {
        "status_error": lambda rng, args: {"status": "error", "error": None, "results": []},
    },
    "clarify": {
        "error_field": lambda rng, args: {
            "error": "Clarify tool is not available in this execution context."
        },
    },
    "memory": {
        "error_field": lambda rng, args: {
            "success": False,
            "error": "Memory is disabled in this environment.",
        },
        "success_false": lambda rng, args: {"success": False, "message": "No entry matched."},
    },
    "session_search": {
        "error_field": lambda rng, args: {
            "success": False,
            "error": "Session database not available.",
        },
    },
    "skill_manage": {
        "success_false": lambda rng, args: {"success": False, "message": "Skill already exists."},
    },
    "skill_view": {
        "error_field": lambda rng, args: {"success": False, "error": "Skill not found."},
    },
    "skills_list": {
        "success_false": lambda rng, args: {"success": False, "skills": [], "count": 0},
    },
    "browser_navigate": {
        # `success: false` (rule 3) is checked before `status` (rule 4).
        "success_false": lambda rng, args: {
            "success": False,
            "status": "error",
            "message": "net::ERR_NAME_NOT_RESOLVED",
        },
    },
    "browser_vision": {
        "status_error": lambda rng, args: {"status": "ERROR", "message": "Vision unavailable"},
    },
}
for _tool in (
    "browser_snapshot",
    "browser_click",
    "browser_type",
    "browser_scroll",
    "browser_back",
    "browser_press",
    "browser_close",
    "browser_get_images",
    "browser_console",
    "browser_navigate",
):
    FAILURES.setdefault(_tool, {})["error_field"] = lambda rng, args: {
        "success": False,
        "error": "Element not found or not interactable",
    }

ERROR_TEXTS = (
    "Error: tool execution timed out after 180 seconds",
    "error: connection reset by peer",
    "Error executing tool: unexpected keyword argument 'recursive'",
)


# Kinds that dominate a tool's natural failures (others weigh 1): most terminal failures are
# a non-zero exit code.
FAILURE_WEIGHTS = {("terminal", "exit_code"): 10.0, ("terminal", "traceback"): 1.5}


def failure_kinds(tool: str) -> tuple[str, ...]:
    """The error kinds this tool can produce (`error_text` is possible for every tool)."""
    return (*FAILURES.get(tool, {}), "error_text")


def natural_failure_kind(rng: random.Random, tool: str) -> str:
    """The kind of an unplanned failure: the tool's own kinds, rarely a plain-text error."""
    kinds = tuple(FAILURES.get(tool, {})) or ("error_text",)
    if rng.random() < 0.03:
        return "error_text"
    weights = [FAILURE_WEIGHTS.get((tool, kind), 1.0) for kind in kinds]
    return rng.choices(kinds, weights=weights)[0]


def failure_result(rng: random.Random, tool: str, args: Args, kind: str) -> Content:
    """A failed result of the given error_kind; `error_text` is a plain-string content."""
    if kind == "error_text":
        return rng.choice(ERROR_TEXTS)
    return FAILURES[tool][kind](rng, args)


def undeclared_result(name: str) -> Content:
    """What the harness answers to a call of a tool the row does not declare."""
    return {"error": f"Unknown tool '{name.strip()}'. Use one of the declared tools."}


def malformed_result() -> Content:
    """What the harness answers to a call it could not parse."""
    return {"error": "Invalid tool call: the arguments could not be parsed as JSON."}
