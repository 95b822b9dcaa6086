#!/usr/bin/env python3
"""Code bytes of a .wasm by crate (or by function), from its name section.

Usage: wasm-sizes.py FILE.wasm [--functions N] [--grep SUBSTRING]
Run on the LTO output *before* wasm-opt (target-wasm/.../chatwire_wasm.wasm), which still has
the name section; a function is counted under the first path segment of its (demangled) name,
`<alloc::vec::Vec<T> as core::fmt::Debug>::fmt` under `alloc`.
"""
import re
import sys
from collections import Counter


def leb(b, i):
    r = s = 0
    while True:
        x = b[i]
        i += 1
        r |= (x & 0x7F) << s
        s += 7
        if x < 0x80:
            return r, i


def sections(b):
    i = 8
    while i < len(b):
        sid = b[i]
        size, i = leb(b, i + 1)
        yield sid, b[i:i + size]
        i += size


def name_of(b, i):
    n, i = leb(b, i)
    return b[i:i + n].decode("utf-8", "replace"), i + n


def crate_of(nm):
    """The first crate a symbol names: v0-mangled (`_R…C<hash>_8chatwire…`) or demangled."""
    if nm.startswith("_R"):
        m = re.search(r"C(?:s[0-9a-zA-Z]*_)?(\d+)", nm)
        if m:
            start = m.end()
            return nm[start:start + int(m.group(1))]
    m = re.match(r"[<&\s*]*(?:dyn |mut |const )*([A-Za-z_][A-Za-z0-9_]*)", nm)
    return m.group(1) if m else "?"


def main():
    path = sys.argv[1]
    args = sys.argv[2:]
    top = int(args[args.index("--functions") + 1]) if "--functions" in args else 0
    grep = args[args.index("--grep") + 1] if "--grep" in args else None
    b = open(path, "rb").read()
    imports = 0
    bodies = []
    names = {}
    data = 0
    for sid, s in sections(b):
        if sid == 2:  # imports: functions among them shift the function index space
            n, i = leb(s, 0)
            for _ in range(n):
                _, i = name_of(s, i)
                _, i = name_of(s, i)
                kind = s[i]
                i += 1
                if kind == 0:
                    imports += 1
                    _, i = leb(s, i)
                elif kind == 1:
                    i += 1
                    flags, i = leb(s, i)
                    _, i = leb(s, i)
                    if flags & 1:
                        _, i = leb(s, i)
                elif kind == 2:
                    flags, i = leb(s, i)
                    _, i = leb(s, i)
                    if flags & 1:
                        _, i = leb(s, i)
                elif kind == 3:
                    i += 2
                else:
                    i += 2  # tag
        elif sid == 10:
            n, i = leb(s, 0)
            for _ in range(n):
                size, j = leb(s, i)
                bodies.append(size + (j - i))
                i = j + size
        elif sid == 11:
            data += len(s)
        elif sid == 0:
            cname, i = name_of(s, 0)
            if cname != "name":
                continue
            while i < len(s):
                sub = s[i]
                size, i = leb(s, i + 1)
                end = i + size
                if sub == 1:
                    n, k = leb(s, i)
                    for _ in range(n):
                        idx, k = leb(s, k)
                        nm, k = name_of(s, k)
                        names[idx] = nm
                i = end
    by_crate = Counter()
    by_fn = Counter()
    for k, size in enumerate(bodies):
        nm = names.get(imports + k, "?")
        if grep and grep not in nm:
            continue
        by_fn[nm] += size
        by_crate[crate_of(nm)] += size
    total = sum(by_crate.values())
    print(f"{path}: {total} B of code in {len(bodies)} functions, {data} B of data")
    for crate, size in by_crate.most_common(25):
        print(f"{size:>9} {100 * size / total:5.1f}%  {crate}")
    for nm, size in by_fn.most_common(top):
        print(f"{size:>9}  {nm[:160]}")


main()
