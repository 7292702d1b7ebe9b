#!/usr/bin/env python3
"""ui-latency.py - the web UI's pages at 10,000 tags in one image and 100,000 tags overall (issue 16).
Data: gen-search.py twice into one data directory (see bench/run-ui.sh): IMAGES-1 images of TAGS tags
(orgNN/appNNNNN, 1.0.N) and one image big/org00/app00000 with BIG tags. One client, one kept-alive
connection, requests one after the other; the time until the whole page has arrived, as the client
sees it on loopback (Python's overhead included). Prints p50/p90/max per page in milliseconds.

    bench/ui-latency.py --url http://127.0.0.1:5000 --repo default --n 30
"""
import argparse, http.client, re, time, urllib.parse

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--repo", default="default")
    ap.add_argument("--big", default="big/org00/app00000", help="the image with 10,000 tags")
    ap.add_argument("--n", type=int, default=30, help="requests per page")
    a = ap.parse_args()
    u = urllib.parse.urlparse(a.url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=300)

    def get(path):
        t = time.perf_counter()
        conn.request("GET", path)
        r = conn.getresponse()
        body = r.read()
        dt = (time.perf_counter() - t) * 1000
        if r.status != 200:
            raise SystemExit("%s -> %d %s" % (path, r.status, body[:300]))
        return dt, body.decode()

    def next_link(html):
        m = re.search(r'<a href="([^"]+)"[^>]*>Next page', html)
        return m.group(1).replace("&amp;", "&") if m else None

    ui = "/ui/repositories/" + a.repo
    tags = ui + "/images/" + a.big
    # the index is built at start: wait until the big image is listed with every tag
    t0 = time.time()
    while True:
        try:
            _, html = get(tags)
            if "10000 tags" in html:
                break
        except SystemExit:
            pass
        time.sleep(1)
    print("index ready after %.1f s" % (time.time() - t0))

    # a deep page: follow 20 "next" links once, then measure that page
    deep = tags
    for _ in range(20):
        deep = next_link(get(deep)[1])
    deep_images = ui
    for _ in range(20):
        deep_images = next_link(get(deep_images)[1])
    _, first = get(tags)
    digest = re.search(r'title="(sha256:[0-9a-f]{64})"', first).group(1)
    pages = [
        ("repositories", "/ui/"),
        ("images, first page (9,001 images)", ui),
        ("images, page 21", deep_images),
        ("images, filtered by prefix", ui + "?q=org42/"),
        ("tags by name (10,000 tags)", tags),
        ("tags by name, page 21", deep),
        ("tags by last push, newest first", tags + "?sort=pushed&order=desc"),
        ("tags by size, largest first", tags + "?sort=size&order=desc"),
        ("tags filtered by name", tags + "?q=1.0.99"),
        ("untagged manifests", tags + "?show=untagged"),
        ("tags and untagged", tags + "?show=all&sort=size&order=desc"),
        ("image detail by tag", tags + ":1.0.5000"),
        ("delete confirmation", tags + ":1.0.5000/delete"),
        ("search by name (100,000 tags)", "/ui/search?q=app04242"),
        ("search by tag text, first page", "/ui/search?q=1.0.9999"),
        ("search by digest", "/ui/search?q=" + digest),
        ("search everything, first page", "/ui/search?q=app"),
    ]
    print("%-40s %8s %8s %8s" % ("page", "p50 ms", "p90 ms", "max ms"))
    for name, path in pages:
        for _ in range(3):  # warm up: the JIT, the manifest facts cache
            get(path)
        ts = sorted(get(path)[0] for _ in range(a.n))
        print("%-40s %8.1f %8.1f %8.1f" % (name, ts[len(ts) // 2], ts[int(len(ts) * 0.9)], ts[-1]))

main()
