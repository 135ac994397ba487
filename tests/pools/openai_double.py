"""A test double of an OpenAI-compatible model server, run as its own process by the pool tests
and the benchmark. It answers by echoing the last user message, and can be told (by flags or
POST /admin) to be slow, fail with 5xx, send malformed JSON, break a stream, hang, start cold,
sleep and wake like vLLM's sleep mode, and return token log-probabilities. It also serves
/v1/embeddings, like text-embeddings-inference or llama-server --embedding: the router's own
local MiniLM run in this process (--embed minilm, the same vectors a router computes itself) or
a vector derived from a hash of the text (--embed hash, no model load), and CLIP's towers for
requests with Infinity's `modality` field (image: PNG data URLs; text) from an open_clip
checkpoint (--clip-model/--clip-checkpoint/--clip-config), with its own time in
text-embeddings-inference's headers: x-compute-time (the forward pass) and x-total-time (the
request in the app, JSON included), in milliseconds.

Tool calls on demand: when the newest message is the user's and holds `[[tool:NAME {json}]]`,
the double answers with a call of NAME with those arguments (streamed in fragments, as OpenAI
streams them); when the newest message is a tool result, it answers with text quoting it. The
last request body is kept and shown by GET /admin (`last_request`).

    python tests/pools/openai_double.py --port 8001 --name a [--cold-for 2] [--sleeping] ...
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import io
import json
import re
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

BEHAVIOUR = (
    "delay_ms",
    "token_delay_ms",
    "fail",
    "fail_status",
    "malformed",
    "break_stream",
    "hang",
    "sleeping",
    "wake_ms",
    "logprob",
    "require_key",
)


TOOL_MARKER = re.compile(r"\[\[tool:(\w+) (\{.*?\})\]\]", re.S)


def scripted_call(body: dict[str, Any]) -> dict[str, Any] | None:
    """The tool call the newest user message asks for, in OpenAI's shape."""
    messages = body.get("messages") or []
    last = messages[-1] if messages else {}
    content = last.get("content") or ""
    if last.get("role") != "user" or not isinstance(content, str):
        return None
    found = TOOL_MARKER.search(content)
    if found is None:
        return None
    return {"id": "call_double_1", "type": "function", "function": {"name": found[1], "arguments": found[2]}}


