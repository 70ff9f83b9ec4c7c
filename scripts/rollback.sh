#!/bin/sh
# Seed 001 "Production Rollback (Emergency)": ./scripts/rollback.sh ENV [previous|RELEASE] [opslib run options...]
#
# The EC2 Manager stack back to the release before the one it runs (or to RELEASE), through the
# rollback-stack notebook: planned first (nothing changes); run it again with the plan id it prints
# (-p confirm=PLAN-...) to apply, watch and verify it. ENV: prod, staging or sandbox.
set -eu
. "$(dirname "$0")/common.sh"
usage() { echo "usage: $0 prod|staging|sandbox [previous|RELEASE] [-p confirm=PLAN-... | --incident INC-...]" >&2; exit 2; }
[ $# -ge 1 ] || usage
env=$(opslib_env "$1")
shift
target=""
if [ $# -ge 1 ] && [ "${1#-}" = "$1" ]; then
  [ "$1" = previous ] || target="$1"
  shift
fi
if [ -n "$target" ]; then
  exec "$opslib" run rollback-stack --env "$env" -p "to_release=$target" "$@"
fi
exec "$opslib" run rollback-stack --env "$env" "$@"
