# The runner-defaults image: `node --no-memory-reducer dist/cli.js serve` as a non-root user, with
# production dependencies only. Build: docker build -t REGISTRY/runner-defaults:TAG .
# (Not built in this repository's CI, which has no container engine.)

# 1. Build: every dependency, then TypeScript to dist/.
FROM node:22-alpine AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# 2. Run: production dependencies and dist/ only.
FROM node:22-alpine
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# Numeric, so Kubernetes' runAsNonRoot can check it; the same as deploy/'s runAsUser.
USER 65532:65532
EXPOSE 10250
# --no-memory-reducer: V8's memory reducer shrinks the heap of a process it takes for idle, and
# also, 100 s after a collection of the whole heap, whatever the load. For `serve` that came as a
# full collection in the middle of the benchmark's reviews (README, "Performance and reliability"),
# for memory a Deployment has reserved anyway.
ENTRYPOINT ["node", "--no-memory-reducer", "dist/cli.js"]
# As deploy/deployment.yaml runs it: the Secret runner-defaults-tls mounted at /etc/runner-defaults/tls.
CMD ["serve", "--port=10250", "--tls-cert=/etc/runner-defaults/tls/tls.crt", "--tls-key=/etc/runner-defaults/tls/tls.key"]
