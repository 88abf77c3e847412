# pomgate as a container: `docker run --rm -v "$PWD:/repo" pomgate check .`, or the in-cluster controller
# Build: docker build -t pomgate .   (the wheel is built in the first stage; only it is installed)

FROM python:3.12-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY pomgate ./pomgate
COPY examples ./examples
COPY docs ./docs
RUN python -m pip install --no-cache-dir --disable-pip-version-check build==1.2.2.post1 \
    && python -m build --wheel --outdir /dist

FROM python:3.12-slim-bookworm
# git: `pomgate diff` reads revisions from the repository's object database.
# DL3008 (pin apt versions) is ignored on purpose: Debian drops old versions from its mirrors, so a
# pinned git would break the build; the base image tag is pinned instead and rebuilt for updates.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install --yes --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /dist/*.whl /tmp/
# The `controller` extra (aiohttp) makes the same image run `pomgate controller` (deploy/).
RUN python -m pip install --no-cache-dir --disable-pip-version-check "$(echo /tmp/pomgate-*.whl)[controller]" \
    && rm /tmp/*.whl \
    && useradd --create-home --uid 10001 pomgate \
    && git config --system --add safe.directory /repo
USER 10001
WORKDIR /repo
# The scan cache and its key live in the user's cache folder; /tmp stays writable under a read-only root.
ENV XDG_CACHE_HOME=/tmp/cache
ENTRYPOINT ["pomgate"]
CMD ["--help"]
