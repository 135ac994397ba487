"""What an interpreter one-liner (`python -c`, `node -e`, `perl -e`, `ruby -e`, `php -r`) does,
read from its code rather than matched as a string: Python through `ast`, the others through a
tokeniser that separates string literals from names. The facts (files named, environment
variables read, network use, commands run) are judged in coding.py like a shell command's."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from .shell_syntax import Command

CODE_FLAGS = {
    "python": {"-c"},
    "node": {"-e", "--eval", "-p", "--print"},
    "deno": {"eval"},
    "bun": {"-e", "--eval"},
    "perl": {"-e", "-E"},
    "ruby": {"-e"},
    "php": {"-r"},
    "lua": {"-e"},
}
PY_NETWORK = {
    "urllib",
    "urllib2",
    "urllib3",
    "requests",
    "httpx",
    "http",
    "socket",
    "smtplib",
    "ftplib",
    "telnetlib",
    "paramiko",
    "aiohttp",
    "dns",
    "xmlrpc",
    "websocket",
    "websockets",
}
PY_EXEC_CALLS = {
    "system",
    "popen",
    "run",
    "call",
    "check_call",
    "check_output",
    "Popen",
    "spawn",
    "getoutput",
    "getstatusoutput",
    "execv",
    "execl",
    "execvp",
}
PY_DYNAMIC = {"exec", "eval", "compile"}
# Name tokens that mean the same things in the other interpreters.
NETWORK_WORDS = re.compile(
    r"^(http|https|net|dgram|dns|tls|fetch|axios|XMLHttpRequest|WebSocket|IO::Socket(::INET)?|LWP(::\w+)*|"
    r"HTTP::Tiny|Net::\w+|Socket|TCPSocket|UDPSocket|open-uri|URI|fsockopen|curl_init|curl_exec|"
    r"stream_socket_client|socket\.http|ssl)$"
)
EXEC_WORDS = re.compile(
    r"^(child_process|execSync|exec|execFile|execFileSync|spawn|spawnSync|system|qx|popen|IO\.popen|"
    r"shell_exec|passthru|proc_open|os\.execute|io\.popen|Open3)$"
)
DYNAMIC_WORDS = re.compile(r"^(eval|Function|instance_eval|class_eval|load|dostring|loadstring)$")
ENV_READ = [  # (pattern, group holding the variable's name or None for the whole environment)
    re.compile(r"process\.env\.([A-Za-z_]\w*)"),
    re.compile(r"process\.env\[\s*['\"]([^'\"]+)['\"]"),
    re.compile(r"\$ENV\{\s*['\"]?(\w+)"),
    re.compile(r"\bENV(?:\.fetch\(\s*|\[\s*)['\"]([^'\"]+)['\"]"),
    re.compile(r"\bgetenv\(\s*['\"]([^'\"]+)['\"]"),
    re.compile(r"\$_(?:ENV|SERVER)\[\s*['\"]([^'\"]+)['\"]"),
    re.compile(r"os\.getenv\(\s*['\"]([^'\"]+)['\"]"),
]
ENV_DUMP = re.compile(
    r"process\.env(?![.\[\w])|%ENV\b|\bENV(?:\.to_h|\.to_a|\.each|\.inspect|\.keys|\s*\)|\s*$)|"
    r"\bgetenv\(\s*\)|\$_ENV(?!\[)|os\.environ(?![.\[\w])"
)
TOKEN = re.compile(
    r"(?P<str>'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"|`(?:\\.|[^`\\])*`|%x\{[^}]*\}|qx\{[^}]*\})"
    r"|(?P<name>[A-Za-z_$][\w$]*(?:(?:::|\.)[A-Za-z_]\w*)*)"
)


@dataclass
class ScriptFacts:
    """What a one-liner touches, as literals and names found in its code."""

    language: str
    code: str
    strings: list[str] = field(default_factory=list)  # string literals: paths, URLs, commands
    env_reads: list[str] = field(default_factory=list)
    env_dump: bool = False
    network: list[str] = field(default_factory=list)
    executes: list[str] = field(default_factory=list)  # shell text the code runs
    runs_dynamic_code: bool = False


def one_liner(command: Command) -> tuple[str, str] | None:
    """(language, code) when the command runs code given on its command line."""
    language = _language(command.program)
    if language is None:
        return None
    flags = CODE_FLAGS[language]
    args = command.args
    for i, arg in enumerate(args[:-1]):
        if arg in flags or (language == "python" and arg.startswith("-") and arg.endswith("c")):
            return language, args[i + 1]
    return None


def read_script(language: str, code: str) -> ScriptFacts:
    if language == "python":
        try:
            return _python_facts(code)
        except (SyntaxError, ValueError):
            pass  # shell quoting lost on the way: fall back to the tokeniser
    return _token_facts(language, code)


def _language(program: str) -> str | None:
    base = re.sub(r"[\d.]+$", "", program)  # python3.11 -> python, perl5 -> perl
    if base in ("nodejs",):
        return "node"
    return base if base in CODE_FLAGS else None


def _python_facts(code: str) -> ScriptFacts:
    tree = ast.parse(code)
    facts = ScriptFacts("python", code)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            facts.strings.append(node.value)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            facts.network.extend(n for n in names if n.split(".")[0] in PY_NETWORK)
        elif isinstance(node, ast.Call):
            _python_call(node, facts)
        elif isinstance(node, ast.Attribute) and _dotted(node) == "os.environ":
            facts.env_dump = facts.env_dump or not _environ_lookup(node, tree)
    for node in ast.walk(tree):
        key = node.slice if isinstance(node, ast.Subscript) and _dotted(node.value) == "os.environ" else None
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            facts.env_reads.append(key.value)
    return facts


def _python_call(node: ast.Call, facts: ScriptFacts) -> None:
    name = _dotted(node.func)
    last = name.rsplit(".", 1)[-1]
    literal = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    if name == "__import__" and literal and literal[0].split(".")[0] in PY_NETWORK:
        facts.network.append(literal[0])
    if name in ("os.getenv", "os.environ.get", "getenv", "environ.get") and literal:
        facts.env_reads.append(literal[0])
    if name in PY_DYNAMIC:
        facts.runs_dynamic_code = True
    if last in PY_EXEC_CALLS and (
        name.startswith(("os.", "subprocess.", "pty.", "commands.")) or "." in name
    ):
        facts.executes.extend(literal)
        if not literal and node.args and isinstance(node.args[0], ast.List):
            words = [e.value for e in node.args[0].elts if isinstance(e, ast.Constant)]
            facts.executes.append(" ".join(str(w) for w in words))
    if last in ("urlopen", "urlretrieve", "create_connection", "connect", "sendto") or name.startswith(
        ("requests.", "httpx.")
    ):
        facts.network.append(name)


def _environ_lookup(node: ast.Attribute, tree: ast.AST) -> bool:
    """os.environ['X'] and os.environ.get('X') read one variable; anything else reads them all."""
    for parent in ast.walk(tree):
        if isinstance(parent, ast.Subscript) and parent.value is node:
            return True
        if (
            isinstance(parent, ast.Attribute)
            and parent.value is node
            and parent.attr in ("get", "setdefault")
        ):
            return True
    return False


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return _dotted(node.func)
    return ""


def _token_facts(language: str, code: str) -> ScriptFacts:
    facts = ScriptFacts(language, code)
    previous = ""
    for match in TOKEN.finditer(code):
        if literal := match.group("str"):
            body = re.sub(r"^(%x\{|qx\{)|\}$", "", literal) if literal[0] in "%q" else literal[1:-1]
            if literal[0] == "`" or literal[0] in "%q" or EXEC_WORDS.match(previous):
                facts.executes.append(body)
            if NETWORK_WORDS.match(body):  # require('http'), use of 'net'
                facts.network.append(body)
            facts.strings.append(body)
            previous = ""
            continue
        name = match.group("name")
        if NETWORK_WORDS.match(name) or name.startswith(("Net::", "IO::Socket", "LWP")):
            facts.network.append(name)
        if DYNAMIC_WORDS.match(name):
            facts.runs_dynamic_code = True
        previous = name
    facts.strings.extend(re.findall(r"https?://[^\s'\"`)]+", code))
    for pattern in ENV_READ:
        facts.env_reads.extend(pattern.findall(code))
    facts.env_dump = bool(ENV_DUMP.search(code))
    return facts
