"""Tool declarations and the Hermes system prompt for the synthetic dataset.

The real dataset has only a handful of distinct `tools` values (6 in kimi): a file/terminal
set of 6, an agent set of 15, and browser sets of 11 browser tools plus a few extras. The
system prompt embeds exactly the `tools` JSON, so both are built here from one definition.
"""

from __future__ import annotations

import json
from typing import Any

SYSTEM_PREFIX = (
    "You are a function calling AI model. You are provided with function signatures within "
    "<tools> </tools> XML tags. You may call one or more functions to assist with the user "
    "query. If available tools are not relevant in assisting with user query, just respond in "
    "natural conversational language. Don't make assumptions about what values to plug into "
    "functions. After calling & executing the functions, you will be provided with function "
    "results within <tool_response> </tool_response> XML tags. Here are the available tools:\n"
    "<tools>\n"
)

# The literal example below is not a call: parsers must read calls from gpt messages only.
SYSTEM_SUFFIX = (
    "\n</tools>\n"
    "For each function call return a JSON object, with the following pydantic model json "
    "schema for each:\n"
    "{'title': 'FunctionCall', 'type': 'object', 'properties': {'name': {'title': 'Name', "
    "'type': 'string'}, 'arguments': {'title': 'Arguments', 'type': 'object'}}, "
    "'required': ['name', 'arguments']}\n"
    "Each function call should be enclosed within <tool_call> </tool_call> XML tags.\n"
    "Example:\n"
    "<tool_call>\n"
    "{'name': <function-name>,'arguments': <args-dict>}\n"
    "</tool_call>"
)


def _string(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **extra}


def _integer(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "integer", "description": description, **extra}


def _boolean(description: str, default: bool = False) -> dict[str, Any]:
    return {"type": "boolean", "description": description, "default": default}


def _function(
    name: str, description: str, properties: dict[str, Any], required: list[str]
) -> dict[str, Any]:
    """One OpenAI-style declaration, keys in the order the real dataset uses."""
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": properties, "required": required},
        },
    }


