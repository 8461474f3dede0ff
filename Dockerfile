# dtx node image: one image for every role; the compose file (or `docker run`)
# picks the role and flags, e.g.
#   docker run --rm dtx participant --id p1 --listen 0.0.0.0:7701 --data /data
# Build: docker build -t dtx .

# --- build stage: full dependencies, TypeScript compile -----------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY proto ./proto
COPY src ./src
COPY bin ./bin
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# --- runtime stage: compiled JS, production dependencies, the protos ----------
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
# package.json marks the package root (src/paths.ts); proto/ is loaded at runtime.
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/proto ./proto
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
# 7700: coordinator, 7701: participant (by convention; set with --listen).
EXPOSE 7700 7701
ENTRYPOINT ["node", "bin/dtx.js"]
CMD ["--help"]
