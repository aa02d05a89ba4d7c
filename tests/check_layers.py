#!/usr/bin/env python3
"""The module graph of src/ has no cycle, and storage reads no strategy's state. A module is src/NAME.c,
or the files of a folder src/NAME/ (data, config, genome, evaluator, report, cli, kernels: one module
cut into files), with include/evotune/NAME.h; src/store/ holds several storage modules, each its
file's name (h5, results, rows, model, seal, h5io). An edge is an #include "evotune/OTHER.h" in any of a module's
files. Storage (src/store/, and apply, report, fmt, runlog, journal) includes none of strategy.h,
search.h or evaluator.h."""
import glob, os, re, sys

root = sys.argv[1]
graph, storage = {}, {"h5", "results", "apply", "report", "fmt", "runlog", "journal"}
for path in (glob.glob(os.path.join(root, "src", "**", "*.[ch]"), recursive=True) +
             glob.glob(os.path.join(root, "include", "evotune", "*.h"))):
    parent = os.path.basename(os.path.dirname(path))
    module = os.path.basename(path).rsplit(".", 1)[0]
    if parent == "store":
        storage.add(module)
    elif parent not in ("src", "evotune"):
        module = parent  # src/data/csv.c belongs to the module data
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
