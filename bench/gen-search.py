#!/usr/bin/env python3
"""gen-search.py - writes a big registry for the search/browse benchmark straight into a data
directory, in CNCF distribution's storage layout (what `wharf serve --data DIR` serves): IMAGES
images (`orgNN/appNNNNN`) with TAGS tags each (`1.0.0`...), every tag its own OCI manifest and
config (linux/amd64) over one shared small layer. 10,000 x 10 = 100,000 tags in about a minute;
no server involved (pushing 100,000 manifests over HTTP would take much longer and measure the
push path, not search).

    bench/gen-search.py --data /tmp/wharf-search --images 10000 --tags 10
"""
import argparse, hashlib, json, os, random, time

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="the data directory (wharf serve --data)")
    ap.add_argument("--images", type=int, default=10000)
    ap.add_argument("--tags", type=int, default=10)
    ap.add_argument("--namespace", default="", help="a repository namespace (empty: none, as wharf serve)")
    a = ap.parse_args()
    root = os.path.join(a.data, "docker/registry/v2")
    repos = os.path.join(root, "repositories", a.namespace) if a.namespace else os.path.join(root, "repositories")

    def write(path, data):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)

    def blob(data):
        h = hashlib.sha256(data).hexdigest()
        p = os.path.join(root, "blobs/sha256", h[:2], h, "data")
        if not os.path.exists(p):
            write(p, data)
        return h

    def link(path, h):
        write(path, ("sha256:" + h).encode())

    rnd = random.Random(42)
    layer = bytes(rnd.getrandbits(8) for _ in range(1024))
    layer_hex = blob(layer)
    start = time.time()
    for i in range(a.images):
        image = "org%02d/app%05d" % (i % 100, i)
        d = os.path.join(repos, image)
        link(os.path.join(d, "_layers/sha256", layer_hex, "link"), layer_hex)
        for t in range(a.tags):
            tag = "1.0.%d" % t
            config = json.dumps({"architecture": "amd64", "os": "linux", "created": "2026-11-01T00:00:00Z",
                                 "config": {"Labels": {"image": image, "tag": tag}},
                                 "rootfs": {"type": "layers", "diff_ids": ["sha256:" + layer_hex]}}).encode()
            config_hex = blob(config)
            link(os.path.join(d, "_layers/sha256", config_hex, "link"), config_hex)
            manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                                   "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                              "digest": "sha256:" + config_hex, "size": len(config)},
                                   "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                                               "digest": "sha256:" + layer_hex, "size": len(layer)}]}).encode()
            m = blob(manifest)
            link(os.path.join(d, "_manifests/revisions/sha256", m, "link"), m)
            link(os.path.join(d, "_manifests/tags", tag, "index/sha256", m, "link"), m)
            link(os.path.join(d, "_manifests/tags", tag, "current/link"), m)
        if (i + 1) % 1000 == 0:
            print("%d images, %d tags, %.0f s" % (i + 1, (i + 1) * a.tags, time.time() - start), flush=True)

if __name__ == "__main__":
    main()
