#!/usr/bin/env python3
"""Every relative markdown link `](path)` or `](path#anchor)` in the given files resolves.
usage: docs/dev/check-links.py README.md bench/README.md docs/**/*.md   (exit 1 when one does not)"""
import os, re, sys
bad = 0
def anchors(path):
    out = set()
    for line in open(path, encoding='utf-8'):
        m = re.match(r'^#+\s+(.*)', line)
        if m:
            a = m.group(1).strip().lower()
            a = re.sub(r'[^\w\- ]', '', a).replace(' ', '-')
            out.add(a)
    return out
for f in sys.argv[1:]:
    inside = False
    for n, line in enumerate(open(f, encoding='utf-8'), 1):
        if line.startswith('```'):
            inside = not inside
            continue
        if inside:
            continue
        line = re.sub(r'`[^`]*`', '', line)  # links inside inline code are examples
        for m in re.finditer(r'\]\(([^)\s]+)\)', line):
            t = m.group(1)
            if re.match(r'[a-z]+://', t) or t.startswith('mailto:'):
                continue
            path, _, anchor = t.partition('#')
            target = os.path.normpath(os.path.join(os.path.dirname(f), path)) if path else f
            if not os.path.exists(target):
                print(f'{f}:{n}: missing {t}'); bad += 1
            elif anchor and target.endswith('.md') and anchor not in anchors(target):
                print(f'{f}:{n}: no anchor {t}'); bad += 1
print(f'links: {bad} broken'); sys.exit(1 if bad else 0)