class Double:
    def __init__(self, args: argparse.Namespace):
        self.name = args.name
        self.settings: dict[str, Any] = {k: getattr(args, k) for k in BEHAVIOUR}
        self.log_path = args.log
        self.in_flight = 0
        self.requests = 0
        self.completed = 0
        self.last_request: dict[str, Any] | None = None
        self.embedded = 0  # texts answered by /v1/embeddings
        self.encode = _embedder(args.embed, args.embed_dim)
        self.clip = _clip(args) if args.clip_checkpoint else None

    def answer_tokens(self, body: dict[str, Any]) -> list[str]:
        messages = body.get("messages") or []
        if messages and messages[-1].get("role") == "tool":
            return [f"{self.name}:", " tool", " said", f" {str(messages[-1].get('content'))[:200]}"]
        last = next((m for m in reversed(body.get("messages", [])) if m.get("role") == "user"), {})
        content = last.get("content") or ""
        if isinstance(content, list):
            content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
        return [f"{self.name}:", *(f" {w}" for w in str(content).split())][: body.get("max_tokens") or 10_000]

    def done(self, body: dict[str, Any]) -> None:
        self.completed += 1
        if self.log_path:
            with open(self.log_path, "a") as f:
                f.write(json.dumps({"server": self.name, "turn": self.answer_tokens(body)[1:]}) + "\n")

    async def chat(self, request: Request) -> Response:
        s = self.settings
        self.requests += 1
        key = s["require_key"]
        if key and request.headers.get("authorization") != f"Bearer {key}":
            return JSONResponse({"error": {"message": "invalid api key"}}, status_code=401)
        if s["sleeping"]:
            return JSONResponse({"error": {"message": "the model is sleeping"}}, status_code=503)
        if s["fail"]:
            s["fail"] -= 1 if s["fail"] > 0 else 0
            return JSONResponse({"error": {"message": "injected failure"}}, status_code=s["fail_status"])
        body = await request.json()
        self.last_request = body
        self.in_flight += 1
        try:
            if s["hang"]:
                await asyncio.sleep(3600)
            if s["delay_ms"]:
                await asyncio.sleep(s["delay_ms"] / 1000)
            tokens = self.answer_tokens(body)
            call = scripted_call(body)
            if call is not None:
                tokens = []
            if body.get("stream"):
                return StreamingResponse(self.stream(body, tokens, call), media_type="text/event-stream")
            if s["token_delay_ms"]:
                await asyncio.sleep(s["token_delay_ms"] * len(tokens) / 1000)
            if s["malformed"]:
                return PlainTextResponse('{"choices": [{"message": ', media_type="application/json")
            choice: dict[str, Any] = {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": "".join(tokens)},
            }
            if call is not None:
                choice["finish_reason"] = "tool_calls"
                choice["message"] = {"role": "assistant", "content": None, "tool_calls": [call]}
            if body.get("logprobs"):
                choice["logprobs"] = {"content": [{"token": t, "logprob": s["logprob"]} for t in tokens]}
            self.done(body)
            return JSONResponse(
                {
                    "id": f"chatcmpl-{self.requests}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body.get("model"),
                    "choices": [choice],
                    "usage": {
                        "prompt_tokens": 10,
                        "completion_tokens": len(tokens),
                        "total_tokens": 10 + len(tokens),
                    },
                }
            )
        finally:
            self.in_flight -= 1

    async def embeddings(self, request: Request) -> Response:
        s = self.settings
        self.requests += 1
        key = s["require_key"]
        if key and request.headers.get("authorization") != f"Bearer {key}":
            return JSONResponse({"error": {"message": "invalid api key"}}, status_code=401)
        if s["fail"]:
            s["fail"] -= 1 if s["fail"] > 0 else 0
            return JSONResponse({"error": {"message": "injected failure"}}, status_code=s["fail_status"])
        if s["hang"]:
            await asyncio.sleep(3600)
        if s["malformed"]:
            return PlainTextResponse('{"data": [{"embedding": ', media_type="application/json")
        arrived = time.perf_counter()
        body = await request.json()
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        modality = body.get("modality")
        if modality is not None and self.clip is None:
            return JSONResponse({"error": {"message": "no CLIP model is loaded"}}, status_code=400)
        start = time.perf_counter()
        if modality == "image":
            vectors = self.clip.encode_images([_image(url) for url in texts])
        elif modality == "text":
            vectors = self.clip.encode_text(texts)
        else:
            vectors = self.encode(texts)
        compute_ms = (time.perf_counter() - start) * 1000
        self.embedded += len(texts)
        packed = body.get("encoding_format") == "base64"  # little-endian float32, as OpenAI's
        data = [
            {"object": "embedding", "index": i, "embedding": _base64(v) if packed else v.tolist()}
            for i, v in enumerate(vectors)
        ]
        usage = {"prompt_tokens": len(texts), "total_tokens": len(texts)}
        response = JSONResponse({"object": "list", "model": body.get("model"), "data": data, "usage": usage})
        response.headers["x-compute-time"] = f"{compute_ms:.4f}"
        response.headers["x-total-time"] = f"{(time.perf_counter() - arrived) * 1000:.4f}"
        return response

    async def stream(self, body: dict[str, Any], tokens: list[str], call: dict[str, Any] | None = None):
        s = self.settings
        self.in_flight += 1
        try:
            for i, token in enumerate(tokens):
                if s["token_delay_ms"] and i:
                    await asyncio.sleep(s["token_delay_ms"] / 1000)
                if s["break_stream"] and i == len(tokens) // 2:
                    raise ConnectionAbortedError("stream broken on purpose")
                if s["malformed"] and i == 1:
                    yield "data: {not json\n\n"
                    continue
                choice: dict[str, Any] = {"index": 0, "delta": {"content": token}, "finish_reason": None}
                if body.get("logprobs"):
                    choice["logprobs"] = {"content": [{"token": token, "logprob": s["logprob"]}]}
                chunk = {"object": "chat.completion.chunk", "choices": [choice]}
                yield f"data: {json.dumps(chunk)}\n\n"
            for delta in tool_call_deltas(call):
                yield f"data: {json.dumps({'object': 'chat.completion.chunk', 'choices': [delta]})}\n\n"
            final = {
                "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls" if call else "stop"}],
            }
            yield f"data: {json.dumps(final)}\n\n"
            usage = {
                "object": "chat.completion.chunk",
                "choices": [],
                "usage": {"prompt_tokens": 10, "completion_tokens": len(tokens)},
            }
            yield f"data: {json.dumps(usage)}\n\n"
            yield "data: [DONE]\n\n"
            self.done(body)
        finally:
            self.in_flight -= 1

    async def health(self, request: Request) -> Response:
        return PlainTextResponse("ok")

    async def models(self, request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [{"id": self.name, "object": "model"}]})

    async def metrics(self, request: Request) -> Response:
        return PlainTextResponse(
            "# HELP vllm:num_requests_running Number of requests running.\n"
            f'vllm:num_requests_running{{model_name="{self.name}"}} {self.in_flight}.0\n'
            f'vllm:num_requests_waiting{{model_name="{self.name}"}} 0.0\n'
            f'vllm:gpu_cache_usage_perc{{model_name="{self.name}"}} 0.25\n'
        )

    async def sleep(self, request: Request) -> Response:
        self.settings["sleeping"] = True
        return PlainTextResponse("sleeping")

    async def wake_up(self, request: Request) -> Response:
        await asyncio.sleep(self.settings["wake_ms"] / 1000)
        self.settings["sleeping"] = False
        return PlainTextResponse("awake")

    async def is_sleeping(self, request: Request) -> Response:
        return JSONResponse({"is_sleeping": self.settings["sleeping"]})

    async def admin(self, request: Request) -> Response:
        if request.method == "POST":
            change = await request.json()
            unknown = set(change) - set(BEHAVIOUR)
            if unknown:
                return JSONResponse({"error": f"unknown settings {sorted(unknown)}"}, 400)
            self.settings.update(change)
        return JSONResponse(
            {
                "name": self.name,
                "settings": self.settings,
                "requests": self.requests,
                "completed": self.completed,
                "embedded": self.embedded,
                "in_flight": self.in_flight,
                "last_request": self.last_request,
            }
        )

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/chat/completions", self.chat, methods=["POST"]),
                Route("/v1/embeddings", self.embeddings, methods=["POST"]),
                Route("/v1/models", self.models),
                Route("/health", self.health),
                Route("/metrics", self.metrics),
                Route("/sleep", self.sleep, methods=["POST"]),
                Route("/wake_up", self.wake_up, methods=["POST"]),
                Route("/is_sleeping", self.is_sleeping),
                Route("/admin", self.admin, methods=["GET", "POST"]),
            ]
        )


