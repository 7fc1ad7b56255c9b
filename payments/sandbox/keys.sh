#!/bin/sh
# payments/sandbox/keys.sh DIR: makes the keys a sandbox WeChat Pay needs
# (never committed; deploy/stack runs this once into var/…) and prints the
# config lines that use them. The sandbox plays Alipay with the same pair:
# our merchant key is the Alipay app key, its platform key Alipay's. Existing keys are kept, so it is safe to rerun.
#   DIR/merchant.key  merchant.pub   our merchant key pair (we sign requests)
#   DIR/platform.key  platform.pub   the sandbox's "WeChat Pay public key"
#   DIR/apiv3.key                    the APIv3 key (32 characters)
#   DIR/serial                       the merchant certificate serial
set -eu
dir=${1:?usage: keys.sh DIR}
mkdir -p "$dir"
umask 077
for k in merchant platform; do
	if [ ! -s "$dir/$k.key" ]; then
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/$k.key" 2>/dev/null
		openssl pkey -in "$dir/$k.key" -pubout -out "$dir/$k.pub"
	fi
done
# 32 characters of [A-Za-z0-9], as the merchant platform hands them out
[ -s "$dir/apiv3.key" ] || openssl rand -base64 48 | tr -dc 'A-Za-z0-9' | head -c 32 >"$dir/apiv3.key"
[ -s "$dir/serial" ] || openssl rand -hex 20 | tr a-f A-F >"$dir/serial"
[ "$(wc -c <"$dir/apiv3.key")" -eq 32 ] || { echo "keys.sh: could not make a 32-character APIv3 key" >&2; exit 1; }
dir=$(cd "$dir" && pwd)
cat <<CONF
[wechatpay]
mchid = 1900000109
appid = wxd678efh567hg6787
merchant_serial = $(cat "$dir/serial")
merchant_key_file = $dir/merchant.key
apiv3_key_file = $dir/apiv3.key
public_key_id = PUB_KEY_ID_0119000001092026SANDBOX
public_key = $dir/platform.pub

[alipay]
app_id = 2021000000000001
seller_id = 2088000000000001
private_key_file = $dir/merchant.key
alipay_public_key = $dir/platform.pub

[sandbox]
platform_key_file = $dir/platform.key
merchant_public_key = $dir/merchant.pub
CONF
