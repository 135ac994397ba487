"""Destructive and exfiltrating shell commands, judged on the parsed command line.

shell_syntax.py turns the text into simple commands; the rules here judge each one (and the
text as a whole, for fork bombs and reverse shells). Text that cannot be parsed is sent to
confirmation."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ...config.safety import ConfirmCategory
from ..findings import Evidence, Finding, Outcome, clip_text
from .coding import DOWNLOADERS, check_coding, scripts, sends_data
from .files import CREDENTIALS, HISTORY_FILE
from .shell_findings import confirm, dedupe, deny
from .shell_syntax import SHELLS, Command, parse_commands

INTERPRETERS = SHELLS | {"python", "python3", "perl", "ruby", "php", "node", "lua"}
DECODERS = {"base64", "xxd", "openssl", "gunzip", "zcat", "rev"}
DISK_TOOLS = {
    "fdisk",
    "sfdisk",
    "cfdisk",
    "gdisk",
    "sgdisk",
    "parted",
    "wipefs",
    "mkswap",
    "blkdiscard",
    "hdparm",
}
INSTALLERS = {
    "apt": {"install"},
    "apt-get": {"install"},
    "yum": {"install"},
    "dnf": {"install"},
    "zypper": {"install", "in"},
    "apk": {"add"},
    "brew": {"install"},
    "pip": {"install"},
    "pip3": {"install"},
    "pipx": {"install"},
    "npm": {"install", "i"},
    "gem": {"install"},
    "snap": {"install"},
    "cargo": {"install"},
    "go": {"install"},
    "flatpak": {"install"},
    "choco": {"install"},
    "winget": {"install"},
}
# Language package managers whose plain install goes into the project's environment.
PROJECT_INSTALLERS = {"pip", "pip3", "npm"}
OUTSIDE_PROJECT = {"g", "global", "user", "system", "prefix", "target", "root", "break-system-packages"}
POWER = {"shutdown", "reboot", "halt", "poweroff"}
CRITICAL_PATHS = {
    p.lower()
    for p in {
        "/",
        "/*",
        "~",
        "~/",
        "~/*",
        "$HOME",
        "${HOME}",
        "$HOME/",
        "$HOME/*",
        ".",
        "..",
        "*",
        "./*",
        "/home",
        "/etc",
        "/usr",
        "/var",
        "/boot",
        "/bin",
        "/sbin",
        "/lib",
        "/lib64",
        "/opt",
        "/root",
        "/sys",
        "/dev",
        "/proc",
        "/srv",
        "/mnt",
        "c:\\",
        "c:/",
        "/system",
        "/users",
        "/applications",
        "/library",
    }
}
BLOCK_DEVICE = re.compile(r"^/dev/(sd[a-z]|hd[a-z]|vd[a-z]|xvd[a-z]|nvme\d|mmcblk\d|disk\d|md\d|dm-)")
FORK_BOMB = re.compile(r"(\w+|:)\s*\(\)\s*\{\s*\1\s*\|\s*\1\s*&\s*\}\s*;\s*\1")
REVERSE_TEXT = re.compile(
    r"/dev/(tcp|udp)/|\bsocket\b.*\b(subprocess|pty|dup2|exec|/bin/sh)\b|"
    r"(fsockopen|TCPSocket\.(open|new)|IO::Socket::INET|new Socket\().*(exec|/bin/(ba)?sh|spawn)",
    re.I | re.S,
)


def check_shell(text: str, field: str = "action.command", depth: int = 0) -> list[Finding]:
    """Findings for a shell command line; an unparseable one asks for confirmation. Commands
    that interpreter one-liners run are judged too, to a depth of three."""
    try:
        commands = parse_commands(text)
    except ValueError as exc:
        return [
            Finding(
                rule="shell.unparsed",
                outcome=Outcome.confirm,
                risk=0.5,
                message=f"the command could not be parsed ({exc}); a person should read it",
                evidence=Evidence(text=clip_text(text), field=field),
            )
        ]
    findings = list(_text_rules(text, field))
    programs = {c.program for c in commands}
    facts = scripts(commands)
    sends = sends_data(commands, facts)
    for command in commands:
        findings.extend(_command_rules(command, programs, field, sends=sends))
    findings.extend(check_coding(commands, facts, text, field, sends=sends))
    for inner in (command for script in facts for command in script.executes):
        if depth < 3:
            findings.extend(f for f in check_shell(inner, field, depth + 1) if f.rule != "shell.unparsed")
    return dedupe(findings)


def _text_rules(text: str, field: str) -> Iterator[Finding]:
    if match := FORK_BOMB.search(text):
        yield deny("shell.fork_bomb", "a fork bomb exhausts the machine", match.group(0), field)
    if match := REVERSE_TEXT.search(text):
        yield deny("shell.reverse_shell", "opens a shell to a remote host", match.group(0), field)


def _command_rules(c: Command, programs: set[str], field: str, *, sends: bool) -> Iterator[Finding]:
    program, args, flags = c.program, c.args, c.flags()
    line = clip_text(" ".join(c.argv))
    lowered = [a.lower().rstrip("/") or "/" for a in args if not a.startswith("-")]
    if program in INTERPRETERS and not _has_script_arg(c) and (set(c.upstream) & (DOWNLOADERS | DECODERS)):
        yield deny(
            "shell.pipe_to_shell",
            f"runs {program} on downloaded or decoded text",
            f"{' | '.join([*c.upstream, program])}",
            field,
        )
    if (
        program in INTERPRETERS | {"source", "."}
        and any(a.startswith("<(") for a in args)
        and any(d in " ".join(args) for d in DOWNLOADERS)
    ):
        yield deny("shell.pipe_to_shell", "runs a downloaded script", line, field)
    if program == "rm":
        recursive = bool(flags & {"r", "R", "recursive"})
        if "no-preserve-root" in flags or (recursive and (set(lowered) & CRITICAL_PATHS)):
            yield deny(
                "shell.recursive_delete_critical",
                "recursively deletes a system or home directory",
                line,
                field,
                0.97,
            )
        elif any(HISTORY_FILE.search(a) for a in lowered):
            yield deny("shell.history_wipe", "deletes shell history", line, field, 0.85)
        else:
            yield confirm("shell.delete", "deletes files", line, field, 0.5, ConfirmCategory.delete)
    if (
        program == "mv"
        and args
        and (set(lowered[:-1]) & CRITICAL_PATHS or (lowered and lowered[-1] == "/dev/null"))
    ):
        yield deny(
            "shell.move_critical", "moves a system or home directory away or into /dev/null", line, field, 0.9
        )
    if program in ("shred", "wipe", "srm", "unlink", "truncate") or (
        program == "find" and "-delete" in args and not _empty_directories(args)
    ):
        if any(BLOCK_DEVICE.match(a) for a in lowered):
            yield deny("shell.disk_wipe", "overwrites a disk device", line, field)
        elif any(HISTORY_FILE.search(a) for a in lowered):
            yield deny("shell.history_wipe", "erases shell history", line, field, 0.85)
        else:
            yield confirm(
                "shell.delete", "deletes or overwrites files", line, field, 0.5, ConfirmCategory.delete
            )
    if _rewrites_disk(c, flags):
        yield deny("shell.disk_tool", f"{program} rewrites disks or partitions", line, field)
    for kind, target in c.redirects:
        if BLOCK_DEVICE.match(target) and ">" in kind:
            yield deny("shell.disk_wipe", "writes straight onto a disk device", f"{kind} {target}", field)
        if HISTORY_FILE.search(target) and kind in (">", ">|", "&>"):
            yield deny("shell.history_wipe", "empties shell history", f"{kind} {target}", field, 0.85)
    if program in ("nc", "ncat", "netcat") and any(
        a in ("--exec", "--sh-exec", "--lua-exec") or re.fullmatch(r"-[a-zA-Z]*[ec]", a) for a in args
    ):
        yield deny("shell.reverse_shell", "netcat that executes a program for the remote side", line, field)
    if program == "socat" and any(re.match(r"(exec|system):", a, re.I) for a in args):
        yield deny("shell.reverse_shell", "socat bound to a local program", line, field)
    if program == "mkfifo" and programs & {"nc", "ncat", "netcat", "telnet", "openssl"}:
        yield deny("shell.reverse_shell", "a named pipe wired to a network connection", line, field)
    if program == "history" and flags & {"c", "w", "d"}:
        yield deny("shell.history_wipe", "clears shell history", line, field, 0.85)
    if program in ("unset", "export") and any(
        re.match(r"HIST(FILE|SIZE|FILESIZE)(=(/dev/null|0)?)?$", a) for a in args
    ):
        yield deny("shell.history_wipe", "turns off shell history", line, field, 0.85)
    if program == "ln" and "/dev/null" in args and any(HISTORY_FILE.search(a) for a in lowered):
        yield deny("shell.history_wipe", "points shell history at /dev/null", line, field, 0.85)
    credential = next((a for a in args if CREDENTIALS.search(a)), None)
    credential = credential or next((t for _, t in c.redirects if CREDENTIALS.search(t)), None)
    if credential:
        if sends:
            yield deny(
                "shell.credential_exfiltration",
                "reads a credential file in a command that sends data out",
                credential,
                field,
                0.97,
            )
        else:
            yield confirm("shell.credential_access", "touches a credential file", credential, field, 0.6)
    if program in ("curl", "wget") and _uploads(c):
        yield confirm("shell.upload", "uploads local data to a remote host", line, field, 0.5)
    if program in ("scp", "rsync") and args and ":" in args[-1] and not args[-1].startswith("/"):
        yield confirm("shell.upload", "copies local files to a remote host", line, field, 0.45)
    if (
        program in ("chmod", "chown", "chgrp")
        and flags & {"R", "recursive"}
        and (set(lowered) & CRITICAL_PATHS)
    ):
        yield deny(
            "shell.permissions_critical",
            "recursively changes permissions of a system or home directory",
            line,
            field,
        )
    if program in INSTALLERS and set(args) & INSTALLERS[program] and not _project_install(c, flags):
        yield confirm(
            "shell.install", "installs software", line, field, 0.4, ConfirmCategory.install_software
        )
    if program in ("dpkg", "rpm") and flags & {"i", "U", "install"}:
        yield confirm(
            "shell.install", "installs a package file", line, field, 0.4, ConfirmCategory.install_software
        )
    if (
        program in POWER
        or (program == "init" and args[:1] in (["0"], ["6"]))
        or (program == "kill" and "-1" in args)
        or program == "killall5"
    ):
        yield confirm("shell.power", "stops the machine or every process", line, field, 0.5)
    if program == "crontab" and "r" in flags:
        yield confirm("shell.delete", "removes every cron job", line, field, 0.5, ConfirmCategory.delete)
    if (
        (program in ("iptables", "ip6tables", "nft") and flags & {"F", "flush"})
        or (program == "ufw" and "disable" in args)
        or (program == "setenforce" and "0" in args)
        or (program == "passwd")
    ):
        yield confirm(
            "shell.security_settings",
            "changes security settings",
            line,
            field,
            0.6,
            ConfirmCategory.account_security,
        )
    if program == "git" and "push" in args and flags & {"f", "force", "force-with-lease"}:
        yield confirm("shell.force_push", "rewrites history on a remote", line, field, 0.45)


def _empty_directories(args: list[str]) -> bool:
    """`find -type d -empty -delete` removes only directories with nothing in them."""
    return "-empty" in args and any(a == "-type" and b == "d" for a, b in zip(args, args[1:], strict=False))


def _project_install(c: Command, flags: set[str]) -> bool:
    """A language package manager installing into the project's own environment from its
    default registry: what every README asks for. Sources other than the registry are judged
    by coding.py (shell.install_unknown_source); system package managers, sudo and installs
    outside the project (global, user-wide, another prefix) still ask."""
    if c.program not in PROJECT_INSTALLERS or c.privileged:
        return False
    return not flags & OUTSIDE_PROJECT


def _rewrites_disk(c: Command, flags: set[str]) -> bool:
    program, args = c.program, c.args
    if program == "dd":
        return any(a.startswith("of=/dev/") and bool(BLOCK_DEVICE.match(a[3:])) for a in args)
    if program == "hdparm":
        return any("security-erase" in a for a in args)
    if program in ("fdisk", "sfdisk", "parted", "gdisk", "sgdisk") and flags & {"l", "list"}:
        return False  # listing partitions is read-only
    return program.startswith("mkfs") or program in DISK_TOOLS


def _has_script_arg(c: Command) -> bool:
    """`sh script.sh` runs a file, `sh` alone runs stdin: only the latter runs piped text."""
    return any(not a.startswith("-") for a in c.args) and c.program in SHELLS


def _uploads(c: Command) -> bool:
    args = c.args
    for i, arg in enumerate(args):
        if arg in ("-T", "--upload-file", "--post-file") or arg.startswith("--post-file="):
            return True
        if arg in ("-d", "--data", "--data-binary", "--data-raw", "-F", "--form") and (
            i + 1 < len(args) and "@" in args[i + 1]
        ):
            return True
    return False
