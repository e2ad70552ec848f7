"""Text pools for the synthetic dataset: reasoning, visible text, files and command output.

Long values (hundreds of reasoning words, file contents, command output) are built by joining
pre-made pools, never character by character, so a kimi-sized dataset (about half a gigabyte
of message text) is written in about a minute. The pools are made once, at import, from a
fixed seed: they are constants, and the user's seed only decides how they are drawn.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

_POOL_RNG = random.Random(20260101)

SUBJECTS = (
    "the config loader",
    "the test suite",
    "the deployment script",
    "the database migration",
    "the API handler",
    "the cache layer",
    "the CLI entry point",
    "the build step",
    "the logging setup",
    "the retry logic",
    "the scheduler",
    "the parser",
    "the webhook endpoint",
    "the auth middleware",
    "the data pipeline",
    "the Dockerfile",
    "the CI workflow",
    "the requirements file",
    "the session store",
    "the rate limiter",
)
OBSERVATIONS = (
    "expects an absolute path",
    "reads its settings from environment variables",
    "is imported lazily to keep startup fast",
    "swallows the exception instead of re-raising it",
    "was written for an older version of the library",
    "has no tests covering the error branch",
    "uses a hard-coded timeout of thirty seconds",
    "only runs when the feature flag is set",
    "writes to a relative directory that may not exist",
    "depends on a package that is not installed yet",
    "returns None when the file is missing",
    "is called twice during startup",
    "keeps a module-level cache that is never invalidated",
    "mixes tabs and spaces in the indentation",
    "pins a version that conflicts with the lock file",
)
ACTIONS = (
    "check the directory structure first",
    "read the main module to understand the flow",
    "run the tests to see what is failing",
    "search for every place where this function is called",
    "look at the configuration file before changing anything",
    "install the missing dependency and try again",
    "write a small script to reproduce the problem",
    "patch the function and re-run the check",
    "verify the output against what the user asked for",
    "look at the git history for recent changes",
    "confirm the file was written correctly",
    "keep the change minimal so nothing else breaks",
    "summarize what I found for the user",
    "check whether the service is already running",
    "compare the two implementations side by side",
)
CONNECTORS = (
    "First,",
    "Then",
    "After that,",
    "Actually,",
    "Wait,",
    "Hmm,",
    "So",
    "Also,",
    "On the other hand,",
    "To be safe,",
    "",
    "",
    "",
)
SENTENCE_TEMPLATES = (
    "{c} I think {s} {o}.",
    "{c} I should {a}.",
    "{c} let me {a}.",
    "Looking at the output, {s} {o}.",
    "It seems {s} {o}, which would explain the behaviour the user described.",
    "{c} I need to {a} before I touch {s}.",
    "The most likely cause is that {s} {o}.",
    "I'm not sure yet whether {s} {o}, so I will {a}.",
    "If {s} {o}, the fix belongs there rather than in the caller.",
    "{c} the user asked me to be careful, so I'll {a}.",
    "Now I have a better picture: {s} {o}.",
    "That means I can {a} and then move on to {s}.",
    "One thing to keep in mind is that {s} {o}.",
    "Before going further I want to {a}.",
    "{c} it would be good to {a}.",
)
LIST_ITEMS = (
    "Check that the path exists",
    "Read the relevant section of the file",
    "Run the failing test in isolation",
    "Fix the import order",
    "Update the documentation",
    "Re-run the whole suite",
    "Report the result to the user",
    "Create a backup before editing",
    "Look for similar patterns elsewhere",
    "Confirm the environment variables are set",
)


def _sentence(rng: random.Random) -> str:
    template = rng.choice(SENTENCE_TEMPLATES)
    text = template.format(
        c=rng.choice(CONNECTORS),
        s=rng.choice(SUBJECTS),
        o=rng.choice(OBSERVATIONS),
        a=rng.choice(ACTIONS),
    ).strip()
    return text[0].upper() + text[1:]


def _numbered_list(rng: random.Random) -> str:
    items = rng.sample(LIST_ITEMS, rng.randint(3, 5))
    return "\n".join(f"{n}. {item}" for n, item in enumerate(items, 1))


REASONING_SENTENCES: tuple[str, ...] = tuple(_sentence(_POOL_RNG) for _ in range(3000))
REASONING_LISTS: tuple[str, ...] = tuple(_numbered_list(_POOL_RNG) for _ in range(200))
AVERAGE_SENTENCE_WORDS = sum(len(s.split()) for s in REASONING_SENTENCES) / len(REASONING_SENTENCES)


def reasoning_text(rng: random.Random, lead: Sequence[str], target_words: int) -> str:
    """A think body of about `target_words` words: lead sentences, then pooled paragraphs.

    Starts with a space, as the real traces do (`<think>\\n The user...`).
    """
    count = max(0, round(target_words / AVERAGE_SENTENCE_WORDS) - len(lead))
    sentences = list(lead) + rng.choices(REASONING_SENTENCES, k=count)
    paragraphs: list[str] = []
    start = 0
    while start < len(sentences):
        size = rng.randint(3, 7)
        paragraphs.append(" ".join(sentences[start : start + size]))
        start += size
        if len(paragraphs) > 1 and rng.random() < 0.15:
            paragraphs.append(rng.choice(REASONING_LISTS))
    return " " + "\n\n".join(paragraphs)


CALL_PREAMBLES = (
    "Let me check the current state of the project first.",
    "I'll look at the relevant files.",
    "Let me run that and see what happens:",
    "Now let me verify the change:",
    "I'll search the codebase for the related code.",
    "Let me try a different approach:",
    "Let me fix that:",
    "Let me try a few different search approaches:",
    "I'll read the file to see what's there.",
    "Good, that worked. Now the next step:",
)
ANSWER_OPENERS = (
    "I've completed the task. Here's a summary of what I did:",
    "Done! Here's what I found and changed:",
    "Unfortunately I couldn't finish everything, but here's where things stand:",
    "Here's a summary of the work:",
    "I looked into this and here is what I found:",
)
ANSWER_POINTS = (
    "**Updated the configuration** so the service reads its settings from the environment",
    "**Fixed the failing test** by correcting the fixture path",
    "**Added error handling** around the network call with a clear message",
    "**Created `docs/DEPLOYMENT.md`** with setup steps and a troubleshooting section",
    "**Verified the build** with a clean run of the test suite",
    "**Installed the missing dependency** and pinned its version",
    "**Left the database untouched**; the migration still needs your review",
    "**Scheduled the job** to run every morning at 09:00",
    "**Documented the remaining issue** in the README so it is not forgotten",
    "**Cleaned up temporary files** created during the investigation",
)
ANSWER_CLOSERS = (
    "Let me know if you'd like me to adjust anything.",
    "Would you like me to continue with the remaining steps?",
    "If you can share more details, I can narrow this down further.",
    "Everything is in place and the tests pass.",
)
FOLLOW_UPS = (
    "Thanks. Can you also add a short section about rollbacks?",
    "That looks good. Now run the tests again and tell me if anything fails.",
    "Can you double-check the file permissions too?",
    "Great, please also update the README with what you changed.",
    "One more thing: make the script print a summary at the end.",
    "Thanks! Can you explain why the first attempt failed?",
    "Ok. Please commit the change with a descriptive message.",
)
SHORT_REPLIES = (
    " You're welcome! Let me know if there's anything else.",
    " Sure — happy to help whenever you need it.",
    " Noted. I'll keep that in mind.",
)
ITERATION_LIMIT = (
    "You've reached the maximum number of tool-calling iterations allowed. Please provide a "
    "final response summarizing what you've found and accomplished so far, without calling any "
    "more tools."
)


def call_preamble(rng: random.Random) -> str:
    """Visible text before the calls of a calling turn (one leading space)."""
    return " " + rng.choice(CALL_PREAMBLES)


def final_answer_text(rng: random.Random) -> str:
    """Visible text of a final answer: two leading spaces, a markdown list, a closing line."""
    points = rng.sample(ANSWER_POINTS, rng.randint(2, 6))
    body = "\n".join(f"{n}. {point}" for n, point in enumerate(points, 1))
    return f"  {rng.choice(ANSWER_OPENERS)}\n\n{body}\n\n{rng.choice(ANSWER_CLOSERS)}"


# --- files, as read_file shows them and write_file writes them -------------------------------

# Coherent blocks of a few lines; a file is a sequence of blocks.
CODE_BLOCKS: tuple[tuple[str, ...], ...] = (
    ("import os", "import sys", "import json", "import logging", "from pathlib import Path", ""),
    ("logger = logging.getLogger(__name__)", "DEFAULT_TIMEOUT = 30", ""),
    (
        "class ConfigError(Exception):",
        '    """Raised when the configuration cannot be loaded."""',
        "",
    ),
    (
        "@dataclass",
        "class Settings:",
        "    host: str = '127.0.0.1'",
        "    port: int = 8080",
        "    debug: bool = False",
        "",
    ),
    (
        "def load_settings(path: Path) -> Settings:",
        '    """Read settings from a JSON file, falling back to defaults."""',
        "    if not path.exists():",
        "        logger.warning('config %s not found, using defaults', path)",
        "        return Settings()",
        "    data = json.loads(path.read_text())",
        "    return Settings(**data)",
        "",
    ),
    (
        "def connect(settings: Settings, retries: int = 3):",
        "    for attempt in range(retries):",
        "        try:",
        "            return _open(settings.host, settings.port)",
        "        except ConnectionError as exc:",
        "            logger.error('attempt %d failed: %s', attempt, exc)",
        "    raise ConfigError(f'could not connect to {settings.host}:{settings.port}')",
        "",
    ),
    (
        "def summarize(items: list[dict]) -> dict:",
        "    # TODO: handle items without a duration",
        "    results = [item for item in items if item.get('status') == 'ok']",
        "    total = sum(r['duration'] for r in results)",
        "    return {'count': len(results), 'total': total}",
        "",
    ),
    (
        "def main(argv: list[str] | None = None) -> int:",
        "    args = parse_args(argv or sys.argv[1:])",
        "    settings = load_settings(Path(args.config))",
        "    if settings.debug:",
        "        logging.basicConfig(level=logging.DEBUG)",
        "    return run(settings)",
        "",
        "",
        "if __name__ == '__main__':",
        "    sys.exit(main())",
        "",
    ),
    (
        "export default async function handler(req, res) {",
        "  const { id } = req.query;",
        "  if (!id) return res.status(400).json({ error: 'missing id' });",
        "  return res.status(200).json(await db.find(id));",
        "}",
        "",
    ),
    (
        "services:",
        "  web:",
        "    image: app:latest",
        "    ports:",
        '      - "8080:8080"',
        "    environment:",
        "      - DATABASE_URL=postgres://app@db:5432/app",
        "",
    ),
    (
        "## Troubleshooting",
        "",
        "- If the container exits immediately, check `docker logs web`.",
        "- Make sure the `.env` file exists before running `make deploy`.",
        "",
    ),
    (
        "def test_load_settings_defaults(tmp_path):",
        "    settings = load_settings(tmp_path / 'missing.json')",
        "    assert settings.port == 8080",
        "",
    ),
)
FILE_PATHS = (
    "app/config.py",
    "app/main.py",
    "src/server.py",
    "src/handlers/api.js",
    "scripts/deploy.sh",
    "docker-compose.yml",
    "README.md",
    "docs/DEPLOYMENT.md",
    "tests/test_config.py",
    "gateway/run.py",
    "data_pipeline/ingestion/base.py",
    "requirements.txt",
    "pyproject.toml",
    ".github/workflows/ci.yml",
    "notebooks/analysis.py",
)


def _file_lines(rng: random.Random, count: int) -> tuple[str, ...]:
    lines: list[str] = []
    while len(lines) < count:
        lines.extend(rng.choice(CODE_BLOCKS))
    return tuple(lines)


FILES: tuple[tuple[str, ...], ...] = tuple(
    _file_lines(_POOL_RNG, _POOL_RNG.randint(120, 1600)) for _ in range(24)
)
# read_file's view: line numbers right-aligned in six columns, then '|'.
NUMBERED_FILES: tuple[tuple[str, ...], ...] = tuple(
    tuple(f"{n:>6}|{line}" for n, line in enumerate(lines, 1)) for lines in FILES
)


def file_excerpt(rng: random.Random, max_lines: int) -> tuple[str, int]:
    """A read_file `content` value (numbered lines) and the file's total line count."""
    numbered = rng.choice(NUMBERED_FILES)
    size = min(len(numbered), rng.randint(20, max(20, max_lines)))
    start = rng.randint(0, len(numbered) - size)
    return "\n".join(numbered[start : start + size]), len(numbered)


