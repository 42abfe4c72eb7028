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

  document.addEventListener("DOMContentLoaded", () => {
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
