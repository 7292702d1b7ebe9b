#!/usr/bin/env bash
# Makes a container base image for Wharf's image build from the JDK running the build, with no
# registry, no network and no Docker daemon: a jlinked Java runtime at /opt/java/openjdk (where
# eclipse-temurin keeps it, java on the PATH), the shared libraries it links against, /tmp, and
# nothing else (no shell). Written as a `docker save` archive, which Jib reads as tar://FILE.
# The interop profile builds the image on it (this machine cannot reach Docker Hub for
# eclipse-temurin); ContainerImageIT runs that image.
#   local-base.sh OUT_DIR      ->  OUT_DIR/base.tar
set -euo pipefail

out=${1:?usage: local-base.sh OUT_DIR}
java_home=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}
# what `jdeps --print-module-deps` finds in wharf.jar, plus the EC crypto of TLS and ES256 tokens
modules=java.base,java.desktop,java.naming,java.net.http,java.security.jgss,java.sql,jdk.management,jdk.net,jdk.unsupported,jdk.crypto.ec
case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64) arch=arm64 ;;
  *) echo "local-base.sh: unsupported machine $(uname -m)" >&2; exit 1 ;;
esac

# made already (target/ survives between runs until mvn clean): the same JDK and script make the same base
if [ -s "$out/base.tar" ] && [ "$out/base.tar" -nt "$0" ] && [ "$out/base.tar" -nt "$java_home/lib/modules" ]; then
  echo "local-base.sh: $out/base.tar is up to date"
  exit 0
fi
rm -rf "$out"
root="$out/rootfs"
mkdir -p "$root/tmp" "$out/image"
chmod 1777 "$root/tmp"
"$java_home/bin/jlink" --module-path "$java_home/jmods" --add-modules "$modules" \
  --strip-debug --no-man-pages --no-header-files --output "$root/opt/java/openjdk"
# headless: the AWT parts that need X11 go, so their libraries need not come along
rm -f "$root"/opt/java/openjdk/lib/{libawt_xawt.so,libjawt.so,libsplashscreen.so}
# the shared libraries of the runtime (glibc, libstdc++, zlib ...), at their paths on this machine
find "$root/opt/java/openjdk" -type f \( -name '*.so' -o -path '*/bin/*' \) -print0 \
  | xargs -0 ldd 2>/dev/null \
  | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// && $1 !~ /:$/ { print $1 }' \
  | sort -u \
  | while read -r lib; do cp --parents -L "$lib" "$root/"; done

# the image: one layer, a config with PATH and JAVA_HOME, a docker-save manifest
tar --numeric-owner --owner=0 --group=0 --mtime=@0 --sort=name -C "$root" -cf "$out/image/layer.tar" .
diff_id=$(sha256sum "$out/image/layer.tar" | cut -d' ' -f1)
cat >"$out/image/config.json" <<JSON
{"architecture":"$arch","os":"linux","created":"1970-01-01T00:00:00Z",
 "config":{"Env":["PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","JAVA_HOME=/opt/java/openjdk"]},
 "rootfs":{"type":"layers","diff_ids":["sha256:$diff_id"]},
 "history":[{"created":"1970-01-01T00:00:00Z","created_by":"local-base.sh: jlink of $("$java_home/bin/java" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.runtime.version/ {print $2}')"}]}
JSON
echo '[{"Config":"config.json","RepoTags":["wharf-local-base:latest"],"Layers":["layer.tar"]}]' >"$out/image/manifest.json"
tar --numeric-owner --owner=0 --group=0 --mtime=@0 -C "$out/image" -cf "$out/base.tar" manifest.json config.json layer.tar
rm -rf "$root" "$out/image"
echo "local-base.sh: $out/base.tar ($(du -h "$out/base.tar" | cut -f1))"
