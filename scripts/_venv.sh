# shellcheck shell=bash
# Sourced by scripts/test and scripts/dev: make sure ./.venv exists and holds
# requirements.txt. pip runs only when requirements.txt or pyproject.toml
# changed since the last successful install (a hash stamp kept in .venv).
#
# Expects to be sourced from the repository root. Sets VENV_PY.

_pl_root="$(pwd)"
VENV_DIR="${_pl_root}/.venv"
VENV_PY="${VENV_DIR}/bin/python"

_pl_pick_python() {
    local candidate
    for candidate in python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "scripts/_venv.sh: need Python 3.11 or newer (python3.11 or python3)" >&2
    return 1
}

# A venv whose interpreter no longer runs (moved checkout, removed Python) is rebuilt.
if [[ -d "$VENV_DIR" ]] && ! "$VENV_PY" -c 'import sys' >/dev/null 2>&1; then
    echo "==> .venv is broken; recreating it" >&2
    rm -rf "$VENV_DIR"
fi

if [[ ! -x "$VENV_PY" ]]; then
    _pl_python="$(_pl_pick_python)" || return 1
    echo "==> creating .venv with $("$_pl_python" --version 2>&1)" >&2
    "$_pl_python" -m venv "$VENV_DIR"
fi

_pl_stamp="${VENV_DIR}/.requirements.sha256"
_pl_hash="$(cat requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$_pl_stamp" || "$(cat "$_pl_stamp")" != "$_pl_hash" ]]; then
    echo "==> installing requirements.txt into .venv" >&2
    rm -f "$_pl_stamp"
    # Some machines' pip.conf names local indexes that may not exist: drop that noise.
    "$VENV_PY" -m pip install --quiet --disable-pip-version-check -r requirements.txt \
        2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
    # urllib3-future (caldav -> niquests) would replace urllib3 for every package: keep the real one.
    "$VENV_PY" deploy/keep_urllib3 requirements.txt 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
    echo "$_pl_hash" >"$_pl_stamp"
fi

# The translations (locale/*/LC_MESSAGES/*.po): compiled to .mo when one changed; Babel does it, so
# gettext's tools are not needed (deploy/compilemessages).
"$VENV_PY" deploy/compilemessages || return 1

export VIRTUAL_ENV="$VENV_DIR"
export PATH="${VENV_DIR}/bin:${PATH}"
unset _pl_root _pl_python _pl_stamp _pl_hash
