"""Models, routes and encoders: the part of the configuration the router itself reads."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Strict(BaseModel):
    """Base for configuration sections: unknown keys are typos, not extensions."""

    model_config = ConfigDict(extra="forbid")


class Modality(StrEnum):
    text = "text"
    image = "image"


class ImageKind(StrEnum):
    screenshot = "screenshot"
    document = "document"
    photo = "photo"


class Cost(Strict):
    input_per_mtok: float = Field(0.0, ge=0, description="USD per million prompt tokens")
    output_per_mtok: float = Field(0.0, ge=0, description="USD per million completion tokens")

    def usd(self, prompt_tokens: int | None, completion_tokens: int | None) -> float:
        """What a call cost; unreported token counts count as none."""
        return (
            (prompt_tokens or 0) * self.input_per_mtok + (completion_tokens or 0) * self.output_per_mtok
        ) / 1e6


class ModelSpec(Strict):
    name: str = Field(min_length=1)
    endpoint: str | None = Field(None, description="OpenAI-compatible base URL, e.g. http://host:8000/v1")
    modalities: list[Modality] = Field(default_factory=lambda: [Modality.text], min_length=1)
    context_window: int = Field(8192, gt=0)
    max_output_tokens: int = Field(1024, gt=0)
    cost: Cost = Field(default_factory=Cost)
    latency_ms: float = Field(500.0, ge=0, description="typical time to first token")
    quality: int = Field(3, ge=1, le=5, description="quality tier, 5 is the strongest")
    tokenizer: str | None = Field(None, description="tokenizer.json path for exact token counts")

    def accepts(self, modalities: set[Modality]) -> bool:
        return modalities <= set(self.modalities)


class RouteWhen(Strict):
    """Conditions of a route. Gates (modalities, image kinds, token range) must all hold; then,
    when the route has text conditions, a keyword hit or exemplar similarity must fire it."""

    modalities: list[Modality] = Field(default_factory=list, description="the turn must carry these")
    image_kinds: list[ImageKind] = Field(
        default_factory=list, description="at least one image of the turn is of one of these kinds"
    )
    min_tokens: int | None = Field(None, ge=0)
    max_tokens: int | None = Field(None, ge=0)
    keywords: list[str] = Field(default_factory=list, description="case-insensitive words or phrases")
    examples: list[str] = Field(default_factory=list, description="exemplar turns for similarity")
    threshold: float | None = Field(None, ge=-1, le=1, description="similarity needed to fire")

    @field_validator("keywords", "examples")
    @classmethod
    def _no_blank(cls, items: list[str]) -> list[str]:
        for i, item in enumerate(items):
            if not item.strip():
                raise ValueError(f"item {i} is blank; remove it or give it text")
        return items

    @property
    def has_text_condition(self) -> bool:
        return bool(self.keywords or self.examples)


class RouteSpec(Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    priority: int = Field(0, description="higher wins when several routes fire")
    when: RouteWhen = Field(default_factory=RouteWhen)
    models: list[str] = Field(min_length=1, description="candidate models, most preferred first")


class RemoteEncoderSpec(Strict):
    """An OpenAI-compatible /v1/embeddings service (vLLM, text-embeddings-inference, Infinity,
    llama-server --embedding) that many replicas share, so one GPU encodes for all of them."""

    url: str = Field(pattern=r"^https?://", description="base URL, e.g. http://encoder:8080/v1")
    model: str = Field(min_length=1, description="the model name the service expects")
    api_key_env: str | None = Field(
        None, description="environment variable holding the service's API key (sent as a bearer token)"
    )
    timeout_s: float = Field(10.0, gt=0, description="per request")
    batch_size: int = Field(64, gt=0, description="most texts in one request")
    retries: int = Field(
        2, ge=0, description="further tries after a refused connection, a timeout, a 429 or a 5xx"
    )
    backoff_s: float = Field(0.1, ge=0, description="wait before the first retry, doubled for each next")
    cooldown_s: float = Field(
        5.0,
        ge=0,
        description="after a failed call, calls fail at once (to the fallback) for this long "
        "instead of each waiting out timeouts and retries; then one tries the service again",
    )
    encoding_format: Literal["base64", "float"] = Field(
        "base64",
        description="how vectors travel: base64 float32 (OpenAI's client asks for it, and it costs "
        "a fraction of JSON floats to write and read) or float for servers without it",
    )


class TextEncoderSpec(Strict):
    """The local encoder (model, runtime, ...), or a remote service with the local one as its
    fallback by policy."""

    model: str = Field("bundled-minilm", description="'bundled-minilm' or a sentence-transformers folder")
    max_tokens: int = Field(256, gt=0)
    runtime: Literal["auto", "torch", "onnx", "onnx-int8"] = Field(
        "auto",
        description="auto: ONNX Runtime with int8 weights on the CPU, PyTorch (fp16) on "
        "the GPU; onnx gives PyTorch's fp32 vectors",
    )
    threads: int | None = Field(
        None,
        gt=0,
        description="ONNX Runtime: passes of one batch run side by side on this many "
        "cores; default all this process may use",
    )
    onnx_cache: Path | None = Field(
        None,
        description="where the ONNX graph exported from the weights is kept; "
        "default ~/.cache/agent-router/onnx",
    )
    remote: RemoteEncoderSpec | None = Field(None, description="encode through this service instead")
    fallback: Literal["fail", "local"] = Field(
        "fail",
        description="when the remote service cannot answer: fail (the call fails with the cause) or "
        "local (the encoder above: for the whole process when the service is down at start, and "
        "per call only where the two were measured at start to give the same vectors)",
    )


class ClipSpec(Strict):
    """Local open_clip weights (model with checkpoint or hub), or a remote service."""

    model: str | None = Field(None, description="open_clip architecture, e.g. ViT-B-32")
    checkpoint: Path | None = Field(None, description="local weights file")
    hub: str | None = Field(None, description="hf-hub:org/name, read from the local Hugging Face cache")
    model_config_file: Path | None = Field(None, description="JSON architecture for custom models")

    @field_validator("hub")
    @classmethod
    def _cached_hub_only(cls, hub: str | None) -> str | None:
        # Other open_clip tags fetch weights from the network at load time; we never download.
        if hub is not None and not hub.startswith("hf-hub:"):
            raise ValueError(
                "give an hf-hub:org/name tag already in the local cache, or use "
                "checkpoint with a weights file"
            )
        return hub

    remote: RemoteEncoderSpec | None = Field(
        None,
        description="a service embedding images (PNG data URLs) and texts, told apart by "
        "Infinity's `modality` field; no local fallback",
    )
    kind_head: Path | None = Field(
        None,
        description="image-kind head fitted over this CLIP model's image features by "
        "`python -m scripts.fit_image_kinds --features clip`; averaged with the zero-shot prompts. "
        "Without it the kind comes from the prompts alone",
    )

    @model_validator(mode="after")
    def _local_or_remote(self) -> ClipSpec:
        if (self.model is None) == (self.remote is None):
            raise ValueError("give model (with checkpoint or hub) for local weights, or remote, not both")
        return self


class OcrSpec(Strict):
    enabled: bool = True
    max_side: int = Field(1600, gt=0, description="images are scaled down to this before OCR")
    engine: Literal["openvino", "onnxruntime"] = Field(
        "openvino",
        description="runtime of rapidocr's models: openvino reads a screenshot in about half "
        "the time; it computes in bfloat16 where the CPU has it (AMX, AVX-512 BF16), which "
        "can change a character; onnxruntime computes in float32 on every CPU",
    )


class EncodersSpec(Strict):
    device: str = Field("auto", description="auto, cpu or cuda[:N]")
    text: TextEncoderSpec = Field(default_factory=TextEncoderSpec)
    clip: ClipSpec | None = None
    ocr: OcrSpec = Field(default_factory=OcrSpec)
    batch_size: int = Field(64, gt=0, description="most inputs in one forward pass")
    batch_wait_ms: float = Field(0.0, ge=0, description="how long a batch waits for company")
    cache_size: int = Field(4096, ge=0, description="embeddings of repeated inputs kept")


class Defaults(Strict):
    model: str
    head: str | None = Field(
        None,
        description="fitted route head: a file written by `agent-router routes fit` (relative to the "
        "working directory, like other paths) or 'builtin' for the one shipped with the package; "
        "the routes it scores compete by probability, the others fire by keyword or similarity",
    )
    threshold: float = Field(0.35, ge=-1, le=1, description="similarity a route needs by default")
    overlap_threshold: float = Field(
        0.9, ge=-1, le=1, description="exemplars of two routes this similar are reported as overlap"
    )
    max_fallbacks: int = Field(3, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _moved(cls, data: object) -> object:
        """The image limits moved to `limits` with the other limits on what a caller sends."""
        moved = {"max_image_bytes": "limits.image_bytes", "max_image_pixels": "limits.image_pixels"}
        if isinstance(data, dict):
            for old, new in moved.items():
                if old in data:
                    raise ValueError(f"defaults.{old} moved to {new}; set it there")
        return data