TOOLS: dict[str, dict[str, Any]] = {
    "clarify": _function(
        "clarify",
        "Ask the user a question when you need clarification, feedback, or a decision before "
        "proceeding. Supports two modes:\n\n1. **Multiple choice** — provide up to 4 choices. "
        "The user picks one or types their own answer via a 5th 'Other' option.\n2. "
        "**Open-ended** — omit choices entirely. The user types a free-form response.\n\nUse "
        "this tool when:\n- The task is ambiguous and you need the user to choose an approach\n"
        "- You want post-task feedback ('How did that work out?')\n- A decision has meaningful "
        "trade-offs the user should weigh in on\n\nDo NOT use this tool for simple yes/no "
        "confirmation of dangerous commands (the terminal tool handles that).",
        {
            "question": _string("The question to present to the user."),
            "choices": {
                "type": "array",
                "items": {"type": "string"},
                "maxItems": 4,
                "description": "Up to 4 answer choices. Omit this parameter entirely to ask an "
                "open-ended question.",
            },
        },
        ["question"],
    ),
    "delegate_task": _function(
        "delegate_task",
        "Spawn one or more subagents to work on tasks in isolated contexts. Each subagent gets "
        "its own conversation, terminal session, and toolset. Only the final summary is "
        "returned -- intermediate tool results never enter your context window.\n\nTWO MODES "
        "(one of 'goal' or 'tasks' is required):\n1. Single task: provide 'goal' (+ optional "
        "context, toolsets)\n2. Batch (parallel): provide 'tasks' array with up to 3 items.\n\n"
        "WHEN TO USE delegate_task:\n- Reasoning-heavy subtasks (debugging, code review, "
        "research synthesis)\n- Tasks that would flood your context with intermediate data\n"
        "- Parallel independent workstreams\n\nIMPORTANT:\n- Subagents have NO memory of your "
        "conversation. Pass all relevant info via the 'context' field.\n- Results are always "
        "returned as an array, one entry per task.",
        {
            "goal": _string("What the subagent should accomplish. Be specific and self-contained."),
            "context": _string("Background information the subagent needs: file paths, errors."),
            "toolsets": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Toolsets to enable for this subagent, e.g. ['terminal', 'file'].",
            },
            "max_iterations": _integer("Max tool-calling turns per subagent (default: 50)."),
        },
        [],
    ),
    "execute_code": _function(
        "execute_code",
        "Run a Python script that can call Hermes tools programmatically. Use this when you "
        "need 3+ tool calls with processing logic between them, need to filter/reduce large "
        "tool outputs before they enter your context, or need to loop.\n\nAvailable via `from "
        "hermes_tools import ...`:\n\n  read_file(path: str, offset: int = 1, limit: int = 500) "
        '-> dict\n    Returns {"content": "...", "total_lines": N}\n  write_file(path: str, '
        'content: str) -> dict\n  search_files(pattern: str, target="content", path=".") -> '
        'dict\n  terminal(command: str, timeout=None) -> dict\n    Returns {"output": "...", '
        '"exit_code": N}\n\nLimits: 5-minute timeout, 50KB stdout cap, max 50 tool calls per '
        "script. Print your final result to stdout.",
        {"code": _string("Python code to execute. Print your final result to stdout.")},
        ["code"],
    ),
    "memory": _function(
        "memory",
        "Save durable information to persistent memory that survives across sessions. Memory "
        "is injected into future turns, so keep it compact and focused on facts that will "
        "still matter later.\n\nWHEN TO SAVE:\n- User corrects you or says 'remember this'\n- "
        "User shares a preference, habit, or personal detail\n- You discover something about "
        "the environment (OS, installed tools, project structure)\n\nTWO TARGETS:\n- 'user': "
        "who the user is\n- 'memory': your notes -- environment facts, project conventions, "
        "tool quirks, lessons learned\n\nACTIONS: add, replace, remove.",
        {
            "action": _string("The action to perform.", enum=["add", "replace", "remove"]),
            "target": _string("Which memory store.", enum=["memory", "user"]),
            "content": _string("The entry content. Required for 'add' and 'replace'."),
            "old_text": _string("Short unique substring identifying the entry to replace."),
        },
        ["action", "target"],
    ),
    "patch": _function(
        "patch",
        "Targeted find-and-replace edits in files. Use this instead of sed/awk in terminal. "
        "Uses fuzzy matching so minor whitespace/indentation differences won't break it. "
        "Returns a unified diff. Auto-runs syntax checks after editing.\n\nReplace mode "
        "(default): find a unique string and replace it.\nPatch mode: apply V4A multi-file "
        "patches for bulk changes.",
        {
            "mode": _string(
                "Edit mode: 'replace' or 'patch'", enum=["replace", "patch"], default="replace"
            ),
            "path": _string("File path to edit (required for 'replace' mode)"),
            "old_string": _string("Text to find in the file. Must be unique in the file."),
            "new_string": _string("Replacement text. Can be empty string to delete the match."),
            "replace_all": _boolean("Replace all occurrences instead of requiring a unique match"),
        },
        ["mode"],
    ),
    "process": _function(
        "process",
        "Manage background processes started with terminal(background=true). Actions: 'list' "
        "(show all), 'poll' (check status + new output), 'log' (full output with pagination), "
        "'wait' (block until done or timeout), 'kill' (terminate), 'write' (send raw stdin "
        "data without newline), 'submit' (send data + Enter, for answering prompts).",
        {
            "action": _string(
                "Action to perform on background processes",
                enum=["list", "poll", "log", "wait", "kill", "write", "submit"],
            ),
            "session_id": _string("Process session ID (from terminal background output)."),
            "timeout": _integer("Max seconds to block for 'wait' action.", minimum=1),
        },
        ["action"],
    ),
    "read_file": _function(
        "read_file",
        "Read a text file with line numbers and pagination. Use this instead of cat/head/tail "
        "in terminal. Output format: 'LINE_NUM|CONTENT'. Suggests similar filenames if not "
        "found. Use offset and limit for large files. NOTE: Cannot read images or binary files.",
        {
            "path": _string("Path to the file to read (absolute, relative, or ~/path)"),
            "offset": _integer("Line number to start reading from (1-indexed)", default=1),
            "limit": _integer("Maximum number of lines to read (default: 500)", default=500),
        },
        ["path"],
    ),
    "search_files": _function(
        "search_files",
        "Search file contents or find files by name. Use this instead of grep/rg/find/ls in "
        "terminal. Ripgrep-backed, faster than shell equivalents.\n\nContent search "
        "(target='content'): Regex search inside files.\n\nFile search (target='files'): Find "
        "files by glob pattern (e.g., '*.py', '*config*').",
        {
            "pattern": _string("Regex pattern for content search, or glob pattern for files"),
            "target": _string("'content' or 'files'", enum=["content", "files"], default="content"),
            "path": _string("Directory or file to search in", default="."),
            "file_glob": _string("Filter files by pattern in grep mode (e.g., '*.py')"),
            "limit": _integer("Maximum number of results to return", default=50),
        },
        ["pattern"],
    ),
    "session_search": _function(
        "session_search",
        "Search your long-term memory of past conversations, or browse recent sessions. This "
        "is your recall -- every past session is searchable, and this tool summarizes what "
        "happened.\n\nUSE THIS PROACTIVELY when:\n- The user says 'we did this before', "
        "'remember when', 'last time'\n- You want to check if you've solved a similar problem "
        "before\n\nSearch syntax: keywords joined with OR for broad recall, phrases for exact "
        "match, prefix (deploy*).",
        {
            "query": _string("Search query. Omit to browse recent sessions instead."),
            "limit": _integer("Max sessions to summarize (default: 3, max: 5).", default=3),
        },
        [],
    ),
    "skill_manage": _function(
        "skill_manage",
        "Manage skills (create, update, delete). Skills are your procedural memory -- reusable "
        "approaches for recurring task types. New skills go to ~/.hermes/skills/.\n\nActions: "
        "create (full SKILL.md + optional category), patch (old_string/new_string), edit (full "
        "SKILL.md rewrite), delete, write_file, remove_file.",
        {
            "action": _string(
                "The action to perform.",
                enum=["create", "patch", "edit", "delete", "write_file", "remove_file"],
            ),
            "name": _string("Skill name (lowercase, hyphens/underscores, max 64 chars)."),
            "content": _string("Full SKILL.md content (YAML frontmatter + markdown body)."),
            "category": _string("Optional category/domain for organizing the skill."),
        },
        ["action", "name"],
    ),
    "skill_view": _function(
        "skill_view",
        "Skills allow for loading information about specific tasks and workflows, as well as "
        "scripts and templates. Load a skill's full content or access its linked files.",
        {
            "name": _string("The skill name (use skills_list to see available skills)"),
            "file_path": _string("OPTIONAL: Path to a linked file within the skill."),
        },
        ["name"],
    ),
    "skills_list": _function(
        "skills_list",
        "List available skills (name + description). Use skill_view(name) to load full content.",
        {"category": _string("Optional category filter to narrow results")},
        [],
    ),
    "terminal": _function(
        "terminal",
        "Execute shell commands on a Linux environment. Filesystem persists between calls.\n\n"
        "Do NOT use cat/head/tail to read files — use read_file instead.\nDo NOT use "
        "grep/rg/find to search — use search_files instead.\nDo NOT use sed/awk to edit files "
        "— use patch instead.\nReserve terminal for: builds, installs, git, processes, scripts, "
        "network, package managers, and anything that needs a shell.\n\nForeground (default): "
        "Commands return INSTANTLY when done, even if the timeout is high.\nBackground: ONLY "
        "for long-running servers, watchers, or processes that never exit. Set background=true "
        'to get a session_id, then use process(action="wait").\n',
        {
            "command": _string("The command to execute on the VM"),
            "background": _boolean("ONLY for servers/watchers that never exit."),
            "timeout": _integer("Max seconds to wait (default: 180).", minimum=1),
            "workdir": _string("Working directory for this command (absolute path)."),
        },
        ["command"],
    ),
    "todo": _function(
        "todo",
        "Manage your task list for the current session. Use for complex tasks with 3+ steps or "
        "when the user provides multiple tasks. Call with no parameters to read the current "
        "list.\n\nEach item: {id: string, content: string, status: "
        "pending|in_progress|completed|cancelled}\nOnly ONE item in_progress at a time.",
        {
            "todos": {
                "type": "array",
                "description": "Task items to write. Omit to read current list.",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "content": {"type": "string"},
                        "status": {
                            "type": "string",
                            "enum": ["pending", "in_progress", "completed", "cancelled"],
                        },
                    },
                    "required": ["id", "content", "status"],
                },
            },
            "merge": _boolean("true: update existing items by id, add new ones."),
        },
        [],
    ),
    "write_file": _function(
        "write_file",
        "Write content to a file, completely replacing existing content. Use this instead of "
        "echo/cat heredoc in terminal. Creates parent directories automatically. OVERWRITES the "
        "entire file — use 'patch' for targeted edits.",
        {
            "path": _string("Path to the file to write (will be created if it doesn't exist)"),
            "content": _string("Complete content to write to the file"),
        },
        ["path", "content"],
    ),
    "browser_navigate": _function(
        "browser_navigate",
        "Navigate to a URL in the browser. Initializes the session and loads the page. Must be "
        "called before other browser tools. Returns the page title and final URL.",
        {"url": _string("The URL to navigate to (e.g., 'https://example.com')")},
        ["url"],
    ),
    "browser_snapshot": _function(
        "browser_snapshot",
        "Get a text-based snapshot of the current page's accessibility tree. Returns "
        "interactive elements with ref IDs (like @e1, @e2) for browser_click and browser_type.",
        {"full": _boolean("If true, returns complete page content instead of a compact view.")},
        [],
    ),
    "browser_click": _function(
        "browser_click",
        "Click on an element identified by its ref ID from the snapshot (e.g., '@e5').",
        {"ref": _string("The element reference from the snapshot (e.g., '@e5')")},
        ["ref"],
    ),
    "browser_type": _function(
        "browser_type",
        "Type text into an input field identified by its ref ID. Clears the field first.",
        {
            "ref": _string("The element reference from the snapshot (e.g., '@e3')"),
            "text": _string("The text to type into the field"),
        },
        ["ref", "text"],
    ),
    "browser_scroll": _function(
        "browser_scroll",
        "Scroll the page in a direction. Use this to reveal more content below or above.",
        {"direction": _string("Direction to scroll", enum=["up", "down"])},
        ["direction"],
    ),
    "browser_back": _function(
        "browser_back", "Navigate back to the previous page in browser history.", {}, []
    ),
    "browser_press": _function(
        "browser_press",
        "Press a keyboard key. Useful for submitting forms (Enter) or navigating (Tab).",
        {"key": _string("Key to press (e.g., 'Enter', 'Tab', 'Escape', 'ArrowDown')")},
        ["key"],
    ),
    "browser_close": _function(
        "browser_close", "Close the browser session and release resources.", {}, []
    ),
    "browser_get_images": _function(
        "browser_get_images",
        "Get a list of all images on the current page with their URLs and alt text.",
        {},
        [],
    ),
    "browser_vision": _function(
        "browser_vision",
        "Take a screenshot of the current page and analyze it with vision AI. Use this when "
        "you need to visually understand what's on the page (CAPTCHAs, layouts, charts).",
        {"question": _string("What you want to know about the page visually.")},
        ["question"],
    ),
    "browser_console": _function(
        "browser_console",
        "Get browser console output and JavaScript errors from the current page.",
        {"clear": _boolean("If true, clear the message buffers after reading")},
        [],
    ),
}

