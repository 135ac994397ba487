"""agent-router replay as a subprocess, its JSONL and HTML outputs, and the HTML report of
1,000 turns opened in headless Chromium."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from agent_router.replay import read_lines, replay_all
from agent_router.replay.report import render_html, write_jsonl

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
BIN = Path(sys.executable).parent


def test_cli_replays_a_file_under_a_new_config(recorded, replay_config, tmp_path: Path):
    sessions = tmp_path / "sessions.jsonl"
    sessions.write_text("\n".join(recorded) + "\n")
    routes = [
        r.model_copy(update={"models": ["agent-tools", "coder"]}) if r.name == "code" else r
        for r in replay_config.routes
    ]
    config = tmp_path / "new.yaml"
    config.write_text(
        yaml.safe_dump(
            replay_config.model_copy(update={"routes": routes}).model_dump(mode="json", exclude_none=True)
        )
    )
    out, html = tmp_path / "diff.jsonl", tmp_path / "report.html"
    done = subprocess.run(
        [
            str(BIN / "agent-router"),
            "replay",
            str(sessions),
            "--config",
            str(config),
            "--jsonl",
            str(out),
            "--html",
            str(html),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    table = dict(
        line.split("  ", 1) for line in done.stdout.splitlines() if "  " in line and not line.startswith(" ")
    )
    assert table["turns replayed"].strip() == "11" and table["model changed"].strip() == "2"
    assert table["verdicts replayed"].strip() == "5" and table["problems"].strip() == "0"
    items = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(items) == 18 and sum("model" in i.get("changed", []) for i in items) == 2
    page = html.read_text()
    assert "session every-route" in page and "session resender" in page
    assert "<script" not in page and "http://" not in page and "https://" not in page.split("<body>")[0]


def test_cli_reports_an_unreadable_file(tmp_path: Path):
    bad = tmp_path / "cut.jsonl"
    bad.write_text('{"event": "session", "id": "s1", "form')
    done = subprocess.run(
        [str(BIN / "agent-router"), "replay", str(bad)], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 2
    assert "line 1: not JSON" in done.stderr and "no recorded session" in done.stderr


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed")
async def test_html_report_of_1000_turns_opens_in_chromium(recorded, same_policy, tmp_path: Path):
    text_turns = [
        json.loads(line)
        for line in recorded
        if '"event": "turn"' in line
        and '"session_id": "every-route"' in line
        and '"kind": "image"' not in line
    ]
    lines = []
    for n in range(-(-1000 // len(text_turns))):
        lines.append(json.dumps({"event": "session", "format": 1, "id": f"copy-{n}"}))
        lines += [json.dumps({**turn, "session_id": f"copy-{n}"}) for turn in text_turns]
    run = await replay_all(read_lines(lines), same_policy)
    run.items = [i for i in run.items if i.kind == "route"][:1000]
    assert len(run.items) == 1000
    page = tmp_path / "report.html"
    page.write_text(render_html(run))
    write_jsonl(run.items, tmp_path / "diff.jsonl")
    profile = tmp_path / "profile"
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert dom.count("<tr class=") == 1000  # every turn rendered as a row
    assert 'id="summary"' in dom and "turns replayed" in dom
