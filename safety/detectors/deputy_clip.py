"""The confused-deputy check's second reading of a click target, by CLIP where it is
configured: the pixels around the pointer against the stated intent and against the risky
targets of each always-confirm category. It sees icons and buttons that OCR cannot read."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from ...config.safety import ConfirmCategory
from ..categories import categories_of
from ..findings import Evidence, Finding, Outcome

if TYPE_CHECKING:
    from ...embeddings import ClipModel

RISKY_TARGETS: dict[ConfirmCategory, str] = {
    ConfirmCategory.payment: 'a "Pay now" button',
    ConfirmCategory.send_message: 'a "Send" button',
    ConfirmCategory.delete: 'a "Delete" button with a trash icon',
    ConfirmCategory.account_security: 'a "Change password" button',
    ConfirmCategory.install_software: 'an "Install" button',
}
MARGIN = 0.05  # how much closer to a risky target than to the intent the pixels must be


class ClipTargetReader:
    def __init__(self, clip: ClipModel):
        self.clip = clip
        self._categories = list(RISKY_TARGETS)
        self._risky = np.stack(clip.encode_text(list(RISKY_TARGETS.values())))

    def check(self, image: Image.Image, x: int, y: int, *, radius: int, wanted: str) -> list[Finding]:
        left, right = (min(max(v, 0), image.width) for v in (x - radius * 2, x + radius * 2))
        top, bottom = (min(max(v, 0), image.height) for v in (y - radius, y + radius))
        if right - left < 2 or bottom - top < 2:
            return []  # the pointer is off the screenshot: nothing to read
        crop = image.crop((left, top, right, bottom))
        (pixels,) = self.clip.encode_images([crop])
        (intent,) = self.clip.encode_text([f'a "{wanted}" button'])
        to_intent = float(pixels @ intent)
        to_risky = self._risky @ pixels
        best = int(np.argmax(to_risky))
        category = self._categories[best]
        if category in categories_of(wanted) or to_risky[best] < to_intent + MARGIN:
            return []
        return [
            Finding(
                rule="deputy.clip_riskier_target",
                outcome=Outcome.confirm,
                risk=0.75,
                escalate=True,
                evidence=Evidence(
                    field="action.context.screenshot",
                    detail={
                        "category": category.value,
                        "intent": wanted,
                        "similarity_to_intent": round(to_intent, 3),
                        "similarity_to_risky": round(float(to_risky[best]), 3),
                    },
                ),
                message=f"the pixels under the pointer look more like {RISKY_TARGETS[category]} than "
                f"like the intended {wanted!r}",
            )
        ]