def file_body(rng: random.Random, max_lines: int) -> str:
    """Plain file content for write_file (no line numbers)."""
    lines = rng.choice(FILES)
    size = min(len(lines), rng.randint(10, max(10, max_lines)))
    start = rng.randint(0, len(lines) - size)
    return "\n".join(lines[start : start + size]) + "\n"


# --- command output -------------------------------------------------------------------------

LISTING_NAMES = (
    ".env.example",
    ".git",
    ".github",
    ".gitignore",
    "AGENTS.md",
    "CONTRIBUTING.md",
    "LICENSE",
    "README.md",
    "__pycache__",
    "agent",
    "batch_runner.py",
    "cli.py",
    "cron",
    "data",
    "docs",
    "gateway",
    "hermes_state.py",
    "pyproject.toml",
    "requirements.txt",
    "scripts",
    "tests",
    "tools",
    "website",
)


def _listing_line(rng: random.Random) -> str:
    kind = rng.choice(("drwxrwxr-x", "-rw-rw-r--", "-rwxrwxr-x"))
    size = rng.choice((4096, rng.randint(10, 340000)))
    day = rng.randint(1, 28)
    return (
        f"{kind} {rng.randint(1, 33):>2} ubuntu ubuntu {size:>6} Mar {day:>2} "
        f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d} {rng.choice(LISTING_NAMES)}"
    )


