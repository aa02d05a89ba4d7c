#!/usr/bin/env python3
"""The module graph of src/ (a module is src/NAME.c or src/FOLDER/NAME.c, with its private header
src/FOLDER/NAME.h if any and its public include/evotune/NAME.h; an edge is an #include
"evotune/OTHER.h" in any of them) has no cycle, and storage (everything under
src/store/, and apply, report, fmt, runlog) reads no strategy's state: none of it includes strategy.h,
search.h or evaluator.h."""
import glob, os, re, sys

root = sys.argv[1]
graph, storage = {}, {"h5", "results", "apply", "report", "fmt", "runlog"}
for path in (glob.glob(os.path.join(root, "src", "**", "*.[ch]"), recursive=True) +
             glob.glob(os.path.join(root, "include", "evotune", "*.h"))):
    module = os.path.basename(path).rsplit(".", 1)[0]
    if os.path.basename(os.path.dirname(path)) == "store":
        storage.add(module)
    if module == "main":
        continue  # the CLI sits on top of everything
    with open(path) as f:
        deps = set(re.findall(r'#include "evotune/(\w+)\.h"', f.read()))
    deps.discard(module)
    graph.setdefault(module, set()).update(deps)

state, cycles = {}, []

def visit(u, stack):
    state[u] = 1
    stack.append(u)
    for v in sorted(graph.get(u, ())):
        if state.get(v) == 1:
            cycles.append(stack[stack.index(v):] + [v])
        elif not state.get(v):
            visit(v, stack)
    stack.pop()
    state[u] = 2

for u in sorted(graph):
    if not state.get(u):
        visit(u, [])
bad = 0
for c in cycles:
    print("cycle: " + " -> ".join(c))
    bad = 1
for m in sorted(storage):
    for forbidden in ("strategy", "search", "evaluator"):
        if forbidden in graph.get(m, ()):
            print(f"storage module {m} includes {forbidden}.h")
            bad = 1
if len(graph) < 20:
    print(f"only {len(graph)} modules found under {root}: wrong directory?")
    bad = 1
print("module graph: %d modules, %d edges, %s" % (len(graph), sum(len(d) for d in graph.values()),
                                                  "no cycle" if not cycles else "CYCLES"))
sys.exit(bad)
