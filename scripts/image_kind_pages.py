"""HTML for the image-kind data: application screens (forms, dialogs, terminals, file managers,
settings, chat, editors, spreadsheets, mail), reference pages (pydoc's HTML of the standard
library) and printable articles. Every text shown comes from public material on the machine:
the standard library's docstrings and sources, the licence texts under /usr/share/common-licenses,
and the names of installed files. Layouts are generated; the words are not written by the team."""

from __future__ import annotations

import functools
import html
import inspect
import os
import pydoc
import random
import sys
from importlib import import_module
from pathlib import Path

MODULES = [
    "argparse", "asyncio", "base64", "bisect", "calendar", "collections", "contextlib", "csv",
    "dataclasses", "datetime", "decimal", "difflib", "email", "enum", "fractions", "functools",
    "getopt", "gettext", "glob", "gzip", "hashlib", "heapq", "hmac", "html", "http", "imaplib",
    "inspect", "ipaddress", "itertools", "json", "logging", "mailbox", "mimetypes", "operator",
    "optparse", "pathlib", "pickle", "pprint", "queue", "random", "sched", "secrets", "shlex",
    "shutil", "smtplib", "socket", "sqlite3", "statistics", "string", "struct", "subprocess",
    "tarfile", "tempfile", "textwrap", "threading", "timeit", "tokenize", "traceback", "typing",
    "unittest", "urllib", "uuid", "warnings", "wave", "weakref", "xml", "zipfile", "zlib",
]  # fmt: skip

PALETTES = [
    ("#ffffff", "#1f2328", "#0969da", "#f6f8fa"),
    ("#1e1e1e", "#d4d4d4", "#569cd6", "#252526"),
    ("#fafafa", "#202124", "#1a73e8", "#e8eaed"),
    ("#282a36", "#f8f8f2", "#bd93f9", "#44475a"),
    ("#f3f3f3", "#333333", "#0078d4", "#ffffff"),
    ("#0d1117", "#c9d1d9", "#58a6ff", "#161b22"),
]


def docstring_lines(module: str) -> list[str]:
    mod = import_module(module)
    lines = [ln.strip() for ln in (inspect.getdoc(mod) or "").splitlines() if ln.strip()]
    for name, obj in sorted(vars(mod).items()):
        doc = inspect.getdoc(obj) if not name.startswith("_") and callable(obj) else None
        if doc:
            lines.extend(ln.strip() for ln in doc.splitlines()[:6] if ln.strip())
    return lines or [module]


def licence_paragraphs() -> list[str]:
    paragraphs: list[str] = []
    for path in sorted(Path("/usr/share/common-licenses").glob("*")):
        if path.is_file():
            text = path.read_text(errors="replace")
            paragraphs.extend(" ".join(p.split()) for p in text.split("\n\n") if len(p.split()) > 12)
    return paragraphs


@functools.cache
def installed_names() -> list[str]:
    folder = Path(sys.prefix) / "lib"
    return sorted({p.name for p in folder.rglob("*") if not p.name.startswith(".")})[:5000]


def file_names(rng: random.Random, n: int) -> list[str]:
    names = installed_names()
    return rng.sample(names, min(n, len(names)))


def source_lines(module: str) -> list[str]:
    try:
        return inspect.getsource(import_module(module)).splitlines()
    except (OSError, TypeError):  # a module built into the interpreter has no source file
        return docstring_lines(module)


def _page(body: str, css: str, palette: tuple[str, str, str, str], font: str = "sans-serif") -> str:
    bg, fg, accent, panel = palette
    base = (
        f"body{{margin:0;background:{bg};color:{fg};font-family:{font};font-size:14px}}"
        f"a{{color:{accent}}}.panel{{background:{panel}}}.accent{{background:{accent};color:#fff}}"
    )
    return f"<!doctype html><html><head><meta charset=utf-8><style>{base}{css}</style></head><body>{body}</body></html>"


def _e(text: str) -> str:
    return html.escape(text)


