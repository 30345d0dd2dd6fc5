# Sourced: create the project-local virtual environment .venv when missing and put its bin/
# first on PATH, so `python3`, `pip`, `moto_server`, `aws` and the linters are the venv's (or,
# through --system-site-packages, the system's when already installed there).
venv_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.venv"
if [ ! -x "$venv_dir/bin/python3" ]; then
  if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
    echo "python3 cannot create virtual environments: install python3-venv (Debian/Ubuntu: apt-get install python3-venv)" >&2
    exit 1
  fi
  echo "== creating the project's Python environment in .venv" >&2
  python3 -m venv --system-site-packages "$venv_dir"
fi
export VIRTUAL_ENV="$venv_dir"
export PATH="$venv_dir/bin:$PATH"
