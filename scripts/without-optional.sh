#!/usr/bin/env bash
# Runs a command as on a machine with none of the optional Debian packages the README names
# (espeak-ng, pocketsphinx, sox, chromium): PATH is a folder of links to every command of the
# system's bin folders but those, and PARLEY_CHROMIUM points at no file. `.ci/run` runs `npm test`
# this way, so the README's install and test commands alone are proved on a fresh machine.
set -euo pipefail
shadow=$(mktemp -d)
trap 'rm -rf "$shadow"' EXIT
IFS=: read -ra dirs <<<"$PATH"
for d in "${dirs[@]}"; do
  [ -d "$d" ] || continue
  for f in "$d"/*; do
    n=${f##*/}
    case "$n" in
      espeak | espeak-ng | pocketsphinx* | sox | soxi | play | rec | chromium*) continue ;;
    esac
    [ -e "$shadow/$n" ] || ln -s "$f" "$shadow/$n"
  done
done
PATH="$shadow" PARLEY_CHROMIUM=/nonexistent/chromium "$@"
