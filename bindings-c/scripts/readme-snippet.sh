#!/usr/bin/env bash
# Prints the fenced code block that follows the marker `<!-- NAME -->` in a Markdown
# file, so that the tests compile and run exactly what the README shows.
#
#   readme-snippet.sh NAME FILE
set -euo pipefail
name=$1 file=$2
awk -v marker="<!-- $name -->" '
  $0 == marker { armed = 1; next }
  armed && /^```/ && !inside { inside = 1; next }
  inside && /^```/ { found = 1; exit }
  inside { print }
  END { if (!found) { print "no code block after " marker > "/dev/stderr"; exit 1 } }
' "$file"
