#!/usr/bin/env python3
"""search-latency.py - measures search and browse latency against a running Wharf whose data was
written by gen-search.py (IMAGES images orgNN/appNNNNN, TAGS tags 1.0.N each, repository REPO).
One client, one kept-alive connection, requests one after the other: the latency of each request
as the client sees it (Python's own overhead included). Prints p50/p90/p99/max per query kind.

    bench/search-latency.py --url http://127.0.0.1:5000 --repo default --images 10000 --tags 10
"""
import argparse, http.client, json, random, time, urllib.parse

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--repo", default="default")
    ap.add_argument("--images", type=int, default=10000)
    ap.add_argument("--tags", type=int, default=10)
    ap.add_argument("--n", type=int, default=2000, help="requests per random-access kind")
    ap.add_argument("--pages", type=int, default=1000, help="components pages to walk (100 tags each)")
    a = ap.parse_args()
    u = urllib.parse.urlparse(a.url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
    rnd = random.Random(7)

    def get(path):
        t = time.perf_counter()
        conn.request("GET", path)
        r = conn.getresponse()
        body = r.read()
        dt = (time.perf_counter() - t) * 1000
        if r.status != 200:
            raise SystemExit("%s -> %d %s" % (path, r.status, body[:300]))
        return dt, body

    def image(i):
        return "org%02d/app%05d" % (i % 100, i)

    # the index is built at start: wait until the last image is searchable
    t0 = time.time()
    while True:
        _, body = get("/service/rest/v1/search?name=" + image(a.images - 1))
        if len(json.loads(body)["items"]) == a.tags:
            break
        time.sleep(0.5)
    print("index ready %.1f s after the first request" % (time.time() - t0))

    results = {}
    def run(kind, paths):
        for p in paths[: max(1, len(paths) // 10)]:  # warm up: JIT, caches
            get(p)
        results[kind] = sorted(get(p)[0] for p in paths)

    run("search?name=<image> (exact, 10 hits)",
        ["/service/rest/v1/search?name=%s" % image(rnd.randrange(a.images)) for _ in range(a.n)])
    run("search?repository&name&sort=version&direction=desc",
        ["/service/rest/v1/search?repository=%s&name=%s&format=docker&sort=version&direction=desc" % (a.repo, image(rnd.randrange(a.images))) for _ in range(a.n)])
    run("search?name=orgNN/* (1,000 hits, first page of 50)",
        ["/service/rest/v1/search?name=org%02d/*" % rnd.randrange(100) for _ in range(a.n)])
    run("image detail (wharf api)",
        ["/wharf/api/v1/repositories/%s/images/%s/manifests/1.0.%d" % (a.repo, image(rnd.randrange(a.images)), rnd.randrange(a.tags)) for _ in range(a.n)])
    run("tag listing (wharf api, sort=pushed)",
        ["/wharf/api/v1/repositories/%s/images/%s/tags?sort=pushed&direction=desc" % (a.repo, image(rnd.randrange(a.images))) for _ in range(a.n)])

    # components?repository= paging: follow the continuationToken through the repository
    lat = []
    token = None
    for _ in range(a.pages):
        dt, body = get("/service/rest/v1/components?repository=%s%s" % (a.repo, "" if token is None else "&continuationToken=" + token))
        lat.append(dt)
        token = json.loads(body)["continuationToken"]
        if token is None:
            break
    results["components?repository= (%d pages of 100)" % len(lat)] = sorted(lat)

    def pct(xs, p):
        return xs[min(len(xs) - 1, int(len(xs) * p))]
    print("| query | requests | p50 ms | p90 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for k, xs in results.items():
        print("| %s | %d | %.1f | %.1f | %.1f | %.1f |" % (k, len(xs), pct(xs, .5), pct(xs, .9), pct(xs, .99), xs[-1]))

if __name__ == "__main__":
    main()
