#!/bin/sh
# Seed 001 "Production Rollback (Emergency)": ./scripts/rollback.sh ENV [previous|RELEASE] [opslib run options...]
#
# The EC2 Manager stack back to the release before the one it runs (or to RELEASE), through the
# rollback-stack notebook: planned first (nothing changes); run it again with the plan id it prints
# (-p confirm=PLAN-...) to apply, watch and verify it. ENV: prod, staging or sandbox.
set -eu
usage() { echo "usage: $0 prod|staging|sandbox [previous|RELEASE] [-p confirm=PLAN-... | --incident INC-...]" >&2; exit 2; }
[ $# -ge 1 ] || usage
case "$1" in
  prod|production) env=production ;;
  staging) env=staging ;;
  sandbox) env=sandbox ;;
  *) echo "$0: unknown environment '$1': use prod, staging or sandbox" >&2; exit 2 ;;
esac
shift
target=""
if [ $# -ge 1 ] && [ "${1#-}" = "$1" ]; then
  [ "$1" = previous ] || target="$1"
  shift
fi
here=$(cd "$(dirname "$0")/.." && pwd)
opslib="$here/.venv/bin/opslib"
[ -x "$opslib" ] || opslib=opslib
if [ -n "$target" ]; then
  exec "$opslib" run rollback-stack --env "$env" -p "to_release=$target" "$@"
fi
exec "$opslib" run rollback-stack --env "$env" "$@"
