#!/bin/sh
# Renders the HTML report of a real small run (steady_state, the default strategy) in headless
# Chromium, as a user opens it: the DOM Chromium builds must hold every plot's <svg> with its data
# marks, and the screenshot must be a real, non-blank page. Given TRIALS, the run is instead a
# synthetic generational one of that many trials (test_report synth, written in C in about a second
# for 100 000), too many to draw one by one: the report must be at most 5 MB, its plots densities
# with only the 50 best as marks, and Chromium must still render it. Exit 77 (skipped) without
# chromium or python3, unless CI is set (CI installs both: scripts/deps.sh test), where that fails.
# Usage: report_render.sh EVOTUNE TEST_REPORT SOURCE_DIR [TRIALS]
# EVOTUNE_REPORT_SCREENSHOT=FILE keeps a copy of the screenshot.
set -eu
evotune=$1 test_report=$2 src=$3 trials=${4:-}
skip() {
    if [ -n "${CI:-}" ] && [ "${CI:-}" != false ]; then
        echo "failed: $1 (CI is set: scripts/deps.sh test installs it)"
        exit 1
    fi
    echo "skipped: $1"
    exit 77
}
chromium=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chromium" ] || skip "chromium missing (apt-get install chromium)"
python=$(command -v python3 || true)
[ -n "$python" ] || skip "python3 missing"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

if [ -n "$trials" ]; then
    "$test_report" synth "$trials" "$dir/r.h5"
else
    "$evotune" run "$src/configs/default.cfg" --set "data.train=\"$src/datasets/wine.csv\"" \
        --set ga.population=10 --set run.workers=4 --max-trials 40 --set 'search.epochs={min=2;max=8;}' \
        --set 'search.neurons={min=4;max=32;log=true;}' --threads 2 --quiet --out "$dir/r.h5" >/dev/null
fi
# the CLI's `report` command when it has one, else the test binary's renderer (same library call)
if ! "$evotune" report "$dir/r.h5" -o "$dir/r.html" >/dev/null 2>&1; then
    "$test_report" render "$dir/r.h5" "$dir/r.html"
fi
test -s "$dir/r.html"
size=$(wc -c <"$dir/r.html")
if [ -n "$trials" ] && [ "$size" -gt 5000000 ]; then
    echo "the report of $trials trials is $size bytes, more than 5 MB"
    exit 1
fi

flags="--headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir=$dir/profile"
# shellcheck disable=SC2086
timeout 120 "$chromium" $flags --dump-dom "file://$dir/r.html" >"$dir/dom.html" 2>"$dir/chromium.log" || {
    cat "$dir/chromium.log"; echo "chromium --dump-dom failed"; exit 1; }
# shellcheck disable=SC2086
timeout 120 "$chromium" $flags --screenshot="$dir/report.png" --window-size=1400,5000 "file://$dir/r.html" \
    >>"$dir/chromium.log" 2>&1 || { cat "$dir/chromium.log"; echo "chromium --screenshot failed"; exit 1; }

"$python" - "$dir/dom.html" "$dir/report.png" "$trials" <<'EOF'
import re, struct, sys, zlib
from html.parser import HTMLParser

class Plots(HTMLParser):
    """Counts, per <svg id=...>, the elements whose class has the token "pt", and those of class
    "density" (a density's shades)."""
    def __init__(self):
        super().__init__()
        self.stack, self.points, self.density, self.rows = [], {}, {}, 0
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg":
            self.stack.append(a.get("id"))
            if a.get("id"):
                self.points.setdefault(a["id"], 0)
                self.density.setdefault(a["id"], 0)
        elif self.stack and self.stack[-1] and "pt" in (a.get("class") or "").split():
            self.points[self.stack[-1]] += 1
        elif self.stack and self.stack[-1] and "density" in (a.get("class") or "").split():
            self.density[self.stack[-1]] += 1
        if tag == "tr" and "top-row" in (a.get("class") or "").split():
            self.rows += 1
    def handle_endtag(self, tag):
        if tag == "svg" and self.stack:
            self.stack.pop()

