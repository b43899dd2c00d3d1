#!/bin/sh
# fetch-rules.sh URL SHA256 DEST
#
# Fetch a rule-base archive (a .tar.gz with rulebase.yaml at its top), refuse it unless its sha256
# is exactly SHA256, unpack it next to DEST and switch DEST (a symlink) to it atomically. A failed
# or mismatched download leaves DEST as it was. Only https:// (and file:// for local mirrors) URLs
# are followed. Then `systemctl reload pathways` (SIGHUP) makes the server load it, or refuse it.
set -eu

if [ $# -ne 3 ]; then
    echo "usage: $0 URL SHA256 DEST" >&2
    exit 2
fi
url=$1
want=$(printf '%s' "$2" | tr 'A-F' 'a-f')
dest=${3%/}

case $want in
    *[!0-9a-f]*|"") echo "fetch-rules: SHA256 must be 64 hex digits" >&2; exit 2 ;;
esac
if [ ${#want} -ne 64 ]; then
    echo "fetch-rules: SHA256 must be 64 hex digits" >&2
    exit 2
fi

parent=$(dirname "$dest")
mkdir -p "$parent"
work=$(mktemp -d "$parent/.fetch-rules.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

curl --fail --silent --show-error --location --proto '=https,file' --proto-redir '=https' \
     --max-time 300 --max-filesize 104857600 -o "$work/rules.tar.gz" "$url"

got=$(sha256sum "$work/rules.tar.gz" | cut -d' ' -f1)
if [ "$got" != "$want" ]; then
    echo "fetch-rules: sha256 mismatch for $url: got $got, expected $want; nothing changed" >&2
    exit 1
fi

mkdir "$work/rules"
tar -xzf "$work/rules.tar.gz" -C "$work/rules" --no-same-owner --no-same-permissions
if [ ! -f "$work/rules/rulebase.yaml" ]; then
    echo "fetch-rules: the archive has no rulebase.yaml at its top; nothing changed" >&2
    exit 1
fi

target="$dest.$(printf '%s' "$want" | cut -c1-16)"
rm -rf "$target"
mv "$work/rules" "$target"
ln -sfn "$(basename "$target")" "$dest.new"
mv -T "$dest.new" "$dest"
echo "fetch-rules: $dest -> $(basename "$target") (sha256 $want)"
