"""The fitted route head: fitting, probabilities, loading by config, `routes fit`, and the
config check warnings about exemplars a head cannot learn from."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from builders import user

from agent_router.app import App
from agent_router.cli import main
from agent_router.config import RouterConfig, Severity, parse_config
from agent_router.routing import Router
from agent_router.routing.fit_policy import LabelledTurn, fit_policy, read_turns
from agent_router.routing.head import RouteHead, load_head
from agent_router.routing.route_checks import exemplar_issues, head_issues
from agent_router.turns import ChatMessage, parse_messages

TOPICS = {
    "cooking": [
        "How long should I roast a whole chicken?",
        "What spices go well in a lentil soup?",
        "Give me a recipe for pancakes without eggs.",
        "How do I keep pasta from sticking together?",
        "What can I bake with overripe bananas?",
        "How do I make a crispy pizza crust at home?",
        "Which oil is best for frying potatoes?",
        "How much salt goes into bread dough?",
        "What is a good marinade for grilled tofu?",
        "How do I caramelise onions properly?",
        "Suggest a vegetarian dinner for six people.",
        "How long do boiled eggs keep in the fridge?",
    ],
    "travel": [
        "Do I need a visa to visit Japan as a tourist?",
        "What is the cheapest way to get from the airport to the city centre in Rome?",
        "Which neighbourhood of Lisbon is best to stay in?",
        "How early should I arrive for an international flight?",
        "What should I pack for a week of hiking in Norway?",
        "Is it safe to drink tap water in Mexico City?",
        "Which train pass covers most of Switzerland?",
        "What are the must-see sights in Istanbul in two days?",
        "Can I bring a power bank in my checked luggage?",
        "How do I get a refund for a cancelled train ticket?",
        "When is the best season to visit Iceland?",
        "What is a good itinerary for a road trip across Scotland?",
    ],
    "sport": [
        "How do I improve my 10k running time?",
        "What muscles does a deadlift train?",
        "How often should a beginner go to the gym?",
        "What is the offside rule in football?",
        "How do I choose the right size of tennis racket?",
        "What should I eat before a long bike ride?",
        "How do I stop my swimming goggles from fogging?",
        "What stretches help after a marathon?",
        "How many sets and reps build strength?",
        "What is a good warm-up before playing basketball?",
        "How do I learn to serve in volleyball?",
        "Which climbing shoes suit a beginner?",
    ],
}


def small_config(*, head: str | None = None, examples: int = 5) -> RouterConfig:
    return parse_config(
        {
            "models": [{"name": "m1"}, {"name": "m2"}, {"name": "m3"}],
            "routes": [
                {"name": name, "when": {"examples": texts[:examples]}, "models": [f"m{k + 1}"]}
                for k, (name, texts) in enumerate(TOPICS.items())
            ],
            "defaults": {"model": "m1", "head": head, "threshold": 0.2},
        }
    )


def labelled(start: int, end: int) -> list[LabelledTurn]:
    return [
        LabelledTurn(f"{name}-{i}", name, text)
        for name, texts in TOPICS.items()
        for i, text in enumerate(texts[start:end], start)
    ]


@pytest.fixture(scope="module")
def fitted(app: App) -> tuple[RouteHead, RouterConfig]:
    config = small_config()
    head, _ = fit_policy(
        config, labelled(5, 9), calibration=labelled(9, 10), embed=app.encoders.text.encoder.encode
    )
    return head, config


def test_a_head_fitted_on_labelled_turns_routes_held_out_ones(app: App, fitted):
    head, _ = fitted
    held_out = labelled(10, 12)
    vectors = np.stack(app.encoders.text.encoder.encode([t.text for t in held_out]))
    chosen = [head.routes[k] for k in head.probabilities(vectors).argmax(axis=1)]
    assert chosen == [t.route for t in held_out]


def test_probabilities_sum_to_one_and_the_temperature_is_fitted(app: App, fitted):
    head, _ = fitted
    vectors = np.stack(app.encoders.text.encoder.encode(["Where should I eat in Paris?", "hello"]))
    p = head.probabilities(vectors)
    assert p.shape == (2, 3) and np.allclose(p.sum(axis=1), 1.0) and (p >= 0).all()
    assert head.temperature != 1.0 and head.info["calibration_turns"] == 3


async def test_a_config_without_a_head_still_routes_by_similarity(app: App):
    config = small_config()
    router = Router(config, app.encoders)
    assert router.head is None
    decision = await router.route([_parse(user("What flour makes the best sourdough bread?"))], [])
    assert decision.route == "cooking"
    assert decision.signals.route_probabilities == {} and decision.signals.similarity["cooking"] > 0
    assert any("similarity" in r for r in decision.reasons)


def test_the_builtin_policy_routes_by_its_fitted_head(config: RouterConfig):
    assert config.defaults.head == "builtin"
    head = load_head(config)
    assert head is not None and set(head.routes) == {"code", "tool_use", "general"}
    assert list(head_issues(config, head)) == []
    assert head.min_confidence > 0.3 and 0.5 < head.temperature < 4


async def test_routes_fit_writes_a_head_the_router_loads_and_the_digest_changes(
    app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
):
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "turns.jsonl.gz"
    with gzip.open(data, "wt", encoding="utf-8") as handle:
        for t in labelled(5, 12):
            handle.write(json.dumps({"id": t.id, "route": t.route, "text": t.text}) + "\n")
    config_file = tmp_path / "policy.yaml"
    config_file.write_text(yaml.safe_dump(small_config().model_dump(mode="json", exclude_none=True)))

    assert main(["routes", "fit", str(data), "--config", str(config_file)]) == 0
    out = capsys.readouterr().out
    written = tmp_path / "policy.head.json"
    assert written.exists() and "wrote" in out and "cooking" in out
    assert len(read_turns(data)) == 21

    before = Router(small_config(), app.encoders)
    after = Router(small_config(head=str(written)), app.encoders)
    assert after.head is not None and after.head.routes == ("cooking", "travel", "sport")
    assert after.digest != before.digest
    decision = await after.route(
        [_parse(user("Which museums in Vienna are worth a visit on a rainy weekend?"))], []
    )
    assert decision.route == "travel", decision.reasons
    assert set(decision.signals.route_probabilities) == {"cooking", "travel", "sport"}
    assert decision.confidence == decision.signals.route_probabilities["travel"]
    assert any(r.startswith("route probabilities: ") for r in decision.reasons)

    edited = json.loads(written.read_text())
    edited["bias"][0] += 1
    written.write_text(json.dumps(edited))
    with pytest.raises(Exception, match="digest does not match"):
        Router(small_config(head=str(written)), app.encoders)


def test_config_check_warns_on_too_few_and_too_alike_exemplars(app: App):
    embed = app.encoders.text.encoder.encode
    assert list(exemplar_issues(small_config(), embed)) == []
    few = list(exemplar_issues(small_config(examples=2), embed))
    assert [i.path for i in few if "exemplar(s)" in i.message] == [
        f"routes[{k}].when.examples" for k in range(3)
    ]
    data = small_config().model_dump(mode="json")
    data["routes"][2]["when"]["examples"] = [t.replace("bread", "cake") for t in TOPICS["cooking"][5:10]]
    alike = [i for i in exemplar_issues(parse_config(data), embed) if "too alike" in i.message]
    assert alike and alike[0].severity is Severity.warning
    assert "'cooking' and 'sport'" in alike[0].message


def test_config_check_warns_when_the_head_was_fitted_for_other_routes(fitted):
    head, config = fitted
    assert list(head_issues(config, head)) == []
    data = config.model_dump(mode="json")
    data["routes"][0]["when"]["examples"].append("How do I sharpen a kitchen knife?")
    (issue,) = head_issues(parse_config(data), head)
    assert issue.path == "defaults.head" and "refit" in issue.message


def _parse(message: dict) -> ChatMessage:
    (parsed,) = parse_messages([message])
    return parsed
