"""`agent-router keys create|list|revoke` as a person runs them: the secret is printed once,
never listed, and the database file holds its digest, not its bytes."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from processes import CLI


def keys(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, "keys", *args, "--db", f"sqlite+aiosqlite:///{db}"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_create_list_revoke_round_trip(tmp_path: Path) -> None:
    db = tmp_path / "memory.db"
    created = keys(
        db, "create", "--tenant", "acme", "--role", "operator", "--agent-id", "bot-1", "--name", "ci"
    )
    assert created.returncode == 0, created.stderr
    lines = dict(line.split(":", 1) for line in created.stdout.splitlines() if ":" in line[:4])
    key_id, secret = lines["id"].strip(), lines["key"].strip()
    assert secret.startswith(f"ark_{key_id}_")
    # The random part may itself hold "_" (URL-safe base64): all of it after the id is secret.
    token = secret.removeprefix(f"ark_{key_id}_")

    listed = keys(db, "list")
    assert listed.returncode == 0, listed.stderr
    assert secret not in listed.stdout and token not in listed.stdout
    row = listed.stdout.strip().split("\t")
    assert row[:5] == [key_id, "acme", "operator", "bot-1", "ci"] and row[-1] == "active"
    assert keys(db, "list", "--tenant", "globex").stdout == ""

    stored = db.read_bytes()
    assert secret.encode() not in stored
    assert token.encode() not in stored
    assert hashlib.sha256(secret.encode()).hexdigest().encode() in stored

    revoked = keys(db, "revoke", key_id)
    assert revoked.returncode == 0, revoked.stderr
    assert "revoked" in keys(db, "list").stdout.split("\t")[-1]


def test_bad_input_is_one_line_naming_the_field(tmp_path: Path) -> None:
    db = tmp_path / "memory.db"
    bad_tenant = keys(db, "create", "--tenant", "no spaces allowed")
    assert bad_tenant.returncode == 2
    assert bad_tenant.stderr.startswith("error: tenant:")
    unknown = keys(db, "revoke", "nope")
    assert unknown.returncode == 2
    assert "no key 'nope'" in unknown.stderr
    assert "Traceback" not in bad_tenant.stderr + unknown.stderr
