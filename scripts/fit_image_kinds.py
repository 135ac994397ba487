"""Fits the image-kind head on the data of scripts.build_image_kinds and reports its figures.

    python -m scripts.fit_image_kinds [--data build/image_kinds] [--out PATH]
    python -m scripts.fit_image_kinds --features clip --clip-model ViT-B-32 \
        --clip-checkpoint WEIGHTS.pt --out HEAD.json

Features come from any extractor: MobileNetV2 (the default, whose head ships in the package as
agent_router/routing/image_kind_head.json) or a CLIP model the user has weights for (the head
then goes to --out and is named by encoders.clip.kind_head). The head's weights are fitted on the
train split with the L2 strength that scores best on dev, its temperature on dev; the test split
and the probe of known failure shapes (drawn from test sources) are only measured, as is
tests/eval/images (the routing dev set's images, rendered by other means, never fitted on).
Features are cached beside the data under the extractor's name, so a refit costs seconds.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from agent_router.config import ClipSpec
from agent_router.routing.fitting import Labelled, expected_calibration_error, fit_head
from agent_router.routing.head import RouteHead
from agent_router.routing.image_kind import MOBILENET_HEAD, head_input

KINDS = ("screenshot", "document", "photo")
L2_GRID = (1e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0)
EVAL_IMAGES = Path("tests/eval/images")
EVAL_FOLDERS = {"screenshots": "screenshot", "documents": "document", "photos": "photo"}

Extractor = tuple[str, Callable[[list[Image.Image]], list[np.ndarray]]]


def extractor(args: argparse.Namespace) -> Extractor:
    if args.features == "mobilenet":
        from agent_router.embeddings import MobileNetFeatures

        mobilenet = MobileNetFeatures()
        return mobilenet.name, mobilenet.encode_images
    from agent_router.embeddings import ClipEncoder, resolve_placement

    spec = ClipSpec(
        model=args.clip_model, checkpoint=args.clip_checkpoint, model_config_file=args.clip_config
    )
    clip = ClipEncoder(spec, resolve_placement("cpu"))
    return clip.name, clip.encode_images


def rows_of(data: Path) -> list[dict]:
    rows = [
        json.loads(line) for m in sorted(data.glob("manifest-*.jsonl")) for line in m.read_text().splitlines()
    ]
    if not rows:
        raise SystemExit(f"no manifest-*.jsonl under {data}: run python -m scripts.build_image_kinds first")
    return rows


def features(paths: list[Path], named: Extractor, cache: Path) -> np.ndarray:
    """Head inputs (features + aspect) for each image, computed once per extractor and path."""
    name, encode = named
    known: dict[str, np.ndarray] = {}
    if cache.exists():
        with np.load(cache) as saved:
            known = dict(zip(saved["keys"].tolist(), saved["vectors"], strict=True))
    todo = [p for p in paths if str(p) not in known]
    for start in range(0, len(todo), 16):
        batch = todo[start : start + 16]
        images = [Image.open(p).convert("RGB") for p in batch]
        for path, image, vector in zip(batch, images, encode(images), strict=True):
            known[str(path)] = head_input(vector, image.width, image.height)
        print(f"{name}: {min(start + 16, len(todo))}/{len(todo)} images", flush=True)
    if todo:
        np.savez(cache, keys=np.array(list(known)), vectors=np.stack(list(known.values())))
    return np.stack([known[str(p)] for p in paths])


def measure(head: RouteHead, x: np.ndarray, truth: list[str]) -> dict:
    p = head.probabilities(x)
    picked = [head.routes[k] for k in p.argmax(axis=1)]
    correct = np.array([a == b for a, b in zip(picked, truth, strict=True)])
    per_kind = {
        k: {
            "n": int(sum(t == k for t in truth)),
            "accuracy": round(float(correct[[t == k for t in truth]].mean()), 4),
        }
        for k in KINDS
        if any(t == k for t in truth)
    }
    return {
        "n": len(truth),
        "accuracy": round(float(correct.mean()), 4),
        "ece": round(expected_calibration_error(p.max(axis=1), correct), 4),
        "per_kind": per_kind,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("build/image_kinds"))
    parser.add_argument("--features", choices=["mobilenet", "clip"], default="mobilenet")
    parser.add_argument("--clip-model")
    parser.add_argument("--clip-checkpoint", type=Path)
    parser.add_argument("--clip-config", type=Path, help="open_clip JSON architecture for custom models")
    parser.add_argument("--out", type=Path, help="where the head goes (default: the shipped MobileNet head)")
    args = parser.parse_args()
    if args.features == "clip" and (args.clip_model is None or args.out is None):
        parser.error("--features clip needs --clip-model (with --clip-checkpoint or --clip-config) and --out")
    named = extractor(args)
    rows = rows_of(args.data)
    cache = args.data / f"features-{named[0].replace(':', '-')}.npz"
    x = features([args.data / r["path"] for r in rows], named, cache)
    split = np.array([r["split"] for r in rows])
    labels = [r["kind"] for r in rows]

    def part(mask: np.ndarray) -> Labelled:
        return Labelled(x[mask], [labels[k] for k in np.flatnonzero(mask)])

    train, dev = part(split == "train"), part(split == "dev")
    by_l2 = {l2: fit_head(train, KINDS, calibration=dev, l2=l2) for l2 in L2_GRID}
    l2, _ = max(by_l2.items(), key=lambda kv: (measure(kv[1], dev.vectors, dev.routes)["accuracy"], -kv[0]))
    head = by_l2[l2]
    test = split == "test"
    probe_rows = [k for k, r in enumerate(rows) if r["probe"] and r["split"] == "test"]
    report: dict = {
        "features": named[0],
        "l2": l2,
        "temperature": round(head.temperature, 4),
        "counts": {
            s: {k: int(((split == s) & (np.array(labels) == k)).sum()) for k in KINDS}
            for s in ("train", "dev", "test")
        },
        "dev": measure(head, dev.vectors, dev.routes),
        "test": measure(head, x[test], [labels[k] for k in np.flatnonzero(test)]),
        "probe": {
            shape: measure(
                head,
                x[[k for k in probe_rows if rows[k]["probe"] == shape]],
                [labels[k] for k in probe_rows if rows[k]["probe"] == shape],
            )
            for shape in sorted({rows[k]["probe"] for k in probe_rows})
        },
    }
    if EVAL_IMAGES.is_dir():
        paths = [p for folder in EVAL_FOLDERS for p in sorted((EVAL_IMAGES / folder).glob("*"))]
        report["eval_images"] = measure(
            head, features(paths, named, cache), [EVAL_FOLDERS[p.parent.name] for p in paths]
        )
    head = head.replace(
        info={
            "features": named[0],
            "fitted_by": "python -m scripts.fit_image_kinds",
            **{k: report[k] for k in ("l2", "counts", "test")},
        }
    )
    out = args.out or MOBILENET_HEAD
    digest = head.save(out)
    (args.data / f"report-{args.features}.json").write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))
    print(f"head {digest} -> {out}")


if __name__ == "__main__":
    main()