def tool_call_deltas(call: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The call as OpenAI streams one: id and name first, then the arguments in two pieces."""
    if call is None:
        return []
    args = call["function"]["arguments"]
    half = len(args) // 2
    first = {"index": 0, "id": call["id"], "type": "function", "function": {"name": call["function"]["name"]}}
    pieces = [first, {"index": 0, "function": {"arguments": args[:half]}}]
    pieces.append({"index": 0, "function": {"arguments": args[half:]}})
    return [{"index": 0, "delta": {"tool_calls": [p]}, "finish_reason": None} for p in pieces]


def _base64(vector: np.ndarray) -> str:
    return base64.b64encode(vector.astype("<f4").tobytes()).decode()


def _clip(args: argparse.Namespace) -> Any:
    from agent_router.config import ClipSpec
    from agent_router.embeddings import resolve_placement
    from agent_router.embeddings.clip import ClipEncoder

    weights = {"checkpoint": args.clip_checkpoint, "model_config_file": args.clip_config}
    return ClipEncoder(ClipSpec(model=args.clip_model, **weights), resolve_placement("cpu"))


def _image(url: str) -> Any:
    from PIL import Image

    return Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))


def _embedder(kind: str, dim: int) -> Callable[[list[str]], list[np.ndarray]]:
    if kind == "minilm":  # what a router with the default encoders section computes locally
        from agent_router.config import TextEncoderSpec
        from agent_router.embeddings import load_text_encoder, resolve_placement

        encoder = load_text_encoder(TextEncoderSpec(), resolve_placement("cpu"))
        return lambda texts: list(encoder.encode(texts))

    def by_hash(texts: list[str]) -> list[np.ndarray]:
        seeds = (int.from_bytes(hashlib.sha256(t.encode()).digest()[:8], "little") for t in texts)
        return [np.random.default_rng(seed).standard_normal(dim).astype(np.float32) for seed in seeds]

    return by_hash


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--name", default="double")
    p.add_argument("--delay-ms", type=float, default=0, help="wait before the first token")
    p.add_argument("--token-delay-ms", type=float, default=0, help="wait between tokens")
    p.add_argument("--fail", type=int, default=0, help="fail the next N requests (-1: all)")
    p.add_argument("--fail-status", type=int, default=500)
    p.add_argument("--malformed", action="store_true", help="answer with broken JSON")
    p.add_argument("--break-stream", action="store_true", help="drop streams half way")
    p.add_argument("--hang", action="store_true", help="never answer")
    p.add_argument("--cold-for", type=float, default=0, help="refuse connections this long")
    p.add_argument("--sleeping", action="store_true", help="start in sleep mode (503 until woken)")
    p.add_argument("--wake-ms", type=float, default=0, help="how long POST /wake_up takes")
    p.add_argument("--logprob", type=float, default=-0.1, help="log-probability of every token")
    p.add_argument("--require-key", default=None, help="API key the server insists on")
    p.add_argument("--embed", choices=["hash", "minilm"], default="hash", help="/v1/embeddings vectors")
    p.add_argument("--embed-dim", type=int, default=384, help="dimensions of --embed hash vectors")
    p.add_argument("--clip-model", default=None, help="open_clip architecture for modality requests")
    p.add_argument("--clip-checkpoint", default=None, help="its weights file")
    p.add_argument("--clip-config", default=None, help="its JSON architecture, for custom models")
    p.add_argument("--log", default=None, help="append each completed turn to this file")
    return p.parse_args(argv)


def main() -> None:
    args = parse()
    if args.cold_for:
        time.sleep(args.cold_for)  # the port stays closed: connections are refused
    uvicorn.run(Double(args).app(), host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