def app_chrome(rng: random.Random, title: str, inner: str, palette: tuple[str, str, str, str]) -> str:
    """A window frame with a title bar, a menu row and a status bar around the content."""
    menus = "".join(
        f"<span style='margin-right:18px'>{m}</span>"
        for m in rng.sample(
            ["File", "Edit", "View", "Go", "Tools", "Window", "Help", "Selection", "Run", "Terminal"], 6
        )
    )
    return (
        f"<div class=panel style='padding:6px 12px;font-weight:600'>{_e(title)}</div>"
        f"<div style='padding:4px 12px;border-bottom:1px solid #8884'>{menus}</div>{inner}"
        f"<div class=panel style='position:fixed;bottom:0;left:0;right:0;padding:3px 12px;font-size:12px'>"
        f"Ready &nbsp; Ln {rng.randint(1, 400)}, Col {rng.randint(1, 80)}</div>"
    )


def with_sidebar(nav: str, content: str, width: str, *, side: str = "", main: str = "") -> str:
    """A panel down the left (places, sections, folders) beside the window's content."""
    return (
        f"<div style='display:flex'><div class=panel style='{width};min-height:100vh{side}'>{nav}</div>"
        f"<div style='flex:1{main}'>{content}</div></div>"
    )


def form_page(rng: random.Random, lines: list[str], palette: tuple[str, str, str, str]) -> str:
    fields = "".join(
        f"<label style='display:block;margin:10px 0 4px'>{_e(ln[:40])}</label>"
        f"<input style='width:90%;padding:8px;border:1px solid #8886;border-radius:4px' value='{_e(ln[40:70])}'>"
        for ln in rng.sample(lines, min(len(lines), rng.randint(3, 8)))
    )
    buttons = "<button class=accent style='padding:8px 18px;border:0;border-radius:4px;margin:16px 8px 0 0'>Save</button><button style='padding:8px 18px'>Cancel</button>"
    inner = f"<div style='max-width:640px;margin:24px auto;padding:20px' class=panel><h2>{_e(lines[0][:50])}</h2>{fields}{buttons}</div>"
    return _page(app_chrome(rng, lines[0][:60], inner, palette), "", palette)


def dialog_page(rng: random.Random, lines: list[str], palette: tuple[str, str, str, str]) -> str:
    text = " ".join(rng.sample(lines, min(3, len(lines))))[:300]
    inner = (
        "<div style='position:fixed;inset:0;background:#0006'></div>"
        "<div class=panel style='position:fixed;left:50%;top:40%;transform:translate(-50%,-50%);width:min(420px,86vw);"
        "padding:20px;border-radius:8px;box-shadow:0 8px 30px #0008'>"
        f"<h3 style='margin-top:0'>{_e(lines[-1][:40])}</h3><p>{_e(text)}</p>"
        "<div style='text-align:right'><button style='padding:6px 16px'>Cancel</button> "
        "<button class=accent style='padding:6px 16px;border:0'>OK</button></div></div>"
    )
    background = "".join(f"<p style='margin:6px 16px'>{_e(ln)}</p>" for ln in lines[:30])
    return _page(app_chrome(rng, "Untitled", background + inner, palette), "", palette)


def terminal_page(rng: random.Random, lines: list[str], palette: tuple[str, str, str, str]) -> str:
    names = file_names(rng, 60)
    rows = [f"user@host:~$ ls -la {rng.choice(['/usr/lib', '~/src', '/opt', '.'])}"]
    rows += [
        f"-rw-r--r-- 1 user user {rng.randint(100, 999999):>8} Dec {rng.randint(1, 28):>2} {rng.randint(0, 23):02}:{rng.randint(0, 59):02} {n}"
        for n in names[: rng.randint(10, 40)]
    ]
    rows += (
        ["user@host:~$ python3", ">>> help()"]
        + [ln[:100] for ln in lines[: rng.randint(5, 30)]]
        + ["user@host:~$ _"]
    )
    body = "<pre style='margin:0;padding:8px;font:13px/1.35 monospace'>" + _e("\n".join(rows)) + "</pre>"
    dark = ("#000000", "#d0d0d0", "#4e9a06", "#1c1c1c") if rng.random() < 0.7 else palette
    return _page(body, "", dark, "monospace")