dom = open(sys.argv[1], encoding="utf-8").read()
p = Plots()
p.feed(dom)
fail = []
def check(cond, what):
    if not cond:
        fail.append(what)
n = int(re.search(r'trials done</div><div class="v">(\d+)', dom).group(1))
genes = ["learning_rate", "epochs", "batch_size", "hidden_layers", "neurons_1", "activation", "optimizer",
         "weight_decay"]
large = int(sys.argv[3]) if sys.argv[3] else 0
fitness_plots = ["plot-fitness"] if large else ["plot-trials", "plot-time"]
for plot in fitness_plots + ["plot-parallel", "plot-curves", "plot-ancestry", "plot-confusion"] + \
        ["plot-gene-" + g for g in genes]:
    check(plot in p.points, "no <svg id=%s> in the DOM" % plot)
if large:
    # generational, 10 generations: a best and a mean dot each; the trials a density under the 50 best
    check(n == large, "trials done: %d, expected %d" % (n, large))
    check(p.points.get("plot-fitness") == 20, "plot-fitness: %s points, expected 20" % p.points.get("plot-fitness"))
    check(p.density.get("plot-fitness", 0) > 0, "plot-fitness: no density")
    for g in genes:
        got = p.points.get("plot-gene-" + g)
        check(got is not None and 0 < got <= 51, "plot-gene-%s: %s points, expected 1 to 51" % (g, got))
        check(p.density.get("plot-gene-" + g, 0) > 0, "plot-gene-%s: no density" % g)
    check("With %d trials, the plots are densities" % n in dom, "the gene plots do not say they are densities")
else:
    check(n == 40, "trials done: %d, expected 40" % n)
    check("plot-fitness" not in p.points, "plot-fitness (per generation) in a steady_state report")
    for plot in ["plot-trials", "plot-time"]:
        check(p.points.get(plot) == n, "%s: %s points, expected %d" % (plot, p.points.get(plot), n))
    for g in genes:
        got = p.points.get("plot-gene-" + g)
        check(got == n, "plot-gene-%s: %s points, expected %d" % (g, got, n))
    check(sum(p.density.values()) == 0, "densities in a report of %d trials" % n)
check(0 < p.points.get("plot-parallel", 0) <= min(20, n), "plot-parallel: %s lines" % p.points.get("plot-parallel"))
check(p.points.get("plot-ancestry", 0) >= 1, "plot-ancestry: no node")
check(p.points.get("plot-confusion") in (0, 9, 100), "plot-confusion: %s cells" % p.points.get("plot-confusion"))
check(p.rows == min(10, n), "top table: %d rows, expected %d" % (p.rows, min(10, n)))
check("no learning curves recorded in this file" in dom or p.points.get("plot-curves", 0) > 0, "curves section")

# the screenshot: a PNG of the window's size whose pixels are not all alike (after PNG filtering a
# blank page is almost all zero bytes)
png = open(sys.argv[2], "rb").read()
check(png[:8] == b"\x89PNG\r\n\x1a\n", "screenshot is not a PNG")
w, h = struct.unpack(">II", png[16:24])
check((w, h) == (1400, 5000), "screenshot is %dx%d" % (w, h))
idat, pos = b"", 8
while pos < len(png):
    length, kind = struct.unpack(">I4s", png[pos:pos + 8])
    if kind == b"IDAT":
        idat += png[pos + 8:pos + 8 + length]
    pos += 12 + length
raw = zlib.decompress(idat)
busy = 1 - raw.count(0) / len(raw)
check(busy > 0.01, "screenshot looks blank (%.4f of its filtered bytes non-zero)" % busy)
if fail:
    print("\n".join(fail))
    sys.exit(1)
print("report renders: %d trials, points per plot %s, screenshot %dx%d (%.1f%% busy)"
      % (n, p.points, w, h, 100 * busy))
EOF
echo "report: $size bytes"
if [ -n "${EVOTUNE_REPORT_SCREENSHOT:-}" ]; then
    cp "$dir/report.png" "$EVOTUNE_REPORT_SCREENSHOT"
fi
