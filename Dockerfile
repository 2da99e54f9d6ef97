# Galley in a container: `docker build -t galley .`, then
#   docker run -d -p 5000:5000 -v galley-data:/data galley
# (docs/deploy.md, "Container"). Two stages: the build image has the Rust toolchain; the runtime
# image is Debian slim with the binary alone (it links only glibc), run as a non-root user.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin galley && strip target/release/galley

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin galley \
    && mkdir -p /data && chown galley:galley /data
COPY --from=build /src/target/release/galley /usr/local/bin/galley
USER galley
WORKDIR /data
VOLUME ["/data"]
EXPOSE 5000
ENV GALLEY_LISTEN=0.0.0.0:5000 GALLEY_DATA_DIR=/data NO_COLOR=1
# The slim image has no curl: bash's /dev/tcp reads the status line of /health (503 when the data
# folder is full, read-only or gone).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/5000 && printf 'GET /health HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
CMD ["galley", "serve"]
