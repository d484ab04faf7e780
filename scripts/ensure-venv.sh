# Sourced by run-studio / run-tests: make .venv and install the package with the given extras,
# again whenever pyproject.toml changes. Only Python 3.11 is needed on the machine.
extras="$1"
py="${PYTHON:-python3.11}"
command -v "$py" >/dev/null 2>&1 || py=python3
stamp=".venv/.installed-$extras"
if [ ! -x .venv/bin/python ]; then
    "$py" -m venv .venv
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[$extras]"
    touch "$stamp"
fi
