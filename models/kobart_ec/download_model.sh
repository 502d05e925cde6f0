#!/usr/bin/env bash
# Fetch KoBART's config, tokenizer and weights (and optionally a LoRA adapter) into this directory,
# verifying each file's SHA-256. Idempotent: a file already present with the right checksum is not fetched again.
#
# Addresses and checksums come from environment variables (nothing is hard-wired, nothing downloads at run time):
#   KOBART_<FILE>_URL      where to fetch the file (or KOBART_BASE_URL: <base>/<file name> for every file)
#   KOBART_<FILE>_SHA256   its expected SHA-256 (required for every file fetched)
# with <FILE> one of
#   CONFIG (config.json), TOKENIZER (tokenizer.json), WEIGHTS (model.safetensors)         — required
#   TOKENIZER_CONFIG (tokenizer_config.json), SPECIAL_TOKENS (special_tokens_map.json),
#   ADAPTER_CONFIG (adapter_config.json), ADAPTER_WEIGHTS (adapter_model.safetensors)     — fetched when their
#                                                                                         SHA256 is set
# KOBART_DEST overrides the target directory (default: the directory of this script).
# Exit status: 0 done, 2 a variable is missing (or an unknown argument), 3 a download failed, 4 a checksum did
# not match.
#
# Usage: download_model.sh [-h|--help]
set -euo pipefail

case "${1:-}" in
  -h|--help)  # this header, without the comment marks
    sed -n '2,/^set -euo pipefail$/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
    exit 0 ;;
  "") ;;
  *) echo "download_model.sh: unknown argument $1 (the script takes none; see --help)" >&2; exit 2 ;;
esac

DEST="${KOBART_DEST:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}"
FILES=(
  "config.json CONFIG required"
  "tokenizer.json TOKENIZER required"
  "model.safetensors WEIGHTS required"
  "tokenizer_config.json TOKENIZER_CONFIG optional"
  "special_tokens_map.json SPECIAL_TOKENS optional"
  "adapter_config.json ADAPTER_CONFIG optional"
  "adapter_model.safetensors ADAPTER_WEIGHTS optional"
)

die() { echo "download_model.sh: $2" >&2; exit "$1"; }

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then shasum -a 256 "$1" | cut -d' ' -f1
  else die 2 "neither sha256sum nor shasum is installed"; fi
}

fetch() {  # fetch URL FILE
  if command -v curl >/dev/null 2>&1; then curl -fsSL --retry 2 --connect-timeout 20 -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then wget -q --tries=2 --timeout=20 -O "$2" "$1"
  else die 3 "neither curl nor wget is installed"; fi
}

# 1. Work out what to fetch; report every missing variable at once.
missing=()
plan=()
for entry in "${FILES[@]}"; do
  read -r name key need <<<"$entry"
  url_var="KOBART_${key}_URL"; sha_var="KOBART_${key}_SHA256"
  url="${!url_var:-}"; sha="${!sha_var:-}"
  if [ -z "$url" ] && [ -n "${KOBART_BASE_URL:-}" ] && { [ "$need" = required ] || [ -n "$sha" ]; }; then
    url="${KOBART_BASE_URL%/}/$name"
  fi
  if [ "$need" = optional ] && [ -z "$url" ] && [ -z "$sha" ]; then continue; fi
  [ -n "$url" ] || missing+=("$url_var (or KOBART_BASE_URL)")
  [ -n "$sha" ] || missing+=("$sha_var")
  plan+=("$name $url $(echo "$sha" | tr 'A-F' 'a-f')")
done
if [ "${#missing[@]}" -gt 0 ]; then
  die 2 "missing environment variable(s): ${missing[*]}. Set the address and SHA-256 of each file (see the comments at the top of this script and the README)."
fi

# 2. Fetch, verify, move into place.
mkdir -p "$DEST"
for entry in "${plan[@]}"; do
  read -r name url sha <<<"$entry"
  target="$DEST/$name"
  if [ -f "$target" ] && [ "$(sha256_of "$target")" = "$sha" ]; then
    echo "$name: up to date"
    continue
  fi
  part="$DEST/.$name.part"
  rm -f "$part"
  echo "$name: fetching $url"
  if ! fetch "$url" "$part"; then
    rm -f "$part"
    die 3 "download failed for $name from $url (no network, or the address is wrong)"
  fi
  got="$(sha256_of "$part")"
  if [ "$got" != "$sha" ]; then
    rm -f "$part"
    die 4 "SHA-256 mismatch for $name: expected $sha, got $got (file discarded)"
  fi
  mv -f "$part" "$target"
  echo "$name: ok ($sha)"
done
echo "KoBART files are in $DEST; start the service and check /v2/health for \"kobart\": \"loaded\"."
