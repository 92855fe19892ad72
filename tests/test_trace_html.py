"""The explain page (``Trace.to_html``, ``fastprop explain --html``): self-contained, its
numbers those of the trace, and — in a real headless browser (Debian's ``chromium``) —
revealed stage by stage, rendering to pictures that are not blank."""

import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser

import numpy as np
import pytest

import fastprop as fp
from fastprop.trace_text import format_number

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_browser = pytest.mark.skipif(
    CHROMIUM is None, reason="no headless browser: install Debian's chromium "
    "(apt-get install chromium) to render the explain page")


def example_trace(name):
    ex = fp.examples.get(name)
    return ex.network().trace(ex.x, ex.y, ex.lr)


class _Links(HTMLParser):
    """Every tag, and every attribute that loads something (src, href, …)."""

    def __init__(self):
        super().__init__()
        self.tags, self.links = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.links += [(tag, k, v) for k, v in attrs if k in ("src", "href", "srcset",
                                                               "action", "data", "xlink:href")]


def _numbers_of(trace, digits=5):
    """Every number the text of the step prints, formatted as the page prints them."""
    values = [trace.loss, *trace.x.ravel(), *(a for arr in trace.a for a in arr.ravel()),
              *(d for arr in trace.deltas for d in arr.ravel()),
              *(g for arr in trace.grad_weights for g in arr.ravel()),
              *(w for arr in trace.new_weights for w in arr.ravel())]
    return {format_number(v, digits) for v in values}


@pytest.mark.parametrize("name", fp.examples.names())
def test_the_page_is_self_contained_and_holds_every_number(name):
    trace = example_trace(name)
    html = trace.to_html()
    parser = _Links()
    parser.feed(html)
    assert parser.links == [] and "link" not in parser.tags and "img" not in parser.tags
    assert not re.search(r"https?:|url\(|@import|@font-face", html, re.I)
    assert parser.tags.count("section") == 3 + 2 * trace.arch.n_layers  # every stage
    for number in _numbers_of(trace):
        assert number in html, number
    text = trace.format().split("After the step")[0]
    for line in text.splitlines()[4:]:  # every line of the text that computes a number
        if "=" in line and "Backward pass" not in line:
            assert _escaped(line.strip()) in html, line


def _escaped(text):
    from html import escape

    return escape(text)


def test_every_number_in_the_drawing_has_its_formula():
    """Hovering a number shows the lines that computed it (an SVG <title>)."""
    html = example_trace("two-inputs-sigmoid-mse").to_html()
    svg = html[html.index("<svg"):html.index("</svg>")]
    values = re.findall(r'<text class="v[^"]*"[^>]*>([^<]*)<title>([^<]*)</title>', svg)
    assert len(values) == 3 * 3 + 4 + 2 + 1  # edges ×3 (w, ∂, new), nodes' a, δ, the loss
    tips = dict(values)
    assert tips["CD ∂ -0.12162"].startswith("CD: ∂L/∂CD = δ_D·C = (-0.1621)×0.75026")
    assert "σ′(z_D) = D(1 − D)" in tips["δ -0.1621"]
    assert tips["L = 0.12553"].splitlines()[-1] == "L = (y − ŷ)² = (1 − 0.6457)² = 0.12553"
    assert tips["AC 0.5"].startswith("AC = 0.5: the weight from A to C")
    assert all(tip.strip() for _, tip in values)


def test_a_multi_step_page_has_every_step_and_the_optimizers_state():
    ex = fp.examples.get("two-inputs-sigmoid-mse")
    trace = ex.network().trace(ex.x, ex.y, optimizer=fp.Adam(0.1), steps=3)
    html = trace.to_html()
    assert html.count('class="step"') == 3 and "Step 3 of 3" in html
    assert "m̂ = m/(1 − β₁ᵗ)" in html
    for step in trace.steps:
        assert format_number(step.edge("CD")["new"], 5) in html


def test_big_networks_get_the_summary():
    net = fp.Network([20, 16, 3], seed=0)
    html = net.trace(np.ones(20), [0, 1, 0], lr=0.1).to_html()
    assert "<svg" not in html and "Summary" in html and "rms" in html


