// The agent workspace's behaviour: live countdowns, queue refresh, presence and
// keyboard shortcuts. Plain browser JavaScript, no libraries.
(function () {
  "use strict";

  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var STORE_IDS = "slaengine.queue.ids";
  var STORE_URL = "slaengine.queue.url";

  // --- countdowns -------------------------------------------------------------

  function duration(seconds) {
    seconds = Math.floor(Math.abs(seconds));
    if (seconds < 60) return seconds + "s";
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) return minutes + "m";
    var hours = Math.floor(minutes / 60);
    minutes = minutes % 60;
    if (hours < 24) return hours + "h " + (minutes < 10 ? "0" : "") + minutes + "m";
    return Math.floor(hours / 24) + "d " + (hours % 24) + "h";
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (badge) {
      var left = (Date.parse(badge.dataset.due) - now) / 1000;
      var metric = badge.dataset.metric;
      var prefix = metric ? metric + " " : "";
      if (left > 0) {
        badge.textContent = prefix + (metric ? "in " : "due in ") + duration(left);
      } else {
        badge.textContent = prefix + "breached " + duration(-left) + " ago";
        if (!badge.classList.contains("sla-breached")) {
          badge.classList.remove("sla-running", "sla-warning");
          badge.classList.add("sla-breached");
        }
      }
    });
  }
  tick();
  setInterval(tick, 1000);

  // --- the queue: selection, refresh, remembered order ------------------------

  var table = document.querySelector("[data-queue-table]");

  function rows() {
    return table ? Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-ticket-id]")) : [];
  }

  function remember() {
    try {
      sessionStorage.setItem(STORE_IDS, JSON.stringify(rows().map(function (row) {
        return row.dataset.ticketId;
      })));
      sessionStorage.setItem(STORE_URL, location.pathname + location.search);
    } catch (e) { /* storage may be disabled; shortcuts then stay within the page */ }
  }

  function updateSelected() {
    var label = document.getElementById("bulk-selected");
    if (!label) return;
    var count = table.querySelectorAll('tbody input[name="ticket"]:checked').length;
    label.textContent = count ? count + " selected:" : "With selected:";
  }

  function refresh() {
    if (document.visibilityState !== "visible") return;
    fetch(table.dataset.refreshUrl, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (response.redirected || !response.ok) {
          if (response.redirected) location.reload();
          return null;
        }
        return response.text();
      })
      .then(function (html) {
        if (html === null) return;
        var parsed = new DOMParser().parseFromString("<table>" + html + "</table>", "text/html");
        var fresh = parsed.querySelector("tbody");
        var old = table.querySelector("tbody");
        if (!fresh || !old) return;
        var checked = {};
        old.querySelectorAll('input[name="ticket"]:checked').forEach(function (box) { checked[box.value] = true; });
        var current = old.querySelector("tr.is-current");
        var currentId = current && current.dataset.ticketId;
        old.replaceWith(fresh);
        fresh.querySelectorAll('input[name="ticket"]').forEach(function (box) { box.checked = !!checked[box.value]; });
        if (currentId) {
          var again = fresh.querySelector('tr[data-ticket-id="' + currentId + '"]');
          if (again) again.classList.add("is-current");
        }
        var note = document.getElementById("refresh-note");
        if (note) note.textContent = "Updated " + new Date().toLocaleTimeString();
        tick();
        remember();
        updateSelected();
      })
      .catch(function () { /* offline for a moment: try again next time */ });
  }

  if (table) {
    remember();
    setInterval(refresh, 30000);
    table.addEventListener("change", function (event) {
      if (event.target.matches("[data-select-all]")) {
        rows().forEach(function (row) { row.querySelector('input[name="ticket"]').checked = event.target.checked; });
      }
      updateSelected();
    });
  }

  var back = document.querySelector("[data-back-to-queue]");
  try {
    if (back && sessionStorage.getItem(STORE_URL)) back.href = sessionStorage.getItem(STORE_URL);
  } catch (e) { /* keep the server's link */ }

  // --- who else has the ticket open --------------------------------------------

  var ticket = document.querySelector("article.ticket[data-presence-url]");

  function ping() {
    var body = new FormData();
    body.append("csrf_token", csrf);
    fetch(ticket.dataset.presenceUrl, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        var box = document.getElementById("viewers");
        document.getElementById("viewer-names").textContent = data.viewers.join(", ");
        box.hidden = data.viewers.length === 0;
        if (String(data.version) !== ticket.dataset.version) {
          document.getElementById("changed-elsewhere").hidden = false;
        }
      })
      .catch(function () {});
  }

  if (ticket) {
    setInterval(ping, 30000);
    window.addEventListener("pagehide", function () {
      var body = new FormData();
      body.append("csrf_token", csrf);
      if (navigator.sendBeacon) navigator.sendBeacon(ticket.dataset.leaveUrl, body);
    });
  }

  // --- keyboard shortcuts ------------------------------------------------------

  var help = document.getElementById("help");
  document.querySelectorAll("[data-help-open]").forEach(function (button) {
    button.addEventListener("click", function () { help.showModal(); });
  });

  function moveInQueue(step) {
    var list = rows();
    if (!list.length) return;
    var index = list.findIndex(function (row) { return row.classList.contains("is-current"); });
    if (index >= 0) list[index].classList.remove("is-current");
    index = Math.min(list.length - 1, Math.max(0, index + step));
    list[index].classList.add("is-current");
    list[index].querySelector(".ticket-link").focus();
  }

  function moveFromTicket(step) {
    var ids;
    try { ids = JSON.parse(sessionStorage.getItem(STORE_IDS) || "[]"); } catch (e) { ids = []; }
    var index = ids.indexOf(ticket.dataset.ticketId);
    var next = ids[index + step];
    if (index >= 0 && next) location.href = "/agent/tickets/" + next;
  }

  function currentRow() {
    return table && (table.querySelector("tr.is-current") ||
      (document.activeElement && document.activeElement.closest && document.activeElement.closest("tr[data-ticket-id]")));
  }

  function focusField(selector) {
    var field = document.querySelector(selector);
    if (!field) return;
    field.scrollIntoView({ block: "center" });
    field.focus();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target.closest("input, textarea, select, [contenteditable]")) {
      if (event.key === "Escape") target.blur();
      return;
    }
    if (help.open) return;
    var key = event.key;
    var handled = true;
    if (key === "?") help.showModal();
    else if (key === "/") focusField(document.getElementById("f-q") ? "#f-q" : "#global-search");
    else if (table && (key === "j" || key === "k")) moveInQueue(key === "j" ? 1 : -1);
    else if (ticket && (key === "j" || key === "k")) moveFromTicket(key === "j" ? 1 : -1);
    else if (table && (key === "o" || key === "Enter") && currentRow()) location.href = currentRow().dataset.href;
    else if (table && key === "x" && currentRow()) {
      var box = currentRow().querySelector('input[name="ticket"]');
      if (box) box.checked = !box.checked;
      updateSelected();
    }
    else if (ticket && key === "r") focusField("[data-shortcut-reply]");
    else if (ticket && key === "n") focusField("[data-shortcut-note]");
    else if (ticket && key === "c" && document.querySelector("[data-shortcut-claim]")) document.querySelector("[data-shortcut-claim]").click();
    else if (ticket && key === "u" && back) location.href = back.href;
    else handled = false;
    if (handled) event.preventDefault();
  });
})();
