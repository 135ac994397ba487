"""Inline tool catalogs for the replay tests (imported by them; pytest puts this folder on the path)."""

from __future__ import annotations

from pathlib import Path

from agent_router.config import RouterConfig
from agent_router.config.tools import InlineTool

TOOLS = [
    ("weather", "get_forecast", "Weather forecast for a city and a day."),
    ("weather", "get_air_quality", "Current air quality index of a city."),
    ("mail", "send_email", "Send an email to a recipient with a subject and a body."),
    ("mail", "list_unread", "List the unread messages in the inbox."),
    ("calendar", "add_event", "Add an event to the calendar at a date and time."),
    ("bank", "transfer", "Transfer money between two of the user's accounts."),
    ("bank", "list_transactions", "List recent transactions of an account."),
    ("search", "web_search", "Search the web and return the top results with snippets."),
    ("search", "fetch_page", "Fetch a web page and return its text."),
    ("files", "read_file", "Read a text file from the workspace."),
    ("files", "write_file", "Write text to a file in the workspace."),
    ("code", "run_tests", "Run the project's unit tests and report failures."),
]


def tools_config(config: RouterConfig, cache: Path, drop: set[str] = frozenset()) -> RouterConfig:
    inline = [
        InlineTool(
            server=s,
            name=n,
            description=d,
            input_schema={"type": "object", "properties": {"q": {"type": "string"}}},
        )
        for s, n, d in TOOLS
        if f"{s}/{n}" not in drop
    ]
    tools = config.tools.model_copy(update={"inline": inline, "cache_dir": cache})
    return config.model_copy(update={"tools": tools})
