"""Instructions judged by what they ask, whatever wraps them: a sentence in data that asks
the reader to disclose a secret, dump the environment, plant code that runs later and fetches
more, or run code that runs other code. A README telling a person to set a token or to add a
line to their shell profile is ordinary; asking to print the token or to make the profile
download a script is not. Each ask names the sentence that matched."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .files import PERSISTENCE, credential_path
from .shell import check_shell

# Put before a verb: the verb is not negated ("never share", "do not post", "don't follow").
NOT_NEGATED = r"(?<!\bnever )(?<!\bnot )(?<!n't )"
# A verb that hands something over, as an ask: not advice against it ("never share your password",
# "do not post your API key") and not a method in quoted code (`c.post("/login/", ...)`).
DISCLOSE = (
    rf"(?<![.\w]){NOT_NEGATED}"
    r"(print|echo|show|display|output|paste|send|upload|post|share|reveal|dump|cat|attach|commit|"
    r"expose|forward|leak|exfiltrate|transmit|base64|include (its|the|their) (contents?|values?))\b(?!\s*\()"
)
SECRET = (
    r"(\$\{?[A-Z][A-Z0-9_]*(TOKEN|SECRET|KEY|PASSWORD|PASSWD|CREDENTIALS?)\b|"
    r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]*(TOKEN|SECRET|KEY|PASSWORD)\b|"
    r"\b(api|access|secret|private|ssh|signing) (key|token)s?\b|\bcredentials? files?\b|"
    r"\bpasswords?\b(?![- ]protected)|\bsecrets?\b)"
)
ENVIRONMENT = (
    r"((?<![.\w/-])(env|printenv)\b\s*(>|\||`)|\b(full|whole|entire|complete)\s+(shell\s+)?environment\b|"
    r"\ball\s+(the\s+)?environment\s+variables\b|\benvironment\s+(variables\s+)?(dump|to\s+a\s+file)\b|"
    r"\bprintenv\b)"
)
FETCH = r"(\bcurl\b|\bwget\b|https?://|\bdownloads?\b|\bfetch(es)?\b|\|\s*(ba|z)?sh\b|<\(\s*curl)"
LATER = (
    r"(\bgit hooks?\b|\b(pre|post)-(commit|push|checkout|merge|receive) hook|\.git/hooks|"
    r"\bcron(tab| job| entry)?\b|\bauthorized_keys\b|\bsystemd\b|\bstart-?up (file|script)s?\b|"
    r"\bshell (profile|rc|start-?up)\b)"
)
RUNS_CODE = (
    r"(\b(os\.system|subprocess|popen|__import__|Kernel\.exec|child_process|socket|mkfifo)\b|\bexec\(|"
    r"\beval\(|\$\(|\.connect\(|\brequests?\.(get|post)\(|/bin/(ba)?sh\b)"
)
RUN = r"(?<![.\w])(run|execute|eval|evaluate)\b(?!\s*\()"
SENTENCE = re.compile(r"[^\n]+?(?:(?<=[.!?])\s+(?=[A-Z`$~])|$)", re.M)


@dataclass(frozen=True)
class Ask:
    rule: str
    start: int
    end: int


def _both(first: str, second: str) -> re.Pattern[str]:
    return re.compile(rf"{first}.{{0,160}}?{second}|{second}.{{0,160}}?{first}", re.I)


ASKS: list[tuple[str, re.Pattern[str]]] = [
    ("injection.asks_secret", _both(DISCLOSE, SECRET)),
    ("injection.asks_environment_dump", re.compile(ENVIRONMENT, re.I)),
    ("injection.asks_persistence", _both(LATER, FETCH)),
]
PERSISTENCE_PATHS = [pattern for _, pattern in PERSISTENCE]
CODE_SPAN = re.compile(r"``?([^`\n]{3,300}?)``?")
# What a command asked for in prose must not do; installers piped to a shell are left to the
# shell check, since READMEs print them for people to run.
DANGEROUS = {
    "shell.credential_exfiltration",
    "shell.secret_exfiltration",
    "shell.env_exfiltration",
    "shell.dns_exfiltration",
    "shell.remote_code",
    "shell.reverse_shell",
    "shell.secret_env",
    "shell.env_dump",
    "shell.credential_access",
    "shell.persistence",
    "shell.download_execute",
}
ADD = r"\b(add|append|write|put|insert|install|create|place)\b"


def find_asks(text: str) -> list[Ask]:
    """One ask per rule, the first sentence that makes it."""
    found: dict[str, Ask] = {}
    for sentence in SENTENCE.finditer(text):
        body = sentence.group(0)
        rules = [rule for rule, pattern in ASKS if pattern.search(body)]
        words = [w.rstrip(".,;:)'\"") for w in re.findall(r"[~\w./-]+", body)]
        if re.search(DISCLOSE, body, re.I) and any(credential_path(w) for w in words):
            rules.append("injection.asks_secret")
        persistence = any(p.search(w) for w in words for p in PERSISTENCE_PATHS)
        if persistence and (re.search(FETCH, body, re.I) or re.search(ADD, body, re.I) and "key" in body):
            rules.append("injection.asks_persistence")
        prose = CODE_SPAN.sub(" ", body)
        if re.search(RUN, prose, re.I) and any(re.search(RUNS_CODE, c) for c in CODE_SPAN.findall(body)):
            rules.append("injection.asks_code_execution")
        if _dangerous_command(body):
            rules.append("injection.asks_dangerous_command")
        for rule in rules:
            found.setdefault(rule, Ask(rule, sentence.start(), sentence.end()))
    return list(found.values())


def _dangerous_command(sentence: str) -> bool:
    """A command quoted in the sentence that the shell policy would stop."""
    for span in CODE_SPAN.finditer(sentence):
        if any(f.rule in DANGEROUS for f in check_shell(span.group(1), "content")):
            return True
    return False
