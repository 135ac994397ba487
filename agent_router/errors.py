"""Errors that name the field at fault, so callers can fix their input without guessing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pydantic import ValidationError


def format_loc(loc: Iterable[str | int]) -> str:
    """Render a pydantic location as a path a person can find: ``routes[2].examples``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif path:
            path += f".{part}"
        else:
            path = str(part)
    return path or "<root>"


class InputError(ValueError):
    """Bad input from a caller: one or more (field, message) pairs."""

    def __init__(self, problems: Sequence[tuple[str, str]]):
        self.problems = list(problems)
        super().__init__("; ".join(f"{field}: {message}" for field, message in self.problems))

    @classmethod
    def single(cls, field: str, message: str) -> InputError:
        return cls([(field, message)])

    @classmethod
    def from_validation(cls, error: ValidationError, prefix: Sequence[str | int] = ()) -> InputError:
        problems = []
        for item in error.errors(include_url=False):
            # Discriminated unions add the tag name to the location; it is noise to a caller.
            loc = [p for p in item["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
            problems.append((format_loc([*prefix, *loc]), item["msg"]))
        return cls(problems)
