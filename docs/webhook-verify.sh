#!/bin/sh
# Checks one Endring webhook delivery with openssl:
#   webhook-verify.sh SECRET "X-Endring-Signature header" BODY_FILE
# Exits 0 when the signature is right and the delivery is at most MAX_AGE seconds old
# (300 by default; 0 skips the age check).
secret=$1 header=$2 body=$3 max_age=${MAX_AGE:-300}
t=$(printf '%s' "$header" | sed -n 's/^t=\([0-9]*\),.*/\1/p')
v1=$(printf '%s' "$header" | sed -n 's/.*,v1=\([0-9a-f]*\)$/\1/p')
[ -n "$t" ] && [ -n "$v1" ] || exit 1
expected=$({ printf '%s.' "$t"; cat "$body"; } | openssl dgst -sha256 -hmac "$secret" | sed 's/^.*= //')
[ "$expected" = "$v1" ] || exit 1
[ "$max_age" -eq 0 ] || [ $(($(date +%s) - t)) -le "$max_age" ]
