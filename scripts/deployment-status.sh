#!/bin/sh
# Seed 001: ./scripts/deployment-status.sh ENV [all] [opslib run options...]
#
# What is deployed where, for every system, and since when, through the deployment-status
# notebook (read-only). ENV: prod, staging or sandbox. Exit 0 when nothing is half-way, 1 when a
# deployment failed or still rolls (the run's verdict), 2 on bad input.
set -eu
[ $# -ge 1 ] || { echo "usage: $0 prod|staging|sandbox [all] [--incident INC-...]" >&2; exit 2; }
case "$1" in
  prod|production) env=production ;;
  staging) env=staging ;;
  sandbox) env=sandbox ;;
  *) echo "$0: unknown environment '$1': use prod, staging or sandbox" >&2; exit 2 ;;
esac
shift
[ $# -ge 1 ] && [ "$1" = all ] && shift
here=$(cd "$(dirname "$0")/.." && pwd)
opslib="$here/.venv/bin/opslib"
[ -x "$opslib" ] || opslib=opslib
exec "$opslib" run deployment-status --env "$env" "$@"
