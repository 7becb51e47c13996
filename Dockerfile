# syntax=docker/dockerfile:1
# The one image every bunri component runs (gateway, stage workers, scheduler, topic hook):
#   docker build -t bunri:0.1.0 .
#   docker run --rm bunri:0.1.0 worker --stage gpt5 --concurrency 20
# The Helm chart (helm/bunri) runs it as UID/GID 10001 with a read-only root filesystem and
# emptyDirs on /tmp and /var/lib/bunri (BUNRI_DATA_DIR).

ARG PYTHON_IMAGE=python:3.11-slim

# ---- build: install the package and its dependencies into a virtualenv ----
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/bunri
WORKDIR /src
COPY pyproject.toml README.md ./
COPY streams ./streams
COPY gateway ./gateway
RUN /opt/bunri/bin/pip install .

# ---- runtime ----
FROM ${PYTHON_IMAGE}
ARG BUNRI_UID=10001
RUN groupadd --system --gid "${BUNRI_UID}" bunri \
 && useradd --system --uid "${BUNRI_UID}" --gid bunri --home-dir /var/lib/bunri \
        --no-create-home --shell /usr/sbin/nologin bunri \
 && install -d -o bunri -g bunri -m 0750 /var/lib/bunri
COPY --from=build /opt/bunri /opt/bunri
# The disposal rules ship in the image (read-only, owned by root).
COPY rules /opt/bunri/rules
ENV PATH=/opt/bunri/bin:${PATH} \
    BUNRI_RULES_DIR=/opt/bunri/rules \
    BUNRI_DATA_DIR=/var/lib/bunri \
    HOME=/var/lib/bunri \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
# Relative paths (e.g. a library's default data directory) land in the writable data dir.
WORKDIR /var/lib/bunri
USER 10001:10001
# 8000: gateway HTTP; 6066: worker web (/healthz, /readyz).
EXPOSE 8000 6066
ENTRYPOINT ["bunri"]
CMD ["--help"]
