// Phones: the till's catalog and cart are two panes, switched from the bar at the bottom, which shows how many
// items the cart holds and its total. It only watches what till.js renders (the cart lines, the totals, the
// error and ready strips), so the two scripts share no state. On wider screens the bar is hidden by the CSS
// and both panes show side by side whatever this script does.
(function () {
  "use strict";
  const root = document.getElementById("till");
  if (!root) return;
  const lines = document.getElementById("cart-lines");
  const totals = document.getElementById("cart-totals");
  const switches = root.querySelectorAll("[data-pane-show]");
  const cartSwitch = root.querySelector("[data-pane-show=cart]");
  const alerts = ["cart-error", "ready-strip", "cart-adding"].map((id) => document.getElementById(id)).filter(Boolean);
  let count = 0;

  function show(pane) {
    root.classList.toggle("is-cart", pane === "cart");
    switches.forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.paneShow === pane)));
  }

  function update() {
    const before = count;
    count = [...lines.querySelectorAll("[data-qty]")].reduce((sum, el) => sum + (Number(el.textContent) || 0), 0);
    const total = totals.querySelector("dd.cart-total");
    root.querySelector("[data-cart-count]").textContent = count;
    root.querySelector("[data-cart-total]").textContent = total ? " · " + total.textContent : "";
    cartSwitch.classList.toggle("has-alert", alerts.some((el) => !el.hidden));
    // Paid, sent or cleared: back to the products for the next customer.
    if (before > 0 && count === 0) show("catalog");
  }

  switches.forEach((b) => b.addEventListener("click", () => show(b.dataset.paneShow)));
  const observer = new MutationObserver(update);
  observer.observe(lines, { childList: true, subtree: true, characterData: true });
  observer.observe(totals, { childList: true, subtree: true, characterData: true });
  alerts.forEach((el) => observer.observe(el, { attributes: true, attributeFilter: ["hidden"] }));
  update();
})();