def files_page(rng: random.Random, lines: list[str], palette: tuple[str, str, str, str]) -> str:
    names = file_names(rng, 48)
    side = "".join(
        f"<div style='padding:6px 14px'>{p}</div>"
        for p in ["Home", "Desktop", "Documents", "Downloads", "Music", "Pictures", "Trash"]
    )
    grid = "".join(
        f"<div style='display:inline-block;width:110px;margin:10px;text-align:center;vertical-align:top'>"
        f"<div style='width:48px;height:40px;margin:auto;background:hsl({rng.randint(0, 359)},60%,60%);border-radius:4px'></div>"
        f"<div style='font-size:12px;word-break:break-all'>{_e(n)}</div></div>"
        for n in names
    )
    return _page(app_chrome(rng, "Files", with_sidebar(side, grid, "width:180px"), palette), "", palette)


def settings_page(rng: random.Random, lines: list[str], palette: tuple[str, str, str, str]) -> str:
    rows = "".join(
        f"<div style='display:flex;justify-content:space-between;padding:12px 16px;border-bottom:1px solid #8883'>"
        f"<span>{_e(ln[:60])}</span><span style='width:40px;height:20px;border-radius:10px;background:{'#34c759' if rng.random() < 0.5 else '#8886'}'></span></div>"
        for ln in rng.sample(lines, min(len(lines), rng.randint(6, 14)))
    )
    nav = "".join(
        f"<div style='padding:8px 14px'>{w}</div>"
        for w in ["General", "Network", "Display", "Sound", "Privacy", "Accounts", "Updates"]
    )
    inner = with_sidebar(nav, rows, "width:200px", main=";max-width:720px")
    return _page(app_chrome(rng, "Settings", inner, palette), "", palette)


def chat_page(rng: random.Random, lines: list[str], palette: tuple[str, str, str, str]) -> str:
    bubbles = "".join(
        f"<div style='text-align:{'right' if k % 2 else 'left'}'><div class={'accent' if k % 2 else 'panel'} "
        f"style='display:inline-block;max-width:70%;margin:6px 12px;padding:8px 12px;border-radius:14px;text-align:left'>{_e(ln)}</div></div>"
        for k, ln in enumerate(rng.sample(lines, min(len(lines), rng.randint(5, 14))))
    )
    box = "<div class=panel style='position:fixed;bottom:0;left:0;right:0;padding:10px'><input style='width:80%;padding:10px;border-radius:18px;border:1px solid #8886' placeholder='Message'></div>"
    return _page(
        f"<div class=panel style='padding:12px;font-weight:600'>{_e(lines[0][:30])}</div>{bubbles}{box}",
        "",
        palette,
    )


def editor_page(rng: random.Random, module: str, palette: tuple[str, str, str, str]) -> str:
    src = source_lines(module)
    start = rng.randint(0, max(0, len(src) - 60))
    code = "".join(
        f"<div><span style='opacity:.5;display:inline-block;width:40px'>{start + k + 1}</span>{_e(ln)}</div>"
        for k, ln in enumerate(src[start : start + 60])
    )
    tabs = "".join(
        f"<span class=panel style='padding:6px 14px;margin-right:2px'>{m}.py</span>"
        for m in rng.sample(MODULES, 4)
    )
    inner = f"<div style='padding:6px 0'>{tabs}</div><pre style='margin:0;padding:4px;font:13px/1.4 monospace;white-space:pre'>{code}</pre>"
    return _page(app_chrome(rng, f"{module}.py - Editor", inner, palette), "", palette)


