#!/usr/bin/env python3
"""Write an Apache combined access log of one hosting server: two webshells
being driven next to normal browsing, login forms, an API and a scanner.

usage: make-log.py OUT.log [--seed N] [--order sorted|reversed|shuffled]

What a behaviour profile must make of each script (the case's test.yaml
counts on it):
  /uploads/x.php    POSTs only, from 203.0.113.66 (24) and 203.0.113.67 (6),
                    answers 1000-1020 bytes: suspect, one event per client
  /images/y.jsp     POSTs only, from 198.51.100.9 (15), answers 1000-1014
                    bytes: suspect, one event
  /index.php ...    GETs from 60 browsers: no
  /login.php        a GET then a POST per login, 25 users: no (GETs)
  /api/orders.php   POSTs from 40 clients, constant answers: no (many clients)
  /uploads/z.php    15 POSTs from one scanner, answered 404: no (not answered)
  /search.php       POSTs from one user, answers 300-9000 bytes: no (sizes)
  /cart.php         8 POSTs from one user, constant answers: no (too few)
  /wp-cron.php      POSTs from the server itself, empty answers: not a script profile
"""
import random
import sys
import time

args = sys.argv[1:]
out = args[0]
seed = int(args[args.index("--seed") + 1]) if "--seed" in args else 1
order = args[args.index("--order") + 1] if "--order" in args else "sorted"
rng = random.Random(seed)
T0 = 1764000000  # 2025-11-24
lines = []


def line(t, ip, method, url, status, size, ref="-", ua="Mozilla/5.0 (X11; Linux x86_64)"):
    ts = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(T0 + t))
    lines.append((t, ip, url, f'{ip} - - [{ts}] "{method} {url} HTTP/1.1" {status} {size} '
                              f'"{ref}" "{ua}"'))


browsers = [f"192.0.2.{i}" for i in range(10, 70)]
for i in range(600):
    ip = rng.choice(browsers)
    url = rng.choice(["/index.php", "/about.html", "/products.php?id=%d" % rng.randint(1, 50),
                      "/style.css", "/logo.png"])
    line(rng.randint(0, 86000), ip, "GET", url, 200, rng.randint(300, 40000))
for i in range(25):
    ip = browsers[i]
    t = rng.randint(0, 86000)
    line(t, ip, "GET", "/login.php", 200, 5120)
    line(t + 9, ip, "POST", "/login.php", 200, 812)
for i in range(200):
    line(rng.randint(0, 86000), f"198.18.0.{rng.randint(1, 40)}", "POST", "/api/orders.php", 200,
         64)
for i in range(15):
    line(100 + i * 3, "192.0.2.250", "POST", "/uploads/z.php", 404, 209)
for i in range(12):
    line(2000 + i * 60, "192.0.2.11", "POST", "/search.php?q=%d" % i, 200,
         rng.randint(300, 9000))
for i in range(8):
    line(3000 + i * 60, "192.0.2.12", "POST", "/cart.php", 200, 431)
for i in range(30):
    line(i * 2880, "127.0.0.1", "POST", "/wp-cron.php?doing_wp_cron", 200, 0)
# The driven shells.
for i in range(24):
    line(40000 + i * 37, "203.0.113.66", "POST", "/uploads/x.php", 200, rng.randint(1000, 1020),
         ua="Mozilla/5.0 (Windows NT 10.0; Win64; x64)")
for i in range(6):
    line(50000 + i * 41, "203.0.113.67", "POST", "/uploads/x.php", 200, rng.randint(1000, 1020))
for i in range(15):
    line(60000 + i * 29, "198.51.100.9", "POST", "/images/y.jsp", 200, 1000 + i % 3 * 7)

if order == "sorted":
    lines.sort(key=lambda x: (x[0], x[1], x[2]))
elif order == "reversed":
    lines.sort(key=lambda x: (x[0], x[1], x[2]), reverse=True)
else:
    rng.shuffle(lines)
with open(out, "w") as f:
    for x in lines:
        f.write(x[3] + "\n")
