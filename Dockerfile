# berth: `berth serve` in a container. Three stages:
#   helm   - Helm built from the same pinned Go module the test clusters use
#            (test/cluster/tools/helm4, version as in test/cluster/build.sh),
#            and berth's Helm worker from that module graph (helm-worker/)
#   build  - npm ci + npm run build (tsc -p tsconfig.build.json: src/main.ts -> dist/main.js)
#   final  - node, git, helm, the compiled CLI, the built-in definitions; non-root
ARG NODE_IMAGE=node:20.19.5-bookworm-slim

FROM golang:1.26.2-bookworm AS helm
ARG HELM_VERSION=v4.3.1
WORKDIR /src/helm4
COPY test/cluster/tools/helm4/go.mod test/cluster/tools/helm4/go.sum ./
ENV CGO_ENABLED=0 GOFLAGS="-mod=mod -trimpath"
RUN go build -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=${HELM_VERSION} -X helm.sh/helm/v4/internal/version.gitTreeState=clean" \
      -o /out/helm helm.sh/helm/v4/cmd/helm \
 && /out/helm version --short
# berth's Helm worker (helm-worker/): the same Helm module graph as the helm above,
# one long-lived process per cluster instead of a helm process per release
COPY helm-worker/ /src/helm-worker/
RUN cd /src/helm-worker && GOFLAGS="-mod=readonly -trimpath" go build -ldflags "-s -w" -o /out/berth-helm-worker .

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates openssh-client \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 berth \
 && useradd --system --uid 10001 --gid berth --home-dir /home/berth --create-home berth \
 && mkdir -p /var/cache/berth && chown berth:berth /var/cache/berth
COPY --from=helm /out/helm /usr/local/bin/helm
COPY --from=helm /out/berth-helm-worker /usr/local/bin/berth-helm-worker
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY definitions ./definitions
COPY charts-template ./charts-template
ENV NODE_ENV=production BERTH_CACHE_DIR=/var/cache/berth BERTH_HELM=/usr/local/bin/helm BERTH_HELM_WORKER=/usr/local/bin/berth-helm-worker HOME=/home/berth
USER 10001:10001
EXPOSE 8080
# A small young generation (V8's default semi-space is 16 MiB, kept three times
# over): about 15-30 MiB less resident memory for a few more scavenges.
# bench/peer runs berth with these same flags, read from this line.
ENTRYPOINT ["node", "--max-semi-space-size=1", "--optimize-for-size", "dist/main.js"]
CMD ["serve"]
