#!/usr/bin/env bash
# Builds widget and edge. Needs the tools of scripts/setup.sh.
set -euo pipefail
source "$(dirname "$0")/env.sh"
bash "$ROOT/scripts/build-widget.sh"
bash "$ROOT/scripts/build-edge.sh"
