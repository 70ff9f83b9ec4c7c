#!/bin/sh
# Seed 001: ./scripts/deployment-status.sh ENV [all] [opslib run options...]
#
# What is deployed where, for every system, and since when, through the deployment-status
# notebook (read-only). ENV: prod, staging or sandbox. Exit 0 when nothing is half-way, 1 when a
# deployment failed or still rolls (the run's verdict), 2 on bad input.
set -eu
. "$(dirname "$0")/common.sh"
[ $# -ge 1 ] || { echo "usage: $0 prod|staging|sandbox [all] [--incident INC-...]" >&2; exit 2; }
env=$(opslib_env "$1")
shift
[ $# -ge 1 ] && [ "$1" = all ] && shift
exec "$opslib" run deployment-status --env "$env" "$@"
