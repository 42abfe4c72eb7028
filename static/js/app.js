// Small progressive enhancements shared by the layouts. The pages work without them.
(function () {
  "use strict";

  function tickClocks() {
    const now = new Date();
    // The business's own clock, whatever time zone the device is set to.
    const timeZone = document.body.dataset.timezone || undefined;
    let text;
    try { text = now.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", timeZone }); }
    catch (e) { text = now.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }); }
    document.querySelectorAll("[data-clock]").forEach((el) => { el.textContent = text; el.dateTime = now.toISOString(); });
  }

  function selectTab(button) {
    const list = button.closest("[role=tablist]");
    list.querySelectorAll("[role=tab]").forEach((tab) => {
      const active = tab === button;
      tab.classList.toggle("is-active", active);
      tab.setAttribute("aria-selected", String(active));
      const panel = document.getElementById(tab.dataset.tab);
      if (panel) panel.hidden = !active;
    });
  }

  function filterProducts(input) {
    const root = document.querySelector(input.dataset.filterTarget);
    if (!root) return;
    const q = input.value.trim().toLowerCase();
    const panels = root.querySelectorAll("[role=tabpanel]");
    root.querySelectorAll(".product-tile").forEach((tile) => {
      tile.hidden = q !== "" && !tile.dataset.name.includes(q) && tile.dataset.barcode !== q && tile.dataset.sku.toLowerCase() !== q;
    });
    if (q !== "") panels.forEach((p) => { p.hidden = false; });
    else { const active = document.querySelector("[role=tab].is-active"); if (active) selectTab(active); }
  }

  // Computed layout (a table's place on the floor plan, a bar's length) comes as data attributes: the
  // Content-Security-Policy refuses style="" attributes, but allows a script to set styles through the CSSOM.
  const LAYOUT = "[data-grid-column], [data-grid-row], [data-floor-columns], [data-floor-rows], [data-bar]";
  function applyLayout(el) {
    const d = el.dataset;
    if (d.gridColumn) el.style.gridColumn = d.gridColumn;
    if (d.gridRow) el.style.gridRow = d.gridRow;
    if (d.floorColumns) el.style.setProperty("--floor-columns", d.floorColumns);
    if (d.floorRows) el.style.setProperty("--floor-rows", d.floorRows);
    if (d.bar) el.style.setProperty("--w", d.bar);
  }
  function layoutWithin(root) {
    if (root.matches && root.matches(LAYOUT)) applyLayout(root);
    if (root.querySelectorAll) root.querySelectorAll(LAYOUT).forEach(applyLayout);
  }
  // Pages and partials put into the page later (htmx swaps, the till's floor dialog) are laid out as they arrive.
  new MutationObserver((records) => {
    records.forEach((record) => record.addedNodes.forEach((node) => { if (node.nodeType === 1) layoutWithin(node); }));
  }).observe(document.documentElement, { childList: true, subtree: true });

  // Behaviour that used to sit in onclick/onsubmit attributes (refused by the Content-Security-Policy).
  // <button data-confirm="Sure?"> and <form data-confirm="Sure?"> ask before going ahead.
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-confirm], input[type=submit][data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
  });
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.dataset.confirm !== undefined && !window.confirm(form.dataset.confirm)) { event.preventDefault(); return; }
    // <form data-submit-once>: a second tap while the first is on its way does not post again.
    if (form.dataset.submitOnce !== undefined) form.querySelectorAll("button").forEach((b) => { b.disabled = true; });
  });
  // <button data-add-row="tbody-id">: a blank copy of the table's last row, numbered on.
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-add-row]");
    if (!button) return;
    const body = document.getElementById(button.dataset.addRow);
    const row = body.querySelector("tr:last-child").cloneNode(true);
    row.querySelectorAll("input").forEach((input) => { input.value = ""; });
    const number = row.querySelector(".row-number");
    if (number) number.textContent = body.children.length + 1;
    body.appendChild(row);
    row.querySelector("input").focus();
  });
  // An input with data-unit-source picks a stock item from the #stock-items list; its form's [data-unit] shows
  // the item's unit.
  document.addEventListener("input", (event) => {
    const field = event.target;
    if (!field.hasAttribute || !field.hasAttribute("data-unit-source")) return;
    const form = field.closest("form"), unit = form && form.querySelector("[data-unit]");
    if (!unit) return;
    const option = document.querySelector(`#stock-items option[value="${CSS.escape(field.value.trim().toUpperCase())}"]`);
    unit.textContent = option ? option.getAttribute("data-unit") : "";
  });

  document.addEventListener("DOMContentLoaded", () => {
    layoutWithin(document.body);
    tickClocks();
    setInterval(tickClocks, 15000);
    document.querySelectorAll("[role=tab]").forEach((tab) => tab.addEventListener("click", () => selectTab(tab)));
    document.querySelectorAll("[data-filter-target]").forEach((input) => input.addEventListener("input", () => filterProducts(input)));
  });

  // Keyboard: "/" focuses search, digits pick a category tab (when not typing in a field).
  document.addEventListener("keydown", (event) => {
    const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName);
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = document.querySelector(`[data-hotkey="${CSS.escape(event.key)}"]`);
    if (!target) return;
    event.preventDefault();
    if (target.matches("input")) target.focus(); else target.click();
  });
})();
