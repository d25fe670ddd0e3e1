/* beholder flame graph: draws the embedded, pre-pruned call tree on a canvas. */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("beholder-data").textContent);
  var DIFF = D.mode === "diff";
  var ROW = 18, MIN_PX = 0.5, TEXT_PX = 26, MATCH = "#d500f9";
  var FONT = "12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace";

  // Nodes arrive flat, pre-order, as [key, total, self, depth] quadruples: parents and
  // x offsets are rebuilt here, so the file carries no nesting or coordinates.
  var flat = D.nodes, N = flat.length / 4;
  var KEY = new Int32Array(N), VAL = new Float64Array(N), SELF = new Float64Array(N);
  var DEPTH = new Int32Array(N), PARENT = new Int32Array(N), END = new Int32Array(N);
  var X = new Float64Array(N), next = new Float64Array(N), path = [], maxDepth = 0, i;
  for (i = 0; i < N; i++) {
    var d = flat[4 * i + 3];
    KEY[i] = flat[4 * i]; VAL[i] = flat[4 * i + 1]; SELF[i] = flat[4 * i + 2]; DEPTH[i] = d;
    if (d === 0) { PARENT[i] = -1; X[i] = 0; } else {
      var p = path[d - 1];
      PARENT[i] = p; X[i] = next[p]; next[p] += VAL[i];
    }
    next[i] = X[i]; path[d] = i; END[i] = i + 1;
    if (d > maxDepth) maxDepth = d;
  }
  // END[i] = one past the last node of i's subtree: lets drawing skip narrow subtrees.
  for (i = N - 1; i > 0; i--) if (END[i] > END[PARENT[i]]) END[PARENT[i]] = END[i];

  var names = D.names, kindOf = D.kinds, kindNames = D.kindNames;
  var TOTAL = N ? VAL[0] : 0;

  function hash(s) {
    var h = 2166136261;
    for (var j = 0; j < s.length; j++) { h ^= s.charCodeAt(j); h = Math.imul(h, 16777619); }
    return (h >>> 0) / 4294967295;
  }
  // Hue families per frame kind, so kernel/user/JIT are told apart at a glance; the
  // hash keeps one function's colour stable across renders.
  var KIND_STYLE = {
    user: function (t) { return "hsl(" + (8 + 42 * t) + ",85%," + (58 + 8 * t) + "%)"; },
    kernel: function (t) { return "hsl(" + (195 + 30 * t) + ",60%," + (62 + 8 * t) + "%)"; },
    jit: function (t) { return "hsl(" + (88 + 45 * t) + ",50%," + (52 + 10 * t) + "%)"; },
    unknown: function (t) { return "hsl(0,0%," + (62 + 14 * t) + "%)"; },
    root: function () { return "#c8ccd0"; }
  };
  var nameColor = [];
  function colorOf(n) {
    if (DIFF) return D.colors[n];
    var k = KEY[n], c = nameColor[k];
    if (c === undefined) {
      var style = KIND_STYLE[kindNames[kindOf[k]]] || KIND_STYLE.unknown;
      c = nameColor[k] = style(hash(names[k]));
    }
    return c;
  }

  var canvas = document.getElementById("flame"), ctx = canvas.getContext("2d");
  var tip = document.getElementById("tooltip"), input = document.getElementById("search");
  var resetBtn = document.getElementById("reset"), matchedEl = document.getElementById("matched");
  var zoomedEl = document.getElementById("zoomed");
  var zoom = 0, matches = null, charW = 7;

  function fmt(n) { return Math.round(n).toLocaleString("en-US"); }
  function pct(v, t) { return t > 0 ? (100 * v / t).toFixed(2) + "%" : "-"; }

  function draw() {
    var W = Math.max(canvas.parentNode.clientWidth - 28, 200), H = (maxDepth + 1) * ROW;
    var dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(W * dpr); canvas.height = Math.round(H * dpr);
    canvas.style.width = W + "px"; canvas.style.height = H + "px";
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    ctx.font = FONT; ctx.textBaseline = "middle";
    charW = ctx.measureText("M").width || 7;
    if (!N) return;
    var x0 = X[zoom], scale = W / VAL[zoom], zd = DEPTH[zoom], drawn = 0, j = 0;
    while (j < N) {
      var px = (X[j] - x0) * scale, pw = VAL[j] * scale;
      // Children sit inside their parent: a subtree that is off-screen or thinner
      // than half a pixel is skipped whole.
      if (pw < MIN_PX || px >= W || px + pw <= 0) { j = END[j]; continue; }
      if (px < 0) { pw += px; px = 0; }
      if (px + pw > W) pw = W - px;
      var y = DEPTH[j] * ROW;
      ctx.globalAlpha = DEPTH[j] < zd ? 0.5 : 1;  // ancestors of the zoomed frame
      ctx.fillStyle = matches && matches[KEY[j]] ? MATCH : colorOf(j);
      ctx.fillRect(px, y, Math.max(pw - 0.5, 0.5), ROW - 1);
      if (pw > TEXT_PX) {
        var room = Math.floor((pw - 6) / charW), label = names[KEY[j]];
        if (label.length > room) label = room > 2 ? label.slice(0, room - 1) + "\u2026" : "";
        if (label) { ctx.fillStyle = "#111"; ctx.fillText(label, px + 3, y + ROW / 2); }
      }
      drawn++; j++;
    }
    ctx.globalAlpha = 1;
    document.body.setAttribute("data-drawn", String(drawn));
  }

  function hit(mx, my) {
    if (!N) return -1;
    var W = canvas.clientWidth || 1, d = Math.floor(my / ROW);
    var pos = X[zoom] + (mx / W) * VAL[zoom];
    if (d < 0 || d > maxDepth || pos < 0 || pos >= VAL[0]) return -1;
    var n = 0;
    while (DEPTH[n] < d) {
      var c = n + 1, found = -1;
      while (c < END[n]) {
        if (pos >= X[c] && pos < X[c] + VAL[c]) { found = c; break; }
        c = END[c];
      }
      if (found < 0) return -1;  // in a parent's self (or pruned) part
      n = found;
    }
    return VAL[n] * W / VAL[zoom] < MIN_PX ? -1 : n;
  }

  function setZoom(n) {
    zoom = n;
    resetBtn.disabled = n === 0;
    zoomedEl.textContent = n ? "Zoomed: " + names[KEY[n]] + " (" + pct(VAL[n], TOTAL) + ")" : "";
    document.body.setAttribute("data-zoom", n ? names[KEY[n]] : "");
    draw();
  }

  function search(q) {
    if (!q) {
      matches = null; matchedEl.textContent = "";
      document.body.removeAttribute("data-matched"); draw(); return;
    }
    var re;
    try { re = new RegExp(q, "i"); } catch (e) {
      re = new RegExp(q.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "i");
    }
    matches = new Uint8Array(names.length);
    for (var k = 0; k < names.length; k++) if (re.test(names[k])) matches[k] = 1;
    if (N) matches[KEY[0]] = 0;  // the synthetic root would match everything
    // Sum outermost matches only, so recursion is not counted twice.
    var sum = 0, n = 0;
    while (n < N) { if (matches[KEY[n]]) { sum += VAL[n]; n = END[n]; } else n++; }
    matchedEl.textContent = "Matched: " + pct(sum, TOTAL) + " (" + fmt(sum) + " samples)";
    document.body.setAttribute("data-matched", TOTAL ? (100 * sum / TOTAL).toFixed(2) : "0");
    draw();
  }

  function line(parent, text, cls) {
    var el = document.createElement("div");
    el.textContent = text;
    if (cls) el.className = cls;
    parent.appendChild(el);
  }

  function showTip(n, ev) {
    tip.textContent = "";
    line(tip, names[KEY[n]], "name");
    var kind = kindNames[kindOf[KEY[n]]];
    line(tip, kind + " \u00b7 " + fmt(VAL[n]) + " samples \u00b7 " + pct(VAL[n], TOTAL) +
      (zoom ? " of total, " + pct(VAL[n], VAL[zoom]) + " of zoom" : ""));
    line(tip, "self: " + fmt(SELF[n]) + " (" + pct(SELF[n], TOTAL) + ")");
    if (DIFF) {
      var delta = D.delta[n] * 100;
      line(tip, "A: " + pct(D.a[n], D.aTotal) + "  \u2192  B: " + pct(VAL[n], TOTAL) +
        "  (\u0394 " + (delta >= 0 ? "+" : "") + delta.toFixed(2) + " pp)",
        delta > 0 ? "grow" : delta < 0 ? "shrink" : "");
    }
    tip.style.display = "block";
    var x = ev.clientX + 14, y = ev.clientY + 14, r = tip.getBoundingClientRect();
    if (x + r.width > window.innerWidth) x = Math.max(ev.clientX - r.width - 10, 0);
    if (y + r.height > window.innerHeight) y = Math.max(ev.clientY - r.height - 10, 0);
    tip.style.left = x + "px"; tip.style.top = y + "px";
  }

  function at(ev) {
    var r = canvas.getBoundingClientRect();
    return hit(ev.clientX - r.left, ev.clientY - r.top);
  }
  canvas.addEventListener("mousemove", function (ev) {
    var n = at(ev);
    if (n < 0) { tip.style.display = "none"; return; }
    showTip(n, ev);
  });
  canvas.addEventListener("mouseleave", function () { tip.style.display = "none"; });
  canvas.addEventListener("click", function (ev) {
    var n = at(ev);
    if (n >= 0 && n !== zoom) setZoom(n);
  });
  resetBtn.addEventListener("click", function () { setZoom(0); });
  input.addEventListener("input", function () { search(input.value); });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "/" && document.activeElement !== input) { ev.preventDefault(); input.focus(); }
    else if (ev.key === "Escape") { input.value = ""; search(""); setZoom(0); }
  });
  var pending = false;
  window.addEventListener("resize", function () {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () { pending = false; draw(); });
  });

  function header() {
    document.getElementById("summary").textContent = D.summary;
    var info = document.getElementById("info");
    D.info.forEach(function (kv) {
      var div = document.createElement("div"), dt = document.createElement("dt");
      var dd = document.createElement("dd");
      dt.textContent = kv[0]; dd.textContent = kv[1]; div.title = kv[0] + ": " + kv[1];
      div.appendChild(dt); div.appendChild(dd); info.appendChild(div);
    });
    var legend = document.getElementById("legend");
    var items = DIFF ? [["grew", "hsl(0,85%,62%)"], ["shrank", "hsl(220,85%,62%)"], ["same", "#e6e6e6"]]
      : ["user", "kernel", "jit", "unknown"].map(function (k) { return [k, KIND_STYLE[k](0.5)]; });
    items.push(["search match", MATCH]);
    items.forEach(function (it) {
      var span = document.createElement("span"), sw = document.createElement("span");
      span.className = "legend"; sw.className = "swatch"; sw.style.background = it[1];
      span.appendChild(sw); span.appendChild(document.createTextNode(it[0]));
      legend.appendChild(span);
    });
  }

  header();
  setZoom(0);
  document.body.setAttribute("data-nodes", String(N));
  // A small hook for tests and for people driving the page from the console.
  window.beholderFlame = {
    zoomTo: function (name) {
      for (var n = 0; n < N; n++) if (names[KEY[n]] === name) { setZoom(n); return n; }
      return -1;
    },
    search: function (q) { input.value = q; search(q); },
    hit: hit,
    reset: function () { setZoom(0); }
  };
})();
