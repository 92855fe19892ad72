"""A trace as one self-contained web page: the network drawn as the worked examples draw
it, and the step revealed stage by stage.

``Trace.to_html`` and ``fastprop explain --html PATH`` call ``page``. The page needs
nothing but itself: the style, the script and the drawing (SVG) are inline, it loads no
fonts, scripts or images and makes no network request. Its stages, per step: the forward
pass, the loss, then from the output back each layer's δ and the gradients of the weights
into it, then the step itself (the new weights, or the optimizer's rule). The buttons,
the slider or the arrow keys move through them; every number in the drawing shows, on
hover, the line that computed it with the numbers it came from. Without JavaScript every
stage is shown at once, as text.

``page.html#stage=4`` opens at stage 4 (counted from 0); ``#text`` also writes the page's
rendered text into an element ``#rendered`` (what a reader sees, for tests and copying).

>>> import fastprop as fp
>>> ex = fp.examples.get("one-input-sigmoid-bce")
>>> html = ex.network().trace(ex.x, ex.y, ex.lr).to_html()
>>> html.startswith("<!DOCTYPE html>"), "http" in html.split("<body")[1].lower()
(True, False)
"""

from __future__ import annotations

from html import escape

from ._names import edge_name, span
from .trace_text import _Text, check_digits

#: Networks with at most this many nodes and parameters are drawn and traced in full
#: (as ``Trace.format``'s "auto"); larger ones get the text summary only.
MAX_NODES, MAX_PARAMS = 26, 64


def page(trace, digits: int = 5) -> str:
    """The HTML page (a string) of a ``Trace`` or a ``MultiStepTrace``."""
    digits = check_digits(digits)
    steps = trace.steps
    first = steps[0]
    title = f"{len(steps)} training steps" if len(steps) > 1 else "One training step"
    body, stage = [], 0
    for step in steps:
        html, stage = _step(step, len(steps), digits, stage)
        body.append(html)
    controls = ('<div class="controls"><button id="prev" type="button">◀ back</button>'
                f'<input id="slider" type="range" min="0" max="{stage - 1}" value="0" '
                'aria-label="stage"><button id="next" type="button">next ▶</button>'
                '<span id="label"></span></div>')
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)} of {escape(first.description)}</title>"
            f"<style>{_STYLE}</style></head>\n<body>\n<h1>{escape(title)}</h1>\n"
            f"<p class=\"what\">{escape(first.description)}, computed by fastprop and not "
            f"applied. Hover a number in the drawing for the formula that gives it.</p>\n"
            f"{controls}\n{''.join(body)}\n<script>{_SCRIPT}</script>\n</body></html>\n")


def _step(t, n_steps: int, digits: int, stage: int) -> tuple[str, int]:
    """One step's section (its drawing and its stages), and the next stage's number."""
    w = _Text(t, digits)
    w.header()
    head = list(w.lines)
    full = sum(t.arch.sizes) <= MAX_NODES and t.arch.n_params <= MAX_PARAMS
    if full:
        w.forward()
        w.loss()
        w.backward()
        stages = _stages(t, w)
    else:
        w.summary()
        stages = [("Summary (every number: Trace.to_markdown)", w.lines[len(head) + 1:])]
    first, sections = stage, []
    for title, lines in stages:
        sections.append(f'<section class="stage" data-i="{stage}" data-title="'
                        f'{escape(title, quote=True)}"><h3>{escape(title)}</h3><pre>'
                        f'{escape(chr(10).join(lines))}</pre></section>')
        stage += 1
    label = f"Step {t.step} of {n_steps}" if n_steps > 1 else "The network and the step"
    starts = {title: first + k for k, (title, _) in enumerate(stages)}
    drawing = _svg(t, w, starts, stage) if full else ""
    return (f'<div class="step" data-first="{first}" data-last="{stage - 1}"><h2>'
            f'{escape(label)}</h2><pre class="head">{escape(chr(10).join(head))}</pre>'
            f'{drawing}{"".join(sections)}</div>\n'), stage