LISTING_LINES = tuple(_listing_line(_POOL_RNG) for _ in range(400))
PATH_LINES = tuple(
    f"./{_POOL_RNG.choice(('app', 'src', 'tests', 'gateway', 'hermes_cli', 'docs'))}/"
    f"{_POOL_RNG.choice(('config', 'test_config', 'runner', 'utils', 'models', 'tools_config'))}"
    f"{_POOL_RNG.choice(('.py', '.py', '.yaml', '.md', '.json'))}"
    for _ in range(300)
)
PIP_LINES = tuple(
    f"{_POOL_RNG.choice(('Collecting', 'Downloading', 'Requirement already satisfied:'))} "
    f"{_POOL_RNG.choice(('requests', 'numpy', 'pandas', 'pyyaml', 'httpx', 'pydantic', 'rich'))}"
    f"=={_POOL_RNG.randint(1, 3)}.{_POOL_RNG.randint(0, 30)}.{_POOL_RNG.randint(0, 9)}"
    for _ in range(200)
)
TEST_LINES = tuple(
    f"tests/test_{_POOL_RNG.choice(('config', 'api', 'cli', 'models', 'utils'))}.py::"
    f"test_{_POOL_RNG.choice(('load', 'parse', 'retry', 'render', 'save'))}_"
    f"{_POOL_RNG.choice(('defaults', 'missing', 'empty', 'unicode', 'large'))} PASSED"
    for _ in range(300)
)
LOG_LINES = tuple(
    f"2026-03-{_POOL_RNG.randint(1, 28):02d} {_POOL_RNG.randint(0, 23):02d}:"
    f"{_POOL_RNG.randint(0, 59):02d}:{_POOL_RNG.randint(0, 59):02d} "
    f"{_POOL_RNG.choice(('INFO', 'INFO', 'DEBUG', 'WARNING'))} "
    f"{_POOL_RNG.choice(SUBJECTS)} {_POOL_RNG.choice(OBSERVATIONS)}"
    for _ in range(400)
)
OUTPUT_POOLS: dict[str, tuple[str, ...]] = {
    "listing": LISTING_LINES,
    "paths": PATH_LINES,
    "pip": PIP_LINES,
    "tests": TEST_LINES,
    "logs": LOG_LINES,
}
COMMANDS: tuple[tuple[str, str], ...] = (
    ("ls -la", "listing"),
    ("ls -la ~/project", "listing"),
    ('find . -maxdepth 3 -name "*config*" 2>/dev/null | head -50', "paths"),
    ("pip install -r requirements.txt", "pip"),
    ("pip install pyyaml httpx", "pip"),
    ("python -m pytest -v", "tests"),
    ("python -m pytest tests/ -x -q", "tests"),
    ("tail -n 200 logs/app.log", "logs"),
    ("journalctl -u app --no-pager | tail -100", "logs"),
    ("git log --oneline -20 && git status", "paths"),
    ("python scripts/check.py", "logs"),
    ("docker compose ps && docker compose logs --tail 50", "logs"),
)


