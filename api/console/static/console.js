/* fase-hub console: Plotly figures from the JSON the server built, and keyboard work (no framework). */
(function () {
  "use strict";

  // Figures: <div data-figure=NAME> and <script type="application/json" id="fig-NAME-data">.
  function drawFigures() {
    if (!window.Plotly) return;
    document.querySelectorAll("[data-figure]").forEach(function (el) {
      var data = document.getElementById(el.id + "-data");
      if (!data) return;
      var fig = JSON.parse(data.textContent);
      window.Plotly.newPlot(el, fig.data, fig.layout, {
        displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"]
      });
    });
  }

  function typing(event) {
    var t = event.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }

  // A list of rows (data-keyboard-list): j / k move the selection, Enter opens the row's data-href.
  function keyboardList(table) {
    var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-href]"));
    if (!rows.length) return null;
    var at = 0;
    function select(i) {
      rows[at].classList.remove("selected");
      at = Math.max(0, Math.min(rows.length - 1, i));
      rows[at].classList.add("selected");
      rows[at].scrollIntoView({ block: "nearest" });
    }
    rows.forEach(function (row, i) {
      row.addEventListener("click", function (e) {
        if (e.target.tagName !== "A") { window.location = row.dataset.href; }
      });
      row.addEventListener("mouseenter", function () { select(i); });
    });
    rows[0].classList.add("selected");
    return {
      next: function () { select(at + 1); },
      prev: function () { select(at - 1); },
      open: function () { window.location = rows[at].dataset.href; }
    };
  }

  function click(id) {
    var el = document.getElementById(id);
    if (el) { el.click(); return true; }
    return false;
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawFigures();
    var listTable = document.querySelector("[data-keyboard-list]");
    var list = listTable ? keyboardList(listTable) : null;
    var reason = document.getElementById("reason");
    if (reason) {
      reason.addEventListener("keydown", function (e) {
        if (e.key === "Escape") { reason.blur(); }
      });
    }
    document.addEventListener("keydown", function (e) {
      if (e.ctrlKey || e.metaKey || e.altKey || typing(e)) return;
      var key = e.key;
      var done = false;
      if (list && key === "j") { list.next(); done = true; }
      else if (list && key === "k") { list.prev(); done = true; }
      else if (list && key === "Enter") { list.open(); done = true; }
      else if (key === "m") { done = click("decide-match"); }
      else if (key === "n") { done = click("decide-no-match"); }
      else if (key === "s") { done = click("skip"); }
      else if (key === "u") { done = click("undo"); }
      else if (key === "r" && reason) { reason.focus(); done = true; }
      else if (key === "q" && document.getElementById("skip")) { window.location = "/console/review"; done = true; }
      if (done) e.preventDefault();
    });
  });
})();
