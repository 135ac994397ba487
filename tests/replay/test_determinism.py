"""Replaying sessions under the config they were recorded with reproduces every decision."""

from __future__ import annotations

from agent_router.replay import Policy, read_lines, replay_all


async def test_replay_under_the_recorded_config_reproduces_every_decision(
    recorded: list[str], same_policy: Policy
):
    loaded = read_lines(recorded)
    assert [s.id for s in loaded.sessions] == ["every-route", "resender"]
    run = await replay_all(loaded, same_policy)
    s = run.summary
    routes = {i.after.route for i in run.items if i.kind == "route"}
    assert routes == {
        "general",
        "code",
        "tool_use",
        None,
        "computer_use",
        "documents",
        "vision",
        "long_context",
    }
    verdicts = {i.after.verdict for i in run.items if i.kind == "verdict"}
    assert verdicts == {"allow", "confirm", "deny", "flagged", "clean"}
    assert (s.turns_replayed, s.selections_replayed, s.verdicts_replayed) == (11, 2, 5)
    assert s.problems == [] and s.problem_count == 0
    not_exact = [(i.session_id, i.kind, i.index) for i in run.items if not i.exact]
    assert not_exact == []
    assert s.exact == 18
    assert (s.model_changed, s.route_changed, s.tools_changed, s.verdict_changed) == (0, 0, 0, 0)
    assert s.recorded_digests == [same_policy.digest] and s.config_digest == same_policy.digest
    assert s.cost_before_usd == s.cost_after_usd > 0
