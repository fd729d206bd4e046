// The dashboard's live updates: every few seconds, fetch this page's live part again
// (?partial=1, the same server-rendered HTML) and put it in place. No framework, no build.
// The page works without this file; it only saves the reload.
(function () {
  "use strict";
  var live = document.getElementById("live");
  var note = document.getElementById("live-note");
  if (!live) {
    return;
  }
  var every = Math.max(1, Number(live.getAttribute("data-refresh")) || 3) * 1000;
  var refreshes = 0;
  var busy = false;

  function say(text) {
    if (note) {
      note.textContent = text;
    }
  }

  function refresh() {
    if (busy || document.hidden) {
      return;
    }
    busy = true;
    var url = new URL(window.location.href);
    url.searchParams.set("partial", "1");
    fetch(url.toString(), { credentials: "same-origin", cache: "no-store" })
      .then(function (answer) {
        if (!answer.ok) {
          throw new Error("HTTP " + answer.status);
        }
        return answer.text();
      })
      .then(function (html) {
        live.innerHTML = html; // server-rendered and escaped; the CSP runs no inline script
        refreshes += 1;
        live.setAttribute("data-refreshes", String(refreshes));
        say("live: updated " + new Date().toLocaleTimeString());
      })
      .catch(function (error) {
        say("live updates paused: " + error.message);
      })
      .finally(function () {
        busy = false;
      });
  }

  window.setInterval(refresh, every);
  document.addEventListener("visibilitychange", refresh);

  // The filters apply as soon as they change (the form still works with its button).
  var selects = document.querySelectorAll("form.filters select");
  for (var i = 0; i < selects.length; i += 1) {
    selects[i].addEventListener("change", function (event) {
      event.target.form.submit();
    });
  }
})();
