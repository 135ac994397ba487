"""Coding-agent threats in a parsed command line: secret environment variables, environment
dumps, persistence (start-up files, git hooks, cron, services, authorized keys), code fetched
and run, installs from unpinned or unknown sources, and data sent out through any network tool,
DNS lookup or interpreter one-liner. shell.py runs these beside its own rules."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..findings import Finding
from .files import CREDENTIALS, persistence_kind
from .interpreters import ScriptFacts, one_liner, read_script
from .shell_findings import confirm, deny
from .shell_syntax import SHELLS, Command

DOWNLOADERS = {"curl", "wget", "fetch", "aria2c", "lwp-download"}
SENDERS = DOWNLOADERS - {"fetch"} | {
    "nc",
    "ncat",
    "netcat",
    "scp",
    "sftp",
    "ftp",
    "rsync",
    "socat",
    "telnet",
    "mail",
    "sendmail",
    "mutt",
    "ssh",
    "openssl",
    "http",
    "https",
    "xh",
}
DNS_TOOLS = {"dig", "nslookup", "host", "drill", "ping", "ping6", "traceroute", "whois"}
ENV_DUMPERS = {"env", "printenv", "set", "export", "declare", "typeset", "compgen"}
SECRET_NAME = re.compile(
    r"(SECRET|TOKEN|PASSW|_PWD$|API_?KEY|APIKEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL|_AUTH$|AUTH_?TOKEN|"
    r"SESSION|COOKIE|_KEY$|^KEY$|DATABASE_URL|_DSN$|WEBHOOK|SIGNING)",
    re.I,
)
NOT_SECRET = {"SSH_AUTH_SOCK", "GPG_AGENT_INFO", "SESSION_MANAGER", "XDG_SESSION_ID", "XDG_SESSION_TYPE"}
ENV_REF = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
REMOTE_SOURCE = re.compile(
    r"^(git\+|hg\+|svn\+|bzr\+|https?://|ftp://|github:|gitlab:|bitbucket:|git://)", re.I
)
INDEX_FLAGS = {"-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--registry", "--source"}
TRUSTED_INDEXES = re.compile(
    r"^https://(pypi\.org|files\.pythonhosted\.org|registry\.npmjs\.org|rubygems\.org)"
)
HEADER_FLAGS = {"-H", "--header", "-u", "--user", "--oauth2-bearer"}


def scripts(commands: list[Command]) -> list[ScriptFacts]:
    """The interpreter one-liners on the line, read."""
    found = []
    for command in commands:
        if script := one_liner(command):
            found.append(read_script(*script))
    return found


def sends_data(commands: list[Command], facts: list[ScriptFacts]) -> bool:
    """Something on the line can carry data off the machine."""
    programs = {c.program for c in commands}
    return bool(programs & SENDERS) or any(f.network for f in facts) or any(_dns_leak(c) for c in commands)


def check_coding(
    commands: list[Command], facts: list[ScriptFacts], text: str, field: str, *, sends: bool
) -> list[Finding]:
    findings: list[Finding] = []
    written: set[str] = set()  # files a downloader saved, to see them run later on the line
    for command in (c for c in commands if c.argv):
        findings.extend(_secrets(command, field, sends=sends))
        findings.extend(_persistence(command, text, field))
        findings.extend(_remote_code(command, written, field))
        if _dns_leak(command):
            findings.append(
                deny(
                    "shell.dns_exfiltration",
                    "puts local data into a DNS lookup",
                    " ".join(command.argv),
                    field,
                )
            )
    for script in facts:
        findings.extend(_script(script, field, sends=sends))
    return findings


def secret_names(words: list[str]) -> list[str]:
    return [
        name
        for word in words
        for name in ENV_REF.findall(word)
        if SECRET_NAME.search(name) and name.upper() not in NOT_SECRET
    ]


def _secrets(c: Command, field: str, *, sends: bool) -> Iterator[Finding]:
    program, args = c.program, c.args
    line = " ".join(c.argv)
    auth_values = {args[i + 1] for i, a in enumerate(args[:-1]) if a in HEADER_FLAGS}
    named = secret_names([a for a in args if a not in auth_values])
    if program == "printenv":
        named += [a for a in args if SECRET_NAME.search(a)]
    if named:
        if sends:
            yield deny("shell.secret_exfiltration", f"sends the secret variable {named[0]} out", line, field)
        else:
            yield confirm("shell.secret_env", f"reads the secret variable {named[0]}", line, field, 0.75)
    if _dumps_environment(c):
        if sends:
            yield deny("shell.env_exfiltration", "sends the whole environment out", line, field)
        else:
            yield confirm("shell.env_dump", "dumps the environment, secrets included", line, field, 0.75)


def _dumps_environment(c: Command) -> bool:
    program, args = c.program, c.args
    if program in ("env", "printenv") and not [a for a in args if not a.startswith("-")]:
        return True
    if program in ("set", "compgen") and (not args or args == ["-v"]):
        return True
    return program in ("export", "declare", "typeset") and (not args or args in (["-p"], ["-x"], ["-px"]))


def _persistence(c: Command, text: str, field: str) -> Iterator[Finding]:
    program, args = c.program, c.args
    targets = [t for kind, t in c.redirects if ">" in kind]
    if program in ("tee", "cp", "mv", "ln", "install", "rsync", "dd", "sed", "chmod", "touch"):
        targets += [a.removeprefix("of=") for a in args if not a.startswith("-") or a.startswith("of=")]
    reasons = [(kind, t) for t in targets if (kind := persistence_kind(t))]
    if program == "git" and "config" in args and any(a.lower() == "core.hookspath" for a in args):
        reasons.append(("git hook", "core.hooksPath"))
    if program == "crontab" and not c.flags() & {"l", "r"}:
        reasons.append(("scheduled job", "crontab " + " ".join(args)))
    if program == "systemctl" and "enable" in args or program == "launchctl" and "load" in args:
        reasons.append(("service unit", " ".join(c.argv)))
    for kind, target in reasons[:1]:
        fetches = bool(re.search(r"https?://|\b(curl|wget|nc|base64)\b", text))
        if fetches:
            yield deny(
                "shell.persistence", f"installs a {kind} that fetches or runs remote code", target, field
            )
        else:
            yield confirm(
                "shell.persistence",
                f"writes a {kind}: code placed there runs later, unattended",
                target,
                field,
                0.75,
            )


def _remote_code(c: Command, written: set[str], field: str) -> Iterator[Finding]:
    program, args = c.program, c.args
    line = " ".join(c.argv)
    if program in DOWNLOADERS:
        for i, arg in enumerate(args):
            if arg in ("-o", "-O", "--output", "--output-document") and i + 1 < len(args):
                written.add(args[i + 1].lstrip("./"))
        written.update(t.lstrip("./") for kind, t in c.redirects if ">" in kind)
    ran = {a.lstrip("./") for a in c.argv[:2]}
    runner = program in SHELLS | {"python", "python3", "perl", "ruby", "node", "source", "."}
    if (runner or c.argv[0].startswith("./")) and written & ran:
        yield deny("shell.download_execute", "runs a file it just downloaded", line, field)
    installer = program in ("pip", "pip3", "pipx", "uv", "npm", "pnpm", "yarn", "gem", "npx", "go")
    if installer and {"install", "add", "i", "-y", "exec", "dlx", "get"} & set(args):
        remote = [a for a in args if REMOTE_SOURCE.match(a)]
        index = [
            args[i + 1]
            for i, a in enumerate(args[:-1])
            if a in INDEX_FLAGS and not TRUSTED_INDEXES.match(args[i + 1])
        ]
        if remote or index:
            yield deny(
                "shell.install_unknown_source",
                "installs a package from a URL, repository or unknown index rather than a pinned release",
                (remote or index)[0],
                field,
                0.9,
            )


def _dns_leak(c: Command) -> bool:
    return c.program in DNS_TOOLS and any(re.search(r"\$\(|`|\$\{?[A-Za-z_]", a) for a in c.args)


def _script(s: ScriptFacts, field: str, *, sends: bool) -> Iterator[Finding]:
    what = f"{s.language} one-liner"
    credential = next((t for t in s.strings if CREDENTIALS.search(t)), None)
    secrets = [n for n in s.env_reads if SECRET_NAME.search(n) and n.upper() not in NOT_SECRET]
    leaving = sends or bool(s.network)
    if credential:
        if leaving:
            yield deny(
                "shell.credential_exfiltration", f"a {what} sends a credential file out", credential, field
            )
        else:
            yield confirm(
                "shell.credential_access", f"a {what} reads a credential file", credential, field, 0.75
            )
    if secrets:
        if leaving:
            yield deny("shell.secret_exfiltration", f"a {what} sends {secrets[0]} out", s.code, field)
        else:
            yield confirm("shell.secret_env", f"a {what} reads {secrets[0]}", s.code, field, 0.75)
    if s.env_dump:
        if leaving:
            yield deny("shell.env_exfiltration", f"a {what} sends the environment out", s.code, field)
        else:
            yield confirm("shell.env_dump", f"a {what} dumps the environment", s.code, field, 0.75)
    if s.network and (s.runs_dynamic_code or s.executes):
        yield deny("shell.remote_code", f"a {what} fetches code and runs it", s.code, field)
    elif s.network:
        yield confirm("shell.network_script", f"a {what} talks to the network", s.code, field, 0.6)
    for target in s.strings:
        if kind := persistence_kind(target):
            yield confirm("shell.persistence", f"a {what} touches a {kind}", target, field, 0.75)
            break
