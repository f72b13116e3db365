# Shared set-up steps for scripts/run and scripts/test (sourced, not run).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
APT_UPDATED=""

# Install the Debian packages whose command or file is missing: apt_need CHECK PACKAGE ...
apt_need() {
  local missing=()
  while [ $# -ge 2 ]; do
    if [ ! -e "$1" ] && ! command -v "$1" >/dev/null 2>&1; then missing+=("$2"); fi
    shift 2
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing Debian packages: ${missing[*]}"
  if [ -z "$APT_UPDATED" ]; then $sudo apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Create .venv and install the project (with EXTRAS) when setup.cfg changed since the last install.
ensure_venv() {
  local extras="${1:-}"
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV" 2>/dev/null || { apt_need /usr/share/doc/python3-venv python3-venv; python3 -m venv "$VENV"; }
  fi
  local stamp="$VENV/.installed-$(cat "$ROOT/setup.cfg" "$ROOT/pyproject.toml" | sha256sum | cut -c1-16)${extras:+-$extras}"
  if [ ! -f "$stamp" ]; then
    "$VENV/bin/pip" install -q --upgrade pip
    "$VENV/bin/pip" install -q -e "$ROOT${extras:+[$extras]}"
    touch "$stamp"
  fi
  # Compiled catalogues are build output, not committed.
  "$VENV/bin/pybabel" -q compile -d "$ROOT/dropout/translations"
}
