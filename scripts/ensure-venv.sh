# Sourced by run-studio / run-tests / .ci/run: make the venv and install the package (editable) with
# the given extras, again whenever pyproject.toml changes. Sets $venv, the venv's folder.
#
# Python 3.11, 3.12 or 3.13. The venv is $MSP_VENV (default .venv; one venv per Python, e.g.
# MSP_VENV=.venv-3.12 PYTHON=python3.12 ./run-tests). It is made by $PYTHON when set, else by the
# first of python3.11, python3.12, python3.13, python3 that runs and is one of those versions
# (a pyenv shim of a version that is not selected exists but does not run: it is skipped).
extras="$1"
venv="${MSP_VENV:-.venv}"

_msp_python_version() {  # the X.Y of interpreter $1 if it runs and is supported; fails otherwise
    "$1" -c 'import sys; v = sys.version_info[:2]; print("%d.%d" % v); sys.exit(not (3, 11) <= v <= (3, 13))' 2>/dev/null
}

if [ -n "${PYTHON:-}" ] && ! _msp_python_version "$PYTHON" >/dev/null; then
    echo "ensure-venv: PYTHON=$PYTHON is not a Python 3.11, 3.12 or 3.13 that runs here" >&2
    exit 1
fi
if [ ! -x "$venv/bin/python" ]; then
    py="${PYTHON:-}"
    if [ -z "$py" ]; then
        for candidate in python3.11 python3.12 python3.13 python3; do
            if _msp_python_version "$candidate" >/dev/null; then py="$candidate"; break; fi
        done
    fi
    if [ -z "$py" ]; then
        echo "ensure-venv: no Python 3.11, 3.12 or 3.13 found; install one, or name it: PYTHON=/path/to/python3.12" >&2
        exit 1
    fi
    "$py" -m venv "$venv"
elif ! have="$(_msp_python_version "$venv/bin/python")"; then
    echo "ensure-venv: $venv is not a working Python 3.11-3.13 venv; remove it (rm -rf $venv) and run again" >&2
    exit 1
elif [ -n "${PYTHON:-}" ] && [ "$have" != "$(_msp_python_version "$PYTHON")" ]; then
    echo "ensure-venv: $venv is Python $have, PYTHON=$PYTHON is $(_msp_python_version "$PYTHON"): give each Python" \
         "its own venv (MSP_VENV=.venv-$(_msp_python_version "$PYTHON")) or remove $venv" >&2
    exit 1
fi
stamp="$venv/.installed-$extras"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[$extras]"
    touch "$stamp"
fi