def _stages(t, w) -> list[tuple[str, list[str]]]:
    """(title, lines) of each stage, in order: forward, loss, per layer from the output
    δ then gradients, the step."""
    names, L = t.names, t.arch.n_layers
    by_key: dict[tuple, list[str]] = {}
    for keys, line in w.keyed:
        for key in keys:
            by_key.setdefault(key, []).append(line)

    def lines(kinds, nodes):  # each line once, in the order of the text
        found = [ln for n in nodes for kind in kinds for ln in by_key.get((kind, n), [])]
        return list(dict.fromkeys(found))

    edges_into = {k: [edge_name(s, d) for d in names[k] for s in names[k - 1]]
                  for k in range(1, L + 1)}
    out = [("Forward pass", lines(("a",), names[0]) +
            [ln for k in range(1, L + 1) for ln in lines(("z", "a"), names[k])]),
           ("Loss", by_key.get(("loss",), []))]
    for k in range(L, 0, -1):
        out.append((f"δ of {span(names[k])}", lines(("dloss_da", "fprime", "delta"),
                                                   names[k])))
        out.append((f"Gradients into {span(names[k])}",
                    lines(("grad",), edges_into[k]) + lines(("grad_bias",), names[k])))
    rule = "w − η·∂L/∂w" if t.optimizer is None else f"{type(t.optimizer).__name__}'s rule"
    out.append((f"The step: new weights ({rule})",
                [ln for k in range(1, L + 1) for ln in lines(("new",), edges_into[k]) +
                 lines(("new_bias",), names[k])]))
    return out


def _svg(t, w, at: dict, end: int) -> str:
    """The network drawn: a column of nodes per layer, edges named by their nodes, the
    numbers of each stage as text that the script shows from that stage on."""
    names, L, f = t.names, t.arch.n_layers, w.f
    tall = max(len(layer) for layer in names)
    width, height = 200 + 300 * L, 135 * tall + 110
    pos = {n: (100 + 300 * k, 90 + 135 * (j + (tall - len(layer)) / 2))
           for k, layer in enumerate(names) for j, n in enumerate(layer)}
    tips = {}
    for keys, line in w.keyed:
        for key in keys:
            tips.setdefault(key, []).append(line)
    order = list(at)
    first = forward = at[order[0]]
    loss_at, update = at[order[1]], at[order[-1]]
    out = [f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
           f'role="img" aria-label="the network, nodes {escape(span(sum(names, [])))}">']

    def value(x, y, text, tip_keys, start, until=None, cls=""):
        tip = tip_keys if isinstance(tip_keys, str) else \
            "\n".join(line for key in tip_keys for line in tips.get(key, []))
        superseded = " x" if until is not None else ""
        out.append(f'<text class="v{superseded} {cls}" x="{x:.0f}" y="{y:.0f}" '
                   f'data-s="{start}" data-u="{end if until is None else until}">'
                   f'{escape(text)}<title>{escape(tip)}</title></text>')

    for k in range(1, L + 1):
        grad_at = at[f"Gradients into {span(names[k])}"]
        for j, d in enumerate(names[k]):
            for i, s in enumerate(names[k - 1]):
                (x0, y0), (x1, y1) = pos[s], pos[d]
                e = edge_name(s, d)
                out.append(f'<line x1="{x0 + 26}" y1="{y0:.0f}" x2="{x1 - 26}" '
                           f'y2="{y1:.0f}"/>')
                # labels along the edge at a place that depends on its source, so that
                # edges that cross are labelled apart
                at_t = 0.25 + 0.5 * i / max(1, len(names[k - 1]) - 1)
                lx, ly = x0 + 26 + at_t * (x1 - x0 - 52), y0 + at_t * (y1 - y0) - 5
                value(lx, ly, f"{e} {f(t.weights[k - 1][i, j])}",
                      f"{e} = {f(t.weights[k - 1][i, j])}: the weight from {s} to {d} before "
                      "the step", first, grad_at, "w")
                value(lx, ly, f"{e} ∂ {f(t.grad_weights[k - 1][i, j])}", [("grad", e)],
                      grad_at, update, "g")
                value(lx, ly, f"{e} → {f(t.new_weights[k - 1][i, j])}", [("new", e)],
                      update, None, "n")
    for k, layer in enumerate(names):
        delta_at = at.get(f"δ of {span(layer)}")
        for j, n in enumerate(layer):
            x, y = pos[n]
            out.append(f'<circle cx="{x}" cy="{y:.0f}" r="26"/><text class="name" x="{x}" '
                       f'y="{y + 6:.0f}">{n}</text>')
            a = t.x[:, j] if k == 0 else t.a[k - 1][:, j]
            value(x, y + 44, w.v(a), [("z", n), ("a", n)], forward, None, "a")
            if delta_at is not None:
                value(x, y - 34, f"δ {w.v(t.deltas[k - 1][:, j])}",
                      [("dloss_da", n), ("fprime", n), ("delta", n)], delta_at, None, "d")
            if k and t.biases:
                value(x, y + 62, f"b {f(t.biases[k - 1][j])}",
                      f"b_{n} = {f(t.biases[k - 1][j])}: {n}'s bias before the step", first,
                      update, "b")
                value(x, y + 62, f"b → {f(t.new_biases[k - 1][j])}", [("new_bias", n)],
                      update, None, "b")
    x, y = pos[names[-1][-1]]
    value(x, y + 66 + 18 * bool(t.biases), f"L = {f(t.loss)}", [("loss",)], loss_at, None,
          "loss")
    out.append("</svg>")
    return "".join(out)


_STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5em auto;
max-width:1100px;padding:0 1em;color:#1d1d1f;background:#fff}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.15em;margin:1.2em 0 .3em}
h3{font-size:1em;margin:.8em 0 .2em}.what{color:#555}
pre{font:13px/1.5 ui-monospace,"DejaVu Sans Mono",Menlo,monospace;white-space:pre-wrap;
margin:.2em 0;background:#f6f7f9;padding:.5em .8em;border-radius:6px}
pre.head{background:none;padding:0}
.controls{position:sticky;top:0;background:#fff;padding:.5em 0;display:flex;gap:.6em;
align-items:center;border-bottom:1px solid #ddd;z-index:1}
.controls input{flex:0 0 300px}#label{font-weight:600}
button{font:inherit;padding:.2em .8em}
svg{display:block;margin:.5em 0;max-width:100%;height:auto}
svg line{stroke:#9aa3ad;stroke-width:1.5}
svg circle{fill:#eaf2fb;stroke:#2b6cb0;stroke-width:2}
svg text{font:14px ui-monospace,"DejaVu Sans Mono",monospace;text-anchor:middle}
svg text.name{font-weight:700;font-size:17px}
svg text.g{fill:#b7410e}svg text.n{fill:#1a7f37;font-weight:600}
svg text.d{fill:#6b2fb3}svg text.loss{fill:#b7410e;font-weight:700}
svg text.w,svg text.g,svg text.n{font-size:12px;paint-order:stroke;stroke:#fff;
stroke-width:4px}
svg text.v{cursor:help}
.stage.now{border-left:4px solid #2b6cb0;padding-left:.6em}
html:not(.js) .controls{display:none}html:not(.js) svg text.x{display:none}
.js .stage,.js .step{display:none}.js .stage.on,.js .step.on{display:block}
.js svg text.v{display:none}.js svg text.v.on{display:inline}
"""

_SCRIPT = """
(function () {
  document.documentElement.classList.add("js");
  var stages = Array.prototype.slice.call(document.querySelectorAll(".stage"));
  var steps = document.querySelectorAll(".step"), values = document.querySelectorAll("text.v");
  var slider = document.getElementById("slider"), label = document.getElementById("label");
  var current = 0;
  function show(i) {
    current = Math.max(0, Math.min(stages.length - 1, i));
    var step = null;
    steps.forEach(function (s) {
      var on = +s.dataset.first <= current && current <= +s.dataset.last;
      s.classList.toggle("on", on);
      if (on) { step = s; }
    });
    stages.forEach(function (s, k) {
      s.classList.toggle("on", step.contains(s) && k <= current);
      s.classList.toggle("now", k === current);
    });
    values.forEach(function (v) {
      v.classList.toggle("on", +v.dataset.s <= current && current < +v.dataset.u);
    });
    slider.value = current;
    label.textContent = "stage " + (current + 1) + " of " + stages.length + ": " +
      (steps.length > 1 ? step.querySelector("h2").textContent + " · " : "") +
      stages[current].dataset.title;
  }
  document.getElementById("prev").onclick = function () { show(current - 1); };
  document.getElementById("next").onclick = function () { show(current + 1); };
  slider.oninput = function () { show(+slider.value); };
  document.addEventListener("keydown", function (e) {
    // the slider moves itself with the arrow keys; Alt+arrow is the browser's history
    if (e.target === slider || e.altKey || e.ctrlKey || e.metaKey) { return; }
    if (e.key === "ArrowRight") { show(current + 1); }
    if (e.key === "ArrowLeft") { show(current - 1); }
  });
  var m = /stage=(\\d+)/.exec(location.hash);
  show(m ? +m[1] : 0);
  if (/text/.test(location.hash)) {
    var pre = document.createElement("pre");
    pre.id = "rendered";
    pre.textContent = document.body.innerText;
    document.body.appendChild(pre);
  }
})();
"""