# --------------------------------------------------------------- in a real browser
def _chromium(tmp_path, *args):
    profile = tmp_path / "profile"
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
               "--hide-scrollbars", "--no-first-run", f"--user-data-dir={profile}",
               "--virtual-time-budget=3000", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _rendered_text(tmp_path, path, stage):
    """What a reader sees at ``stage``: the page's own #text hook writes innerText."""
    dom = _chromium(tmp_path, "--window-size=1200,1000", "--dump-dom",
                    f"file://{path}#stage={stage}&text")
    found = re.search(r'<pre id="rendered">(.*?)</pre>', dom, re.S)
    assert found, dom[-500:]
    from html import unescape

    return unescape(found.group(1))


def _screenshot_pixels(tmp_path, url, name, size="1200,1000"):
    from PIL import Image

    png = tmp_path / f"{name}.png"
    _chromium(tmp_path, f"--screenshot={png}", f"--window-size={size}", url)
    image = np.asarray(Image.open(png).convert("L"))
    return image


@needs_browser
@pytest.mark.parametrize("name", fp.examples.names())
def test_the_page_renders_stage_by_stage(name, tmp_path):
    pytest.importorskip("PIL", reason="Pillow (with matplotlib) reads the screenshots")
    trace = example_trace(name)
    path = tmp_path / "page.html"
    path.write_text(trace.to_html(), encoding="utf-8")
    last = 2 + 2 * trace.arch.n_layers
    new = format_number(trace.new_weights[-1][0, 0], 5)
    output = trace.names[-1][0]
    edge = f"{trace.names[-2][0]}{output}"
    # the first stage shows the forward pass, not yet the step
    first = _rendered_text(tmp_path, path, 0)
    assert "Forward pass" in first and format_number(trace.a[-1][0, 0], 5) in first
    assert f"{edge}_new" not in first and "Loss" not in first.split("Forward pass")[1]
    # the last shows everything up to the new weights
    text = _rendered_text(tmp_path, path, last)
    assert f"{edge}_new" in text and new in text and format_number(trace.loss, 5) in text
    assert f"stage {last + 1} of {last + 1}" in text
    # screenshots: not blank, and different from one stage to the next
    shots = [_screenshot_pixels(tmp_path, f"file://{path}#stage={k}", f"s{k}")
             for k in (0, 1, last)]
    for image in shots:
        dark = (image < 128).mean()
        assert 0.005 < dark < 0.5, dark  # text and drawing on a light page
    assert not np.array_equal(shots[0], shots[2])


@needs_browser
def test_without_javascript_every_stage_is_shown(tmp_path):
    """The page with its script removed (a browser without JavaScript) shows every stage
    at once: its content runs far below the scripted page's first stage."""
    pytest.importorskip("PIL", reason="Pillow (with matplotlib) reads the screenshots")
    html = example_trace("two-inputs-sigmoid-mse").to_html()
    scripted, plain = tmp_path / "page.html", tmp_path / "plain.html"
    scripted.write_text(html, encoding="utf-8")
    plain.write_text(re.sub(r"<script>.*?</script>", "", html, flags=re.S), encoding="utf-8")

    def content_height(path, name):
        image = _screenshot_pixels(tmp_path, f"file://{path}", name, "1200,5000")
        rows = np.flatnonzero((image < 128).any(axis=1))
        return rows.max()

    assert content_height(plain, "plain") > 1.5 * content_height(scripted, "scripted")


def test_cli_writes_the_page(tmp_path, capsys):
    from fastprop.cli import main

    path = tmp_path / "step.html"
    assert main(["explain", "--example", "one-input-sigmoid-bce", "--html", str(path)]) == 0
    assert f"wrote the page to {path}" in capsys.readouterr().out
    assert "1.02174" in path.read_text(encoding="utf-8")
    status = main(["explain", "--example", "one-input-sigmoid-bce", "--optimizer", "adam",
                   "--steps", "2", "--html", str(path), "--format", "json"])
    assert status == 0 and path.read_text(encoding="utf-8").count('class="step"') == 2
    out, err = capsys.readouterr()
    assert json.loads(out)["n_steps"] == 2 and "wrote the page" in err
    missing = tmp_path / "no-such-folder" / "step.html"
    assert main(["explain", "--example", "one-input-sigmoid-bce", "--html",
                 str(missing)]) == 2
    err = capsys.readouterr().err
    assert "--html" in err and "does not exist" in err and not missing.parent.exists()
