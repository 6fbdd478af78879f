// netal service pages: keyboard shortcuts on the annotator page, live numbers on the dashboard.
// Plain JavaScript, no library, nothing loaded from elsewhere.
"use strict";

(function () {
  var page = document.body.getAttribute("data-page");
  var sent = false;

  function send(form) {
    if (!form || sent) { return; }
    if (form.requestSubmit) {
      if (!form.checkValidity()) { form.reportValidity(); return; }
      sent = true;
      form.requestSubmit();
    } else {
      sent = true;
      form.submit();
    }
  }

  function typing(target) {
    return target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA");
  }

  if (page === "annotate") {
    var value = document.getElementById("value");
    if (value) { value.focus(); }
    var lease = document.getElementById("lease");
    var left = document.getElementById("lease-left");
    if (lease && left) {
      var until = Date.parse(lease.getAttribute("datetime"));
      var tick = function () {
        var seconds = Math.round((until - Date.now()) / 1000);
        if (seconds <= 0) {
          left.textContent = "(expired: skip it or get a new task)";
          return;
        }
        var minutes = Math.floor(seconds / 60);
        left.textContent = "(" + minutes + ":" + String(seconds % 60).padStart(2, "0") + " left)";
        window.setTimeout(tick, 1000);
      };
      tick();
    }
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) { return; }
      var key = event.key;
      var answer = document.getElementById("answer-form");
      if (key === "Enter") {
        if (answer) {
          if (answer.contains(event.target)) { return; }  // the browser submits it
          event.preventDefault();
          send(answer);
        } else if (document.getElementById("next-form") && event.target.tagName !== "BUTTON") {
          event.preventDefault();
          send(document.getElementById("next-form"));
        }
        return;
      }
      // s, v and n are no part of a number, so they act even while the value field has focus
      var lower = key.length === 1 ? key.toLowerCase() : "";
      var forms = { s: "skip-form", v: "accept-form", n: "next-form" };
      if (lower in forms) {
        var form = document.getElementById(forms[lower]);
        if (form && (!typing(event.target) || event.target.id === "value")) {
          event.preventDefault();
          send(form);
        }
      }
    });
  }

  if (page === "dashboard") {
    var live = document.getElementById("live");
    var every = live ? parseInt(live.getAttribute("data-refresh"), 10) || 3000 : 0;
    var refresh = function () {
      fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (!response.ok || response.redirected) { throw new Error("session ended"); }
          return response.text();
        })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("live");
          if (fresh) {
            live.innerHTML = fresh.innerHTML;
            live.setAttribute("data-updated", String(Date.now()));
          }
          window.setTimeout(refresh, every);
        })
        .catch(function () { live.setAttribute("data-stopped", "1"); });
    };
    if (live) { window.setTimeout(refresh, every); }
  }
})();
