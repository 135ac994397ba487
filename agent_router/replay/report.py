"""The replay written out: the per-item diff as JSON Lines, and one self-contained HTML page
(inline CSS, no scripts, no external assets) with each session's decisions side by side."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from pathlib import Path

from .diff import ReplayItem, ReplaySummary, Side, summary_rows
from .run import ReplayRun

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1b1f24;background:#fff}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse;width:100%;margin:8px 0}
th,td{border:1px solid #d0d7de;padding:4px 8px;vertical-align:top;text-align:left}
th{background:#f6f8fa}td.n{text-align:right;white-space:nowrap}
tr.changed td{background:#fff8c5}tr.problem td{background:#ffebe9}
.k{color:#57606a;font-size:12px}.tag{display:inline-block;padding:0 6px;border-radius:8px;
background:#ddf4ff;margin-right:4px}.tag.chg{background:#ffd8b5}
pre{white-space:pre-wrap;margin:0;font:13px ui-monospace,monospace}
"""


def write_jsonl(items: Iterable[ReplayItem], path: str | Path) -> int:
    n = 0
    with open(path, "w", encoding="utf-8") as out:
        for item in items:
            out.write(item.model_dump_json(exclude_none=True) + "\n")
            n += 1
    return n


def render_html(run: ReplayRun, title: str = "agent-router replay") -> str:
    s = run.summary
    parts = [
        f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{escape(title)}"
        f"</title><style>{CSS}</style></head><body><h1>{escape(title)}</h1>",
        _summary(s),
    ]
    sessions: dict[str, list[ReplayItem]] = {}
    for item in run.items:
        sessions.setdefault(item.session_id, []).append(item)
    for sid, items in sessions.items():
        changed = sum(bool(i.changed) for i in items)
        parts.append(
            f'<h2 id="s-{escape(sid)}">session {escape(sid)} '
            f"<span class=k>{len(items)} decisions, {changed} changed</span></h2>"
            f"<table><tr><th>#</th><th>kind</th><th>turn</th><th>input</th>"
            f"<th>{s.before_label}</th><th>new</th><th>diff</th></tr>"
        )
        parts += [_row(i) for i in items]
        parts.append("</table>")
    parts.append("</body></html>")
    return "".join(parts)


def _summary(s: ReplaySummary) -> str:
    rows = "".join(f"<tr><td>{escape(k)}</td><td class=n>{escape(v)}</td></tr>" for k, v in summary_rows(s))
    problems = "".join(f"<li>{escape(p)}</li>" for p in s.problems)
    against = (
        f"baseline {s.baseline_digest}"
        if s.baseline_digest
        else f"recorded under {', '.join(s.recorded_digests) or 'unknown configs'}"
    )
    return (
        f'<table id=summary style="width:auto">{rows}</table>'
        f"<p class=k>config {escape(s.config_digest)}; {escape(against)}</p>"
        + (f"<ul class=k>{problems}</ul>" if problems else "")
    )


def _row(item: ReplayItem) -> str:
    cls = "problem" if item.problems else ("changed" if item.changed else "")
    diff = "".join(f"<span class='tag chg'>{escape(c)}</span>" for c in item.changed)
    if item.exact:
        diff += "<span class=tag>exact</span>"
    diff += "".join(f"<div class=k>{escape(w)}</div>" for w in item.why)
    diff += "".join(f"<div class=k>{escape(p)}</div>" for p in item.problems)
    return (
        f'<tr class="{cls}"><td class=n>{item.index}</td><td>{item.kind}</td>'
        f"<td>{escape(item.turn_id or '')}</td><td><pre>{escape(item.text)}</pre></td>"
        f"<td>{_side(item.before)}</td><td>{_side(item.after)}</td><td>{diff}</td></tr>"
    )


def _side(side: Side | None) -> str:
    if side is None:
        return "<span class=k>-</span>"
    bits = []
    if side.model is not None:
        bits.append(
            f"<b>{escape(side.model)}</b> <span class=k>route {escape(side.route or '(default)')}</span>"
        )
    if side.cost_usd is not None:
        bits.append(f"<span class=k>${side.cost_usd:.6f}, {side.latency_ms:g} ms</span>")
    if side.tools is not None:
        bits.append(escape(", ".join(side.tools) or "(none)"))
    if side.verdict is not None:
        bits.append(f"<b>{escape(side.verdict)}</b> <span class=k>{escape(', '.join(side.rules))}</span>")
    if side.answer is not None:
        bits.append(f"<pre>{escape(side.answer[:2000])}</pre>")
    return "<br>".join(bits)