def sheet_page(rng: random.Random, lines: list[str], palette: tuple[str, str, str, str]) -> str:
    cols = rng.randint(6, 12)
    head = "".join(
        f"<th style='border:1px solid #8885;padding:3px 8px'>{chr(65 + c)}</th>" for c in range(cols)
    )
    body = "".join(
        "<tr>"
        + f"<td style='border:1px solid #8885'>{r + 1}</td>"
        + "".join(
            f"<td style='border:1px solid #8885;padding:3px 8px'>{rng.choice([str(rng.randint(0, 9999)), f'{rng.random() * 100:.2f}', _e(rng.choice(lines)[:14])])}</td>"
            for _ in range(cols)
        )
        + "</tr>"
        for r in range(rng.randint(15, 40))
    )
    inner = f"<table style='border-collapse:collapse;font-size:13px'><tr><th></th>{head}</tr>{body}</table>"
    return _page(app_chrome(rng, "Sheet1 - Spreadsheet", inner, palette), "", palette)


def mail_page(rng: random.Random, lines: list[str], palette: tuple[str, str, str, str]) -> str:
    rows = "".join(
        f"<div style='padding:8px 12px;border-bottom:1px solid #8883'><b>{_e(rng.choice(lines)[:24])}</b>"
        f"<span style='float:right;opacity:.6'>{rng.randint(1, 12)}:{rng.randint(0, 59):02}</span><br>{_e(ln[:90])}</div>"
        for ln in rng.sample(lines, min(len(lines), rng.randint(8, 18)))
    )
    inner = with_sidebar("Inbox<br>Sent<br>Drafts<br>Spam", rows, "width:160px", side=";padding:8px")
    return _page(app_chrome(rng, "Inbox - Mail", inner, palette), "", palette)


def pydoc_page(module: str, palette: tuple[str, str, str, str], sidebar: bool) -> str:
    mod = import_module(module)
    body = pydoc.HTMLDoc().document(mod)
    nav = ""
    if sidebar:
        items = "".join(f"<div style='padding:3px 0'><a>{m}</a></div>" for m in MODULES[:40])
        nav = f"<div class=panel style='position:fixed;left:0;top:0;bottom:0;width:220px;overflow:hidden;padding:10px'>{items}</div>"
    style = "table{width:100%}" + ("body>*:not(.panel){margin-left:240px}" if sidebar else "")
    return _page(nav + body, style, palette)


UI_PAGES = {
    "form": form_page, "dialog": dialog_page, "terminal": terminal_page, "files": files_page,
    "settings": settings_page, "chat": chat_page, "sheet": sheet_page, "mail": mail_page,
}  # fmt: skip


def article(rng: random.Random, paragraphs: list[str], title: str) -> str:
    """A printable document: headings, justified paragraphs, sometimes two columns or a table."""
    parts = [f"<h1 style='font-size:22pt'>{_e(title)}</h1>"]
    for k, text in enumerate(paragraphs):
        if k and k % rng.randint(3, 6) == 0:
            parts.append(f"<h2 style='font-size:14pt'>{k // 3}. {_e(text[:50])}</h2>")
        parts.append(f"<p>{_e(text)}</p>")
        if rng.random() < 0.08:
            cells = "".join(
                "<tr>"
                + "".join(
                    f"<td style='border:1px solid #000;padding:2px 6px'>{rng.randint(0, 999)}</td>"
                    for _ in range(5)
                )
                + "</tr>"
                for _ in range(rng.randint(3, 8))
            )
            parts.append(f"<table style='border-collapse:collapse;margin:8px auto'>{cells}</table>")
    font = rng.choice(["serif", "sans-serif", "'DejaVu Serif'", "'DejaVu Sans'"])
    columns = "columns:2;column-gap:24px;" if rng.random() < 0.3 else ""
    size = rng.choice([10, 11, 12])
    css = f"body{{margin:0;{columns}text-align:justify;font:{size}pt/1.35 {font};color:#111}}@page{{margin:{rng.choice([15, 20, 25])}mm}}"
    return f"<!doctype html><html><head><meta charset=utf-8><style>{css}</style></head><body>{''.join(parts)}</body></html>"


def random_palette(rng: random.Random) -> tuple[str, str, str, str]:
    return rng.choice(PALETTES)


def workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))
