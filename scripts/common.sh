# Shared by the seed-named scripts: the environment a seed's ENV argument means, and the opslib to run.
# shellcheck shell=sh
opslib_env() {
  case "$1" in
    prod|production) echo production ;;
    staging) echo staging ;;
    sandbox) echo sandbox ;;
    *) echo "$0: unknown environment '$1': use prod, staging or sandbox" >&2; exit 2 ;;
  esac
}
here=$(cd "$(dirname "$0")/.." && pwd)
opslib="$here/.venv/bin/opslib"
[ -x "$opslib" ] || opslib=opslib
