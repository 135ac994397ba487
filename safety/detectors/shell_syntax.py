"""Shell command lines parsed into simple commands: the syntax, not the judgement.

bashlex gives the real structure (pipelines, substitutions, redirects); shlex is the fallback
for syntax bashlex does not cover. Wrappers (sudo, env, xargs, ...) are peeled off and the
scripts run by `sh -c`, `eval`, `ssh host ...` and `find -exec` are parsed too, so that the
rules in shell.py see the program that really runs."""

from __future__ import annotations

import contextlib
import re
import shlex
from dataclasses import dataclass, field

import bashlex

SHELLS = {"sh", "bash", "zsh", "dash", "ksh", "fish", "csh", "tcsh", "ash"}
WRAPPERS = {
    "sudo",
    "doas",
    "env",
    "nohup",
    "time",
    "nice",
    "ionice",
    "timeout",
    "xargs",
    "command",
    "exec",
    "stdbuf",
    "unbuffer",
    "chroot",
    "su",
}


@dataclass
class Command:
    """One simple command after wrappers (sudo, env, xargs, ...) are removed."""

    argv: list[str]
    redirects: list[tuple[str, str]] = field(default_factory=list)
    upstream: list[str] = field(default_factory=list)  # programs piped into this one
    privileged: bool = False  # run through sudo, su or doas

    @property
    def program(self) -> str:
        return self.argv[0].rsplit("/", 1)[-1].lower() if self.argv else ""

    @property
    def args(self) -> list[str]:
        return self.argv[1:]

    def flags(self) -> set[str]:
        """Single-letter flags and long options: '-rf' -> {'r', 'f'}."""
        found: set[str] = set()
        for arg in self.args:
            if arg.startswith("--"):
                found.add(arg[2:].split("=")[0])
            elif arg.startswith("-") and len(arg) > 1:
                found.update(arg[1:])
        return found


def parse_commands(text: str, depth: int = 0) -> list[Command]:
    """Every simple command in text, including those in substitutions and `sh -c` strings.
    Raises ValueError when the text is not shell syntax that either parser accepts."""
    try:
        commands = _bashlex_commands(text)
    except Exception:  # bashlex raises its own errors and sometimes plain ones on odd syntax
        commands = _shlex_commands(text)
    expanded: list[Command] = []
    for command in commands:
        command = _unwrap(command)
        expanded.append(command)
        inner = _inner_script(command)
        if inner and depth < 3:
            with contextlib.suppress(ValueError):  # the outer command is still judged
                expanded.extend(parse_commands(inner, depth + 1))
    return expanded


def _bashlex_commands(text: str) -> list[Command]:
    out: list[Command] = []
    for tree in bashlex.parse(text):
        _walk(tree, out)
    return out


def _walk(node: object, out: list[Command]) -> None:
    kind = getattr(node, "kind", "")
    if kind == "command":
        parts = getattr(node, "parts", [])
        argv = [p.word for p in parts if p.kind == "word"]
        redirects = []
        for p in parts:
            if p.kind == "redirect":
                target = p.output.word if hasattr(p.output, "word") else str(p.output)
                redirects.append((p.type, target))
        out.append(Command(argv, redirects))
        for p in parts:
            for child in (*getattr(p, "parts", []), getattr(p, "output", None)):
                _walk(child, out)
        return
    if kind == "pipeline":
        upstream: list[str] = []
        for part in node.parts:  # type: ignore[attr-defined]
            if part.kind == "pipe":
                continue
            start = len(out)
            _walk(part, out)
            for command in out[start:]:
                command.upstream.extend(upstream)
            upstream.extend(_unwrap(c).program for c in out[start:])
        return
    for attr in ("parts", "list"):
        for child in getattr(node, attr, None) or []:
            _walk(child, out)
    for attr in ("command", "output"):
        child = getattr(node, attr, None)
        if child is not None and hasattr(child, "kind"):
            _walk(child, out)


_SEPARATORS = {";", "&&", "||", "&", "\n", "|", "|&"}
_REDIRECTS = {">", ">>", "<", ">&", "&>", "2>", "<<<", ">|"}


def _shlex_commands(text: str) -> list[Command]:
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|<>")
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError as exc:
        raise ValueError(f"not parseable shell: {exc}") from None
    commands: list[Command] = []
    current = Command([])
    upstream: list[str] = []
    pending_redirect: str | None = None
    for token in tokens:
        if pending_redirect is not None:
            current.redirects.append((pending_redirect, token))
            pending_redirect = None
        elif token in _SEPARATORS:
            if current.argv:
                commands.append(current)
            upstream = [*upstream, _unwrap(current).program] if token in ("|", "|&") else []
            current = Command([], upstream=list(upstream))
        elif token in _REDIRECTS:
            pending_redirect = token
        else:
            current.argv.append(token)
    if current.argv:
        commands.append(current)
    return commands


def _unwrap(command: Command) -> Command:
    """The wrapped command; a wrapper with nothing to run (`env`, `time`) stays itself."""
    argv = list(command.argv)
    privileged = False
    while argv and (argv[0].rsplit("/", 1)[-1] in WRAPPERS or "=" in argv[0]):
        wrapper = argv.pop(0).rsplit("/", 1)[-1]
        privileged = privileged or wrapper in ("sudo", "su", "doas")
        while argv and (
            argv[0].startswith("-")
            or "=" in argv[0]
            or argv[0].isdigit()
            or re.fullmatch(r"\d+[smhd]", argv[0])
        ):
            option = argv.pop(0)
            if wrapper in ("sudo", "su", "doas") and option in ("-u", "-g") and argv:
                argv.pop(0)
    if not argv:
        return command
    return Command(argv, command.redirects, command.upstream, privileged)


def _inner_script(command: Command) -> str | None:
    program, args = command.program, command.args
    if program in SHELLS:
        for i, arg in enumerate(args[:-1]):
            if arg.startswith("-") and "c" in arg[1:]:
                return args[i + 1]
    if program == "eval" and args:
        return " ".join(args)
    if program == "ssh" and len(args) >= 2 and not args[-1].startswith("-"):
        return args[-1]
    if program == "find" and "-exec" in args:
        start = args.index("-exec") + 1
        end = next((i for i in range(start, len(args)) if args[i] in (";", "\\;", "+")), len(args))
        root = args[0] if args and not args[0].startswith("-") else "."
        # `{}` stands for every file under the search root: judge it as the root itself.
        return " ".join(shlex.quote(root if a == "{}" else a) for a in args[start:end])
    return None
