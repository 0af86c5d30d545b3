# One image for the platform's Python services (registry, API, relay, consumer, console).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

# Dependencies first, pinned by the lock file, so code changes reuse this layer.
COPY pyproject.toml constraints.txt README.md ./
COPY registry/__init__.py registry/
COPY producer_api/__init__.py producer_api/
COPY consumer/__init__.py consumer/
COPY console/__init__.py console/
COPY stack/__init__.py stack/
COPY platform_common/__init__.py platform_common/
COPY contract/__init__.py contract/
RUN pip install -c constraints.txt .

COPY registry registry
COPY producer_api producer_api
COPY consumer consumer
COPY console console
COPY stack stack
COPY platform_common platform_common
COPY contract contract
COPY schemas schemas
RUN pip install --no-deps -c constraints.txt . \
    && useradd --system --uid 10001 platform
USER platform