def command_output(rng: random.Random, pool: str, max_lines: int) -> str:
    """Some lines of a pre-made output pool, as a contiguous slice."""
    lines = OUTPUT_POOLS[pool]
    size = min(len(lines), rng.randint(1, max(1, max_lines)))
    start = rng.randint(0, len(lines) - size)
    head = "total 2620\n" if pool == "listing" else ""
    return head + "\n".join(lines[start : start + size])


TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/home/ubuntu/project/app/main.py", line 42, in <module>\n'
    "    sys.exit(main())\n"
    '  File "/home/ubuntu/project/app/main.py", line 37, in main\n'
    "    settings = load_settings(Path(args.config))\n"
    '  File "/home/ubuntu/project/app/config.py", line 26, in load_settings\n'
    "    data = json.loads(path.read_text())\n"
    "json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)"
)
MODULE_TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/home/ubuntu/project/scripts/check.py", line 3, in <module>\n'
    "    import yaml\n"
    "ModuleNotFoundError: No module named 'yaml'"
)

# Hostile page content: the report must escape it, never render it.
HOSTILE_HTML = (
    '<div class="comment"><p>Nice post!</p><script>alert(1)</script></div>\n'
    '<img src=x onerror=alert(1)>\n<a href="javascript:alert(document.cookie)">click me</a>'
)
PAGE_TITLES = (
    "Example Domain",
    "Hacker News",
    "GitHub - nousresearch/hermes-agent",
    "Python 3 Documentation",
    "Pricing | Example Cloud",
    "Weather forecast - 10 day",
)
SNAPSHOT_LINES = tuple(
    f"- {_POOL_RNG.choice(('link', 'button', 'textbox', 'heading', 'listitem', 'img'))} "
    f'"{_POOL_RNG.choice(PAGE_TITLES)} {_POOL_RNG.randint(1, 99)}" [ref=e{n}]'
    for n in range(1, 301)
)


