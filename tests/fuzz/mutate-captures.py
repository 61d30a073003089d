#!/usr/bin/env python3
"""Mutation campaign over real captures: the damage that real files suffer.

Each mutant is a real capture from the shared data with one kind of damage:
bit flips, truncation, inserted bytes, a record whose length fields lie, or
a link type that is wrong for its frames. Every mutant is read by the
sanitizer build (`observe`, and `analyze` without intel or store); a finding
is a sanitizer report, a crash, a hang, or an exit status other than 0 (read)
or 1 (refused with one error line). Findings are kept for replay.

usage: mutate-captures.py BIN DATA_DIR OUT_DIR [--seconds N] [--seed N]
exit status: 0 no finding, 1 findings (listed), 2 usage or no captures
"""
import os
import random
import struct
import subprocess
import sys
import time


def captures(root):
    found = []
    for dirpath, _, files in os.walk(root):
        for f in files:
            if f.endswith(('.pcap', '.pcapng', '.cap')):
                p = os.path.join(dirpath, f)
                if 24 <= os.path.getsize(p) <= 4 << 20:
                    found.append(p)
    return sorted(found)


def pcap_records(b):
    """Offsets of the record headers of a classic pcap, as far as they parse."""
    if len(b) < 24:
        return []
    magic = b[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        fmt = '<IIII'
    elif magic in (b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        fmt = '>IIII'
    else:
        return []
    offs, off = [], 24
    while off + 16 <= len(b) and len(offs) < 10000:
        _, _, incl, _ = struct.unpack(fmt, b[off:off + 16])
        offs.append((off, fmt))
        off += 16 + incl
    return offs


def mutate(b, rng):
    b = bytearray(b)
    kind = rng.choice(['flip', 'truncate', 'insert', 'reclen', 'linktype'])
    if kind == 'flip':
        for _ in range(rng.randint(1, 16)):
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
    elif kind == 'truncate':
        del b[rng.randrange(1, len(b)):]
    elif kind == 'insert':
        i = rng.randrange(len(b))
        b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    elif kind == 'reclen':
        recs = pcap_records(b)
        if not recs:
            return mutate(bytes(b), rng)
        off, fmt = rng.choice(recs)
        e = fmt[0]
        v = rng.choice([0, 1, 0xffff, 0x40000, 0x7fffffff, 0xffffffff, rng.randrange(1 << 32)])
        field = rng.choice([8, 12])  # incl_len or orig_len
        b[off + field:off + field + 4] = struct.pack(e + 'I', v)
    else:
        if pcap_records(b):
            e = '<' if b[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
            v = rng.choice([0, 1, 12, 101, 105, 113, 127, 228, 229, 276, 65535, rng.randrange(1 << 32)])
            b[20:24] = struct.pack(e + 'I', v)
        elif len(b) > 40:
            i = rng.randrange(8, 40)  # somewhere in the first pcapng blocks
            b[i] = rng.randrange(256)
    return bytes(b), kind


def main(argv):
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    binary, data, out = argv[1], argv[2], argv[3]
    seconds, seed = 120.0, 1
    rest = argv[4:]
    while rest:
        if rest[0] == '--seconds' and len(rest) > 1:
            seconds = float(rest[1])
        elif rest[0] == '--seed' and len(rest) > 1:
            seed = int(rest[1])
        else:
            print('unknown argument ' + rest[0], file=sys.stderr)
            return 2
        rest = rest[2:]
    caps = captures(data)
    if not caps:
        print('no captures under ' + data, file=sys.stderr)
        return 2
    os.makedirs(out, exist_ok=True)
    env = dict(os.environ)
    env['ASAN_OPTIONS'] = 'detect_leaks=1:abort_on_error=0'
    env['UBSAN_OPTIONS'] = 'print_stacktrace=1:halt_on_error=1'
    rng = random.Random(seed)
    t0 = time.monotonic()
    n = 0
    findings = []
    kinds = {}
    while time.monotonic() - t0 < seconds and len(findings) < 50:
        src = rng.choice(caps)
        with open(src, 'rb') as f:
            orig = f.read()
        res = mutate(orig, rng)
        mut, kind = res if isinstance(res, tuple) else (res, 'flip')
        kinds[kind] = kinds.get(kind, 0) + 1
        path = os.path.join(out, 'mutant.pcap')
        with open(path, 'wb') as f:
            f.write(mut)
        for cmd in ([binary, 'observe', '-r', path, '-o', '/dev/null', '--no-stats'],
                    [binary, 'analyze', '-r', path, '-o', '/dev/null', '--no-intel', '--no-store']):
            try:
                p = subprocess.run(cmd, env=env, capture_output=True, timeout=30)
                err = p.stderr.decode('utf-8', 'replace')
                bad = (p.returncode not in (0, 1) or 'Sanitizer' in err or 'runtime error:' in err)
                why = 'exit %d' % p.returncode
            except subprocess.TimeoutExpired:
                bad, why, err = True, 'hang (30 s)', ''
            if bad:
                keep = os.path.join(out, 'finding-%03d-%s.pcap' % (len(findings), kind))
                with open(keep, 'wb') as f:
                    f.write(mut)
                findings.append('%s: %s %s from %s: %s' % (keep, cmd[1], why, src,
                                                            err.strip().splitlines()[-1:] or ''))
        n += 1
    os.unlink(os.path.join(out, 'mutant.pcap'))
    print('mutants: %d from %d captures in %.0f s (%s)' % (
        n, len(caps), time.monotonic() - t0,
        ', '.join('%s %d' % kv for kv in sorted(kinds.items()))))
    for f in findings[:20]:
        print('FINDING ' + f)
    if len(findings) > 20:
        print('... and %d more findings in %s' % (len(findings) - 20, out))
    return 1 if findings else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
