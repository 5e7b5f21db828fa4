/* Care page helpers (no framework).
 *
 * Lists on phones: below 576 px every list table (a <thead> and at least four columns) shows each
 * row as a card; each cell is labelled with its column header through a data-label attribute set
 * here (templates may set data-label themselves). Opt out with class "table-keep".
 */
(function () {
  "use strict";

  function headerLabels(table) {
    var row = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
    if (!row) return null;
    var labels = [];
    Array.prototype.forEach.call(row.cells, function (th) {
      var text = (th.getAttribute("data-label") || th.textContent || "").replace(/\s+/g, " ").trim();
      for (var i = 0; i < (th.colSpan || 1); i++) labels.push(text);
    });
    return labels;
  }

  function mostlyNumbers(table) {
    var cells = 0, numeric = 0;
    Array.prototype.slice.call(table.tBodies.length ? table.tBodies[0].rows : [], 0, 8).forEach(function (tr) {
      Array.prototype.forEach.call(tr.cells, function (td) {
        var text = td.textContent.trim();
        if (!text) return;
        cells += 1;
        if (/^[-+]?[\d,.]+%?$/.test(text)) numeric += 1;
      });
    });
    return cells > 0 && numeric / cells >= 0.6;
  }

  function cardify(root) {
    var tables = (root || document).querySelectorAll("main table.table");
    Array.prototype.forEach.call(tables, function (table) {
      if (table.classList.contains("table-keep") || table.dataset.cards === "done") return;
      var labels = headerLabels(table);
      if (!labels || (labels.length < 4 && !table.classList.contains("table-cards"))) return;
      if (!table.classList.contains("table-cards") && mostlyNumbers(table)) {
        // A table of figures is read across: keep it a table that scrolls inside its own box.
        if (!table.parentElement.classList.contains("table-responsive")) {
          var box = document.createElement("div");
          box.className = "table-responsive";
          table.parentElement.insertBefore(box, table);
          box.appendChild(table);
        }
        table.classList.add("table-figures");
        table.dataset.cards = "done";
        return;
      }
      table.classList.add("table-cards");
      var wrapper = table.parentElement;
      if (wrapper && wrapper.classList.contains("table-responsive")) wrapper.classList.add("table-responsive-cards");
      var sections = [];
      Array.prototype.forEach.call(table.tBodies, function (b) { sections.push(b); });
      if (table.tFoot) sections.push(table.tFoot);
      sections.forEach(function (section) {
        Array.prototype.forEach.call(section.rows, function (tr) {
          var col = 0;
          Array.prototype.forEach.call(tr.cells, function (td) {
            if (!td.hasAttribute("data-label") && labels[col] && (td.colSpan || 1) < labels.length) {
              td.setAttribute("data-label", labels[col]);
            }
            if ((td.colSpan || 1) >= labels.length) td.classList.add("cell-full");
            if (!td.textContent.trim() && !td.querySelector("input,select,button,a,img")) td.classList.add("cell-empty");
            col += td.colSpan || 1;
          });
        });
      });
      table.dataset.cards = "done";
    });
  }

  /* Searchable pickers: <select data-picker> becomes a search box (vendored Tom Select) that
   * matches any part of the option text (name, village, phone). Without the library it stays a
   * plain select. */
  function pickers(root) {
    if (typeof window.TomSelect !== "function") return;
    Array.prototype.forEach.call((root || document).querySelectorAll("select[data-picker]"), function (select) {
      if (select.tomselect) return;
      new window.TomSelect(select, {
        maxOptions: null,
        closeAfterSelect: true,
        // Tom Select refreshes the list 300 ms after a keystroke. A cadre who types "张" and taps a
        // choice at once (or a slow phone that runs the timer late) had the list re-opened by that
        // refresh after the pick, covering the next field: a pick cancels the pending refresh.
        onItemAdd: function () {
          if (this.refreshTimeout) {
            window.clearTimeout(this.refreshTimeout);
            this.refreshTimeout = null;
          }
          this.close();
        },
        allowEmptyOption: false,
        placeholder: select.getAttribute("data-placeholder") || "",
        searchField: ["text"],
        render: {
          no_results: function () { return '<div class="no-results">没有匹配的结果</div>'; },
        },
      });
    });
  }

  /* A table that scrolls sideways in its own box (a phone) must be reachable by keyboard: the box
   * takes the focus (WCAG 2.1.1; axe "scrollable-region-focusable") when it really scrolls. */
  function scrollers(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll(".table-responsive"), function (box) {
      if (box.scrollWidth > box.clientWidth + 1 && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () { cardify(document); pickers(document); scrollers(document); });
  document.addEventListener("htmx:afterSwap", function (e) {
    cardify(e.target.closest("main") || document);
    pickers(e.target);
    scrollers(e.target.closest("main") || document);
  });
  window.careCardify = cardify;
})();