def snapshot_text(rng: random.Random, max_lines: int, hostile: bool) -> str:
    """An accessibility-tree snapshot; `hostile` adds raw HTML a page author controls."""
    size = rng.randint(5, max(5, max_lines))
    start = rng.randint(0, len(SNAPSHOT_LINES) - size)
    text = "\n".join(SNAPSHOT_LINES[start : start + size])
    if hostile:
        text += "\n- generic (raw html):\n" + HOSTILE_HTML
    return text


# --- tasks ----------------------------------------------------------------------------------

PROJECTS = ("the staging service", "the data pipeline", "my Flask app", "the gateway", "the CLI")
TASKS: dict[str, tuple[str, ...]] = {
    "Terminal Tasks": (
        "Check which Python version is installed and upgrade pip",
        "Find all files larger than 10MB in the home directory",
        "Set up a virtual environment for {p} and install its dependencies",
        "Show me the disk usage of each folder in the project",
        "Kill whatever process is listening on port 8080",
    ),
    "Browser Tasks": (
        "Go to example.com and tell me what the main heading says",
        "Open Hacker News and list the top five stories",
        "Find the pricing page on example.com and summarize the plans",
        "Check the weather forecast for Berlin for the next three days",
    ),
    "Multi-Tool Tasks": (
        "Analyze the logs of {p} and write a summary report to report.md",
        "Download the CSV, compute monthly totals and plot them",
        "Review {p} for security problems and write down what you find",
    ),
    "File Tasks": (
        "Create documentation in Markdown for the deployment process with troubleshooting guide",
        "Rename every .jpeg file in photos/ to .jpg",
        "Merge the three config files into one YAML file",
        "Write a README for {p}",
    ),
    "Skill Invocation": (
        "Use the log-analyzer skill on today's logs",
        "Load the docker-build-optimization skill and apply it to {p}",
    ),
    "Bug Fix": (
        "Fix the failing test in tests/test_config.py",
        "The app crashes on startup with a JSONDecodeError, fix it",
        "Fix the off-by-one error in the pagination of {p}",
    ),
    "Environment Setup": (
        "Set up a development environment for {p}",
        "Install Node 20 and make it the default",
    ),
    "Delegation": ("Research two logging libraries in parallel and compare them",),
    "Memory & Context": (
        "Look through past sessions for the deployment config we created for the staging "
        "environment",
        "Check your memory for any notes about the team's coding standards",
    ),
    "Cron Jobs": ("Schedule a daily backup of the database at 2am",),
    "Planning Tasks": ("Plan the migration of {p} to Python 3.12",),
    "Feature Implementation": ("Add a --dry-run flag to the CLI of {p}",),
    "Codebase Exploration": ("Explain how requests flow through {p}",),
    "Testing": ("Write unit tests for the config loader",),
    "Background Processes": ("Start the dev server in the background and watch its logs",),
    "Sandbox Execution": ("Run this analysis script in a sandbox and report the results",),
    "Todo & Planning": ("Make a todo list for releasing version 2.0 and start on it",),
    "Session & Memory": ("What were we working on yesterday?",),
    "Conversational Tasks": ("What's the difference between a process and a thread?",),
    "Documentation": ("Document the public API of {p}",),
    "Testing & CI": ("Set up GitHub Actions to run the tests on every push",),
    "Clarification": ("Start the API server and the log aggregator",),
    "Maintenance": ("Clean up old Docker images and unused volumes",),
    "General": ("Help me organize my notes folder",),
    "Deployment": ("Deploy {p} to the staging server",),
    "Code Review & Refactoring": ("Refactor the config module to remove global state",),
}
TASK_TAILS = (
    "",
    " I need it again.",
    " If you have context, use it. If not, ask me.",
    " Keep it simple please.",
    " Let me know what you find.",
)


def task_text(rng: random.Random, subcategory: str) -> tuple[str, str]:
    """(task, first human message): the task is the message's first sentence, up to 100 chars."""
    template = rng.choice(TASKS[subcategory])
    task = template.format(p=rng.choice(PROJECTS))[:100]
    ending = "" if task.endswith("?") else "."
    return task, task + ending + rng.choice(TASK_TAILS)
