# syntax=docker/dockerfile:1
#
# Sluice worker image. Build: `docker build -t sluice .` (or `docker compose build sluice`).

# The builder is pinned to the same Debian release as the runtime stage: a binary linked against a
# newer glibc (rust:1 alone now tracks a newer Debian) would not start on bookworm-slim.
FROM rust:1-bookworm AS builder
WORKDIR /src
COPY . .
# Cache mounts keep the registry and the target dir between builds, so editing one crate does not
# rebuild librdkafka and the whole dependency graph. The binary is copied out because the target
# dir is a cache mount and is not part of the image layer.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin sluice \
    && install -D target/release/sluice /out/sluice

FROM debian:bookworm-slim
# ca-certificates: connectors talk TLS to managed services (Confluent Cloud, Elastic Cloud, Atlas).
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
# A fixed unprivileged user whose home is the working dir, so relative offset/state files land in a
# writable place that a volume can keep across restarts.
RUN useradd --system --uid 10001 --home-dir /var/lib/sluice --create-home sluice
COPY --from=builder /out/sluice /usr/local/bin/sluice
USER sluice
WORKDIR /var/lib/sluice
ENTRYPOINT ["sluice"]
