"""A tool's side-effect class from its name, schema, description and trusted annotations."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent_router.app import App
from agent_router.config.safety import ConfirmCategory
from agent_router.safety import categories
from agent_router.safety.categories import categories_of
from agent_router.safety.side_effects import Effect, SideEffects, ToolFacts, by_rules, name_words


@pytest.fixture(scope="module")
def effects(app: App) -> SideEffects:
    return SideEffects(app.encoders.text)


def test_names_split_into_words():
    assert name_words("sendDirectMessage") == ["send", "direct", "message"]
    assert name_words("update_scheduled_transaction") == ["update", "scheduled", "transaction"]


@pytest.mark.parametrize(
    ("name", "params", "effect"),
    [
        ("sendDirectMessage", [], Effect.send),
        ("get_balance", [], Effect.read),
        ("searchFiles", ["query"], Effect.read),
        ("schedule_transaction", [], Effect.pay),
        ("update_password", [], Effect.account),
        ("add_user_to_team", [], Effect.account),
        ("remove_item", [], Effect.delete),
        ("reserve_hotel", [], Effect.write),
        ("frobnicate", ["recipient", "body"], Effect.send),
        ("frobnicate", ["iban", "amount"], Effect.pay),
    ],
)
def test_rules_for_any_catalog(name, params, effect):
    found = by_rules(name, params)
    assert found is not None and found.effect is effect


async def test_description_meaning_when_the_name_says_nothing(effects: SideEffects):
    paid = await effects.classify(
        "zorp", [], ToolFacts(description="Moves money from the user's account to an IBAN.")
    )
    assert paid.effect is Effect.pay and "description" in paid.reason
    unknown = await effects.classify("zorp", [], None)
    assert unknown.side_effecting  # nothing says it only reads


async def test_annotations_are_believed_only_from_trusted_servers(effects: SideEffects):
    claim = ToolFacts(read_only=True)
    assert (await effects.classify("purge_everything", [], claim)).effect is Effect.delete
    trusted = ToolFacts(read_only=True, trusted=True)
    assert (await effects.classify("sync_state", [], trusted)).effect is Effect.read
    destructive = ToolFacts(destructive=True, trusted=True)
    assert (await effects.classify("sync_state", [], destructive)).effect is Effect.delete


def test_categories_hold_no_catalog_function_names():
    source = Path(categories.__file__).read_text()
    for name in ("send_money", "schedule_transaction", "share_file", "add_user_to_channel", "invite_user",
                 "update_password", "update_user_info", "send_direct_message"):  # fmt: skip
        assert name not in source
    assert ConfirmCategory.payment in categories_of("update scheduled transaction")
    assert ConfirmCategory.payment not in categories_of("get scheduled transactions")
    assert ConfirmCategory.account_security in categories_of("update user info")
    assert ConfirmCategory.account_security in categories_of("add user to channel")
