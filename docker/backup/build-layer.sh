#!/bin/sh
# Builds dist/mysql-client-layer.zip — bin/mysqldump, bin/mysql and the shared libraries they need — for the Lambda
# nodejs22.x runtime (Amazon Linux 2023), arm64 by default (the provider's architecture). Lambda puts /opt/bin on
# PATH and /opt/lib on LD_LIBRARY_PATH, so the function finds them at MYSQLDUMP_PATH=/opt/bin/mysqldump.
#
#   sh docker/backup/build-layer.sh            # ARCH=x86_64 for an x86_64 function
#
# Needs a Docker engine (not on the build machines; run it on a workstation or in CI). See docs/backups.md.
set -eu
ARCH="${ARCH:-arm64}"
OUT="${OUT:-$(pwd)/dist}"
mkdir -p "$OUT"
docker run --rm --platform "linux/$ARCH" --entrypoint /bin/bash -v "$OUT:/out" public.ecr.aws/lambda/nodejs:22 -c '
  set -euo pipefail
  dnf install -y mariadb105 zip >/dev/null
  mkdir -p /layer/bin /layer/lib
  for tool in mysqldump mysql; do cp "$(readlink -f "$(command -v "$tool")")" "/layer/bin/$tool"; done
  # Everything the tools link against except the C library itself (the runtime has the same glibc).
  ldd /layer/bin/* | awk "/=> \\// {print \$3}" | sort -u | while read -r lib; do
    case "$(basename "$lib")" in
      libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*|ld-linux*) ;;
      *) cp -L "$lib" /layer/lib/ ;;
    esac
  done
  /layer/bin/mysqldump --version
  cd /layer && rm -f /out/mysql-client-layer.zip && zip -qr /out/mysql-client-layer.zip .
'
echo "built $OUT/mysql-client-layer.zip"
