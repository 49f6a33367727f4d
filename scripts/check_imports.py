#!/usr/bin/env python3
"""Every target in Package.swift declares exactly the modules its files import (system modules
aside): no dependency declared and unused, none used through another target's. `make lint` runs it."""
import sys
import re, glob, os
os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
pkg = open('Package.swift').read()
system={'Foundation','Glibc','Darwin','XCTest','Dispatch','Accelerate','FoundationNetworking','FoundationXML'}
# split into target declarations by '.target(' etc.
parts=re.split(r'\.(?=(?:target|testTarget|executableTarget|systemLibrary)\()', pkg)
bad = False
for part in parts:
    m=re.match(r'(target|testTarget|executableTarget)\(\s*name: "([^"]+)"', part)
    if not m: continue
    name=m.group(2)
    body=part.split('swiftSettings')[0]
    deps=set()
    if 'dependencies:' in body:
        db=body.split('dependencies:')[1]
        deps=set(re.findall(r'"([A-Za-z0-9-]+)"', re.sub(r'\.product\(name: "(\w+)", package: "[^"]+"\)', r'"\1"', db)))
        if 'blasDependency' in db: deps.add('CBLAS')
    d='Sources/'+name if os.path.isdir('Sources/'+name) else 'Tests/'+name
    if 'path:' in body: d=re.search(r'path: "([^"]+)"',body).group(1)
    imps=set()
    for f in glob.glob(d+'/**/*.swift',recursive=True):
        text = open(f).read()
        # a Swift raw string literal (the embedded Python package) holds other languages' imports
        text = re.sub(r'#"""\n.*?\n"""#', '', text, flags=re.S)
        for l in text.split('\n'):
            mm=re.match(r'^(?:@testable )?import (\w+)',l)
            if mm: imps.add(mm.group(1))
    imps-=system
    extra=deps-imps-{'wrnn'}; missing=imps-deps
    if extra or missing:
        bad = True
        print(f"Package.swift: target {name}: declared and not imported: {sorted(extra)}; imported and not declared: {sorted(missing)}", file=sys.stderr)
sys.exit(1 if bad else 0)
