// ShowClear screens: live updates, the connection state, keyboard-wedge scanners, camera QR
// scanning, answers brought into view. No build step.
(function () {
  "use strict";
  var body = document.body;

  // A scan typed the moment the page appears must not lose its first character: focus the
  // field marked autofocus now, and send any key pressed while nothing has the focus to it.
  function autofocusTarget() {
    var af = document.querySelector("[autofocus]");
    return af && !af.disabled && af.offsetParent !== null ? af : null;
  }
  var first = autofocusTarget();
  if (first && document.activeElement !== first) first.focus();
  document.addEventListener("keydown", function (e) {
    if (document.activeElement && document.activeElement !== body) return;
    if (e.key.length !== 1 || e.ctrlKey || e.altKey || e.metaKey) return;
    var af = autofocusTarget();
    if (af) af.focus();  // the key's character goes to the field that now has the focus
  }, true);

  // -- connection state ---------------------------------------------------------------------
  // Online while the live stream is open or the server answers /health. Offline: the pinned
  // bar says so, every action button is switched off, and nothing is kept to send later (a
  // handover is decided live, with the people in front of the armorer).
  var conn = document.getElementById("conn");
  var bar = document.getElementById("offline");
  var online = true;
  var OFFLINE_TITLE = "Offline: the server cannot be reached. Nothing is sent or kept for later.";

  function actionButtons() {
    return document.querySelectorAll(
      "form[hx-post] button[type=submit], form[method=post] button[type=submit], #stop-button");
  }
  function setOnline(on) {
    if (!conn || on === online) return;
    online = on;
    body.classList.toggle("offline", !on);
    conn.textContent = on ? "Online" : "OFFLINE";
    conn.className = "conn " + (on ? "on" : "off");
    if (bar) bar.hidden = on;
    actionButtons().forEach(function (b) {
      if (!on && !b.disabled) {
        b.disabled = true;
        b.dataset.offline = "1";
        b.title = OFFLINE_TITLE;
      } else if (on && b.dataset.offline) {
        b.disabled = false;
        delete b.dataset.offline;
        b.removeAttribute("title");
      }
    });
    if (on) htmx.trigger(body, "sc-changed");  // catch up with what happened meanwhile
  }

  var checking = false;
  function check() {
    if (checking || !conn) return;
    checking = true;
    var ctl = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () { if (ctl) ctl.abort(); }, 4000);
    fetch("/health", { cache: "no-store", signal: ctl ? ctl.signal : undefined })
      .then(function (r) { setOnline(r.ok); })
      .catch(function () { setOnline(false); })
      .then(function () { clearTimeout(timer); checking = false; });
  }

  // Live: every commit on the production arrives as an SSE "change"; fragments marked
  // hx-trigger="sc-changed from:body" re-fetch themselves.
  var stream = body.dataset.stream;
  var es = null;
  function connect() {
    if (!stream || !window.EventSource) return;
    es = new EventSource(stream);
    es.addEventListener("change", function () { htmx.trigger(body, "sc-changed"); });
    es.addEventListener("open", function () { setOnline(true); });
    es.addEventListener("error", function () {
      check();
      if (es.readyState === EventSource.CLOSED) {  // not retried by the browser: start again
        es = null;
        setTimeout(connect, 2000);
      }
    });
  }
  if (conn) {
    connect();
    setInterval(function () { if (!online || !es || es.readyState !== 1) check(); }, 2000);
    setInterval(check, 15000);  // a network gone quiet says nothing on the stream
  }

  // -- keyboard-wedge scanners ----------------------------------------------------------------
  // Scanners type the code and press Enter. In a field marked data-next, Enter moves on instead
  // of submitting, so scan firearm, scan performer, then type the PINs. In a form marked
  // data-scan, Enter moves to the next empty field the command needs and submits only once
  // none is left, so a scan never sends a half-filled form.
  function fillable(form) {
    return Array.prototype.filter.call(form.elements, function (x) {
      var typed = x.tagName === "INPUT" && /^(text|number|date|password)$/.test(x.type);
      return (typed || x.tagName === "SELECT") && !x.disabled && x.offsetParent !== null;
    });
  }
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (e.key !== "Enter" || !t || !t.dataset || t.tagName !== "INPUT") return;
    if (t.dataset.next) {
      e.preventDefault();
      t.dataset.scanned = t.value;
      t.dispatchEvent(new Event("scanned", { bubbles: true }));
      var next = document.getElementById(t.dataset.next);
      if (next) next.focus();
      return;
    }
    var form = t.form;
    if (!form || !form.hasAttribute("data-scan") || t.type === "checkbox") return;
    e.preventDefault();
    var fields = fillable(form);
    var here = fields.indexOf(t);
    var empty = fields.filter(function (x) {
      return x.hasAttribute("data-required") && !String(x.value).trim();
    });
    if (!empty.length) {
      if (form.requestSubmit) form.requestSubmit(); else htmx.trigger(form, "submit");
      return;
    }
    var after = empty.filter(function (x) { return fields.indexOf(x) > here; });
    (after[0] || empty[0]).focus();
  });

  // A scan already announced this value. The change event the browser fires when focus moves
  // on would fetch the same preview again and wipe the PINs typed meanwhile, so it stops here.
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t && t.dataset && t.dataset.next && t.dataset.scanned === t.value) e.stopPropagation();
  }, true);

  // Buttons that open a dialog (STOP WORK). No inline handlers anywhere: the pages' policy
  // runs only this file and htmx.
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("[data-dialog]");
    if (!b) return;
    var dialog = document.getElementById(b.dataset.dialog);
    if (dialog && dialog.showModal) dialog.showModal();
  });

  // Camera QR: fills the field named by data-target, as if scanned.
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("[data-camera]");
    if (!b) return;
    e.preventDefault();
    var target = document.getElementById(b.dataset.camera);
    var box = document.getElementById("qr-reader");
    if (!window.Html5Qrcode || !target || !box) return;
    box.hidden = false;
    var scanner = new Html5Qrcode("qr-reader");
    scanner.start({ facingMode: "environment" }, { fps: 10, qrbox: 220 }, function (text) {
      scanner.stop().then(function () { box.hidden = true; });
      target.value = text;
      target.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    }).catch(function (err) { box.hidden = true; alert("Camera not available: " + err); });
  });

  // -- answers ----------------------------------------------------------------------------------
  function formOf(e) {
    var elt = e.detail.elt;
    return elt && elt.closest ? elt.closest("form") : null;
  }
  function hadPins(form) {
    return !!form && Array.prototype.some.call(
      form.querySelectorAll("input[type=password]"), function (i) { return i.value !== ""; });
  }

  // The answer appears where the person is looking: scrolled just under the pinned bars (in a
  // dialog, within the dialog) and focused; it stays until the next tap.
  function reveal(el) {
    if (el.closest("dialog")) {
      el.scrollIntoView({ block: "nearest" });
    } else {
      var pinned = document.getElementById("pinned");
      var top = pinned ? pinned.getBoundingClientRect().bottom : 0;
      var r = el.getBoundingClientRect();
      if (r.top < top + 4 || r.bottom > window.innerHeight) window.scrollBy(0, r.top - top - 8);
    }
    if (el.focus) el.focus({ preventScroll: true });
  }
  body.addEventListener("htmx:afterSwap", function (e) {
    var result = e.detail.target && e.detail.target.querySelector &&
      e.detail.target.querySelector(".result");
    if (result) reveal(result);
  });

  // Offline or cut off: the tap did not reach the server. Said in the form's answer box, with
  // what became of the PINs; nothing is retried behind the person's back.
  function notSent(form, target, why) {
    if (!target) return;
    var box = document.createElement("div");
    box.className = "result offline";
    box.setAttribute("role", "alert");
    box.tabIndex = -1;
    var head = document.createElement("div");
    head.className = "head";
    head.textContent = "NOT SENT: OFFLINE";
    var text = document.createElement("div");
    text.textContent = why + " Nothing was recorded and nothing will be sent later: " +
      "do it again once the screen shows Online." +
      (form && form.dataset.hadPins ? " The PINs were cleared: each witness types theirs again." : "");
    box.appendChild(head);
    box.appendChild(text);
    target.innerHTML = "";
    target.appendChild(box);
    reveal(box);
  }
  function targetOf(e) {
    var elt = e.detail.elt;
    var sel = elt && elt.getAttribute && elt.getAttribute("hx-target");
    return sel ? document.querySelector(sel) : e.detail.target;
  }
  body.addEventListener("htmx:beforeRequest", function (e) {
    if (e.detail.requestConfig.verb === "get") return;
    var form = formOf(e);
    if (form) form.dataset.hadPins = hadPins(form) ? "1" : "";
    if (online) return;
    e.preventDefault();
    notSent(form, targetOf(e), "The server cannot be reached.");
    if (form) form.querySelectorAll("input[type=password]").forEach(function (i) { i.value = ""; });
  });
  body.addEventListener("htmx:sendError", function (e) {
    setOnline(false);
    if (e.detail.requestConfig.verb === "get") return;
    notSent(formOf(e), targetOf(e), "The server did not answer.");
  });

  // Fresh command IDs after each htmx post: a repeat tap of the same form is one command,
  // a new use of the form is a new one.
  body.addEventListener("htmx:afterRequest", function (e) {
    var form = formOf(e);
    if (!form || !form.elements.command_id) return;
    if (e.detail.successful || e.detail.xhr.status === 409 || e.detail.xhr.status === 403) {
      form.elements.command_id.value = (crypto.randomUUID ? crypto.randomUUID()
        : String(Date.now()) + Math.random()).replace(/-/g, "");
    }
  });
  // PINs never linger on the shared tablet (the answer says they were cleared); after a
  // handover the screen is ready for the next.
  body.addEventListener("htmx:afterRequest", function (e) {
    var form = formOf(e);
    if (!form || e.detail.requestConfig.verb !== "post") return;
    form.querySelectorAll("input[type=password]").forEach(function (i) { i.value = ""; });
    if (form.id === "handover" && e.detail.xhr.status === 200) {
      form.reset();
      document.getElementById("handover-preview").innerHTML = "";
      document.getElementById("ho-firearm").focus();
    }
  });
  // An answer is read where it appears: a result box swapped in is brought into view.
  body.addEventListener("htmx:afterSwap", function (e) {
    var t = e.detail.target, r = t && t.querySelector && t.querySelector(".result");
    if (r && r.scrollIntoView) r.scrollIntoView({ block: "nearest" });
  });
  // htmx 2 does not swap error responses by default; ours carry the red refusal screen.
  body.addEventListener("htmx:beforeSwap", function (e) {
    var s = e.detail.xhr.status;
    if (s === 403 || s === 409 || s === 422) { e.detail.shouldSwap = true; e.detail.isError = false; }
  });

  // Tables stack on a phone (app.css): each cell is named by its column's header.
  function labelCells(root) {
    (root.querySelectorAll ? root : document).querySelectorAll("table").forEach(function (t) {
      var heads = Array.prototype.map.call(t.querySelectorAll("thead th"),
        function (th) { return th.textContent.trim(); });
      if (!heads.length) return;
      t.querySelectorAll("tbody tr").forEach(function (tr) {
        Array.prototype.forEach.call(tr.children, function (td, i) {
          if (heads[i] && td.colSpan === 1) td.dataset.label = heads[i];
        });
      });
    });
  }
  labelCells(document);
  body.addEventListener("htmx:afterSettle", function (e) { labelCells(e.detail.elt || document); });
})();