FILE_TOOLS = ("patch", "process", "read_file", "search_files", "terminal", "write_file")
AGENT_TOOLS = (
    "clarify",
    "delegate_task",
    "execute_code",
    "memory",
    "patch",
    "process",
    "read_file",
    "search_files",
    "session_search",
    "skill_manage",
    "skill_view",
    "skills_list",
    "terminal",
    "todo",
    "write_file",
)
BROWSER_CORE = (
    "browser_back",
    "browser_click",
    "browser_close",
    "browser_console",
    "browser_get_images",
    "browser_navigate",
    "browser_press",
    "browser_scroll",
    "browser_snapshot",
    "browser_type",
    "browser_vision",
)

# Six distinct tool sets, as in kimi. Every set declares `terminal`.
TOOL_SETS: dict[str, tuple[str, ...]] = {
    "file": FILE_TOOLS,
    "agent": AGENT_TOOLS,
    "browser_terminal": (*BROWSER_CORE, "terminal"),
    "browser_files": (*BROWSER_CORE, "read_file", "terminal", "write_file"),
    "browser_code": (*BROWSER_CORE, "patch", "read_file", "search_files", "terminal", "write_file"),
    "browser_todo": (*BROWSER_CORE, "terminal", "todo", "write_file"),
}
BROWSER_SETS = ("browser_terminal", "browser_files", "browser_code", "browser_todo")


def tools_json(set_name: str) -> str:
    """The `tools` column for a tool set: json.dumps default spacing, declaration order."""
    return json.dumps([TOOLS[name] for name in TOOL_SETS[set_name]], ensure_ascii=False)


def system_prompt(tools: str) -> str:
    """The Hermes function-calling prompt whose <tools> JSON is exactly `tools`."""
    return SYSTEM_PREFIX + tools + SYSTEM_SUFFIX


TOOLS_JSON: dict[str, str] = {name: tools_json(name) for name in TOOL_SETS}
SYSTEM_PROMPTS: dict[str, str] = {name: system_prompt(text) for name, text in TOOLS_JSON.items()}
