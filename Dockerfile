# ipvs-proxier's container image: `docker build -t ipvs-proxier:0.1.0 .` (see docs/deploy.md).

# Build stage: compile src/ to dist/ (Node refuses to strip TypeScript types under node_modules,
# so the image runs JavaScript). --ignore-scripts: the dev tree's `node` package would otherwise
# download a second Node.js, and tsc needs no native module.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:24-bookworm-slim
# The tools the kernel layer runs (ipset, iptables-*-restore/save, conntrack, ipvsadm for
# --ipvs-backend=ipvsadm) and the init container's modprobe (kmod); iproute2 for debugging.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ipvsadm ipset iptables conntrack kmod iproute2 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only; netlink's native addon comes prebuilt (N-API, glibc x64/arm64).
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
# The DaemonSet runs `ipvs-proxier ...` as kube-proxy's runs `kube-proxy ...`.
RUN ln -s /app/bin/ipvs-proxier.js /usr/local/bin/ipvs-proxier
# Root: netlink and iptables writes need NET_ADMIN/NET_RAW, and the runtime grants a container's
# added capabilities to uid 0 only (a non-root process gets none in its effective set). The
# DaemonSet drops every other capability.
USER root
ENTRYPOINT ["/app/bin/ipvs-proxier.js"]
