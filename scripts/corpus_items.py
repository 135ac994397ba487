"""One text of the injection corpus with where it came from, and the split its group falls in:
a group (a template, a document, a package) goes wholly to `train` or to `dev` by a hash of its
name, so nothing the dev split scores was seen in fitting."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    text: str
    source: str
    group: str  # what must not be split across train and dev

    @property
    def split(self) -> str:
        return split_of(self.group)


def split_of(group: str) -> str:
    return "dev" if int(hashlib.sha256(group.encode()).hexdigest(), 16) % 5 == 0 else "train"
