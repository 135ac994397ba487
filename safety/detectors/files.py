"""What a file path is to a coding agent: a credential store, a place that runs code later
(persistence), or an ordinary file. Shell commands, interpreter one-liners and file actions all
ask these questions, so the answers live in one place."""

from __future__ import annotations

import re

from ..findings import Evidence, Finding, Outcome

CREDENTIALS = re.compile(
    r"(\.ssh/(id_[a-z0-9_]+|authorized_keys|known_hosts|config)\b|\.aws/(credentials|config)\b|"
    r"/etc/(shadow|gshadow|sudoers|master\.passwd)\b|\.netrc\b|\.git-credentials|\.pgpass|"
    r"\.docker/config\.json|\.kube/config|kubeconfig|\.gnupg/|\.password-store|\.npmrc\b|\.pypirc\b|"
    r"\.yarnrc|\.config/gh/hosts\.yml|\.config/hub\b|\.terraform\.d/credentials|\.vault-token|"
    r"\.azure/|\.config/gcloud|application_default_credentials|service[-_]account.*\.json|"
    r"login data|cookies\.sqlite|keychain|\bid_rsa\b|\bid_ed25519\b|\bid_ecdsa\b|"
    r"(^|/)\.env(\.[a-z0-9_]+)?\b|/proc/[^/\s]+/environ\b|\.(ssh|gnupg|aws|kube)/?$)",
    re.I,
)
HISTORY_FILE = re.compile(r"(^|/)\.?(bash_|zsh_|sh_|python_|mysql_|psql_)?history$|_history$")
# Files that make code run later: at the next shell, commit, boot, schedule or login.
PERSISTENCE: list[tuple[str, re.Pattern[str]]] = [
    (
        "shell start-up file",
        re.compile(
            r"(^|/)\.(bashrc|bash_profile|bash_login|bash_logout|profile|zshrc|zshenv|zprofile|zlogin|"
            r"kshrc|cshrc|tcshrc|inputrc)$|\.config/fish/config\.fish$|/etc/(profile(\.d/.*)?|"
            r"bash\.bashrc|zsh/zshrc|environment)$",
            re.I,
        ),
    ),
    ("git hook", re.compile(r"(^|/)\.git/hooks/[^/]+$|(^|/)\.husky/[^/_][^/]*$|\.pre-commit-config\.yaml$")),
    (
        "scheduled job",
        re.compile(r"^/etc/(cron\.[a-z]+/.*|crontab|anacrontab)$|^/var/spool/cron/|(^|/)crontab$"),
    ),
    (
        "service unit",
        re.compile(
            r"/systemd/(system|user)/[^/]+\.(service|timer|socket|path)$|\.config/systemd/|"
            r"/etc/init\.d/|/etc/rc\.local$|Library/Launch(Agents|Daemons)/|\.config/autostart/"
        ),
    ),
    ("SSH authorized keys", re.compile(r"(^|/)authorized_keys2?$")),
    (
        "loader or package hook",
        re.compile(r"^/etc/ld\.so\.preload$|sitecustomize\.py$|usercustomize\.py$|site-packages/[^/]+\.pth$"),
    ),
]


def credential_path(text: str) -> bool:
    return bool(CREDENTIALS.search(text))


def persistence_kind(path: str) -> str | None:
    """What running-later mechanism writing this path would set up, or None."""
    cleaned = path.strip().strip("'\"")
    for kind, pattern in PERSISTENCE:
        if pattern.search(cleaned):
            return kind
    return None


def check_file_write(path: str, field: str = "action.path") -> list[Finding]:
    """A file the agent is about to write: credentials, history and persistence points need the
    owner; system directories too."""
    kind = persistence_kind(path)
    if kind or credential_path(path) or HISTORY_FILE.search(path):
        what = kind or "credential or history file"
        return [
            Finding(
                rule="file.persistence" if kind else "file.sensitive_path",
                outcome=Outcome.confirm,
                risk=0.75 if kind else 0.7,
                message=f"writes a {what}" + (": code placed there runs later, unattended" if kind else ""),
                evidence=Evidence(text=path, field=field),
                escalate=True,
            )
        ]
    if path.startswith(("/etc/", "/usr/", "/boot/", "/bin/", "/sbin/", "/lib", "/System/", "C:\\Windows")):
        return [
            Finding(
                rule="file.system_path",
                outcome=Outcome.confirm,
                risk=0.6,
                message="writes into a system directory",
                evidence=Evidence(text=path, field=field),
            )
        ]
    return []
