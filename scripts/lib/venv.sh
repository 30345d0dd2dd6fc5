# Sourced: put the project's Python tools first on PATH, so `python3`, `moto_server`, `aws`,
# `parliament`, `cfn-lint` and `checkov` are the locked versions (scripts/tools/*.txt) that
# `scripts/ensure-tools` installs. They live under .venv (ignored by git), in a directory named
# after the locks' hash: a changed lock gets a fresh environment, and one in use is never
# changed under a running test. The environments see none of the system's packages.
project_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tools_dir="$project_dir/scripts/tools"
tools_key=$(cat "$tools_dir/requirements.txt" "$tools_dir/checkov.txt" \
  | python3 -c 'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest()[:12])')
venv_dir="$project_dir/.venv/tools-$tools_key"
if [ ! -x "$venv_dir/bin/python3" ]; then
  echo "the project's Python tools are not installed yet (or their lock changed): run scripts/ensure-tools test" >&2
fi
export VIRTUAL_ENV="$venv_dir"
export PATH="$venv_dir/bin:$PATH"
