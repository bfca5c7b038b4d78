// ShowClear screens: live updates, keyboard-wedge scanners, camera QR scanning. No build step.
(function () {
  "use strict";
  var body = document.body;

  // Live: every commit on the production arrives as an SSE "change"; fragments marked
  // hx-trigger="sc-changed from:body" re-fetch themselves.
  var stream = body.dataset.stream;
  if (stream && window.EventSource) {
    var es = new EventSource(stream);
    es.addEventListener("change", function () { htmx.trigger(body, "sc-changed"); });
  }

  // Keyboard-wedge scanners type the code and press Enter. In a field marked data-next, Enter
  // moves on instead of submitting, so scan firearm, scan performer, then type the PINs.
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (e.key !== "Enter" || !t || !t.dataset || !t.dataset.next) return;
    e.preventDefault();
    t.dataset.scanned = t.value;
    t.dispatchEvent(new Event("scanned", { bubbles: true }));
    var next = document.getElementById(t.dataset.next);
    if (next) next.focus();
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

  // Fresh command IDs after each htmx post: a repeat tap of the same form is one command,
  // a new use of the form is a new one.
  body.addEventListener("htmx:afterRequest", function (e) {
    var form = e.detail.elt && e.detail.elt.closest && e.detail.elt.closest("form");
    if (!form || !form.elements.command_id) return;
    if (e.detail.successful || e.detail.xhr.status === 409 || e.detail.xhr.status === 403) {
      form.elements.command_id.value = (crypto.randomUUID ? crypto.randomUUID()
        : String(Date.now()) + Math.random()).replace(/-/g, "");
    }
  });
  // PINs never linger on the shared tablet; after a handover the screen is ready for the next.
  body.addEventListener("htmx:afterRequest", function (e) {
    var form = e.detail.elt && e.detail.elt.closest && e.detail.elt.closest("form");
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
})();
