# Sourced by serve.sh and test.sh: `setup_venv EXTRAS` makes .venv with a Python 3.11 and installs the
# project (editable) with the given extras ("" for the base install), again only when pyproject.toml changed.
# PYTHON names the interpreter to use (default: python3.11 when there is one, else python3).

REQUIRED_PYTHON="3.11"

python_version() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo "none"; }

setup_venv() {
  local extras="$1" python version spec stamp digest
  python="${PYTHON:-$(command -v "python$REQUIRED_PYTHON" || command -v python3 || echo python3)}"
  if [ -x .venv/bin/python ] && [ "$(python_version .venv/bin/python)" != "$REQUIRED_PYTHON" ]; then
    echo "error: .venv has Python $(python_version .venv/bin/python), this service needs $REQUIRED_PYTHON;" \
         "remove .venv and run again (PYTHON=/path/to/python$REQUIRED_PYTHON to choose the interpreter)" >&2
    exit 1
  fi
  if [ ! -x .venv/bin/python ]; then
    version="$(python_version "$python")"
    if [ "$version" != "$REQUIRED_PYTHON" ]; then
      echo "error: this service needs Python $REQUIRED_PYTHON; $python is $version" \
           "(set PYTHON=/path/to/python$REQUIRED_PYTHON)" >&2
      exit 1
    fi
    "$python" -m venv .venv
  fi
  spec="."
  [ -n "$extras" ] && spec=".[$extras]"
  stamp=".venv/.installed${extras:+-$extras}"
  digest="$(.venv/bin/python -c 'import hashlib, sys; print(hashlib.sha256(open("pyproject.toml", "rb").read()).hexdigest())')"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
    echo "Installing $spec into .venv (the first time: ${INSTALL_NOTE:-a few minutes}) ..." >&2
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$spec"
    echo "$digest" > "$stamp"
  fi
}
