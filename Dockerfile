# Build stage: compile TypeScript with the dev dependencies, and better-sqlite3 (the embedded store's SQLite) from
# its sources, with the compiler toolchain this stage alone has.
FROM node:24-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# From source against the headers this image's Node ships in /usr/local/include/node: the build needs nothing but
# the npm registry and Debian (prebuild-install would otherwise fetch a prebuilt binary from GitHub, and node-gyp
# the headers from nodejs.org).
ENV npm_config_build_from_source=true npm_config_nodedir=/usr/local
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build
# Production dependencies only, the native module already built; better-sqlite3 keeps its JavaScript and the
# compiled module, not the SQLite sources and object files it was built from.
RUN npm prune --omit=dev --no-audit --no-fund \
 && cd node_modules/better-sqlite3 \
 && rm -rf deps src build/Release/obj build/Release/obj.target build/Release/.deps build/Release/sqlite3.a build/Release/test_extension.node

# Runtime stage: the production dependencies and the compiled code only, as a non-root user. No compiler: the
# node_modules built above are copied, not installed again.
FROM node:24-bookworm-slim
ENV NODE_ENV=production
# The embedded store's file (used when MONGODB_URI is unset): mount a volume here to keep it.
ENV DATA_DIR=/app/data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
RUN mkdir -p /app/data && chown node:node /app/data && chmod 700 /app/data
VOLUME /app/data
USER node
EXPOSE 3000
# Liveness, not readiness: a MongoDB outage makes /readyz fail, and restarting the instance would not cure it.
HEALTHCHECK --interval=15s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/src/server.js"]
