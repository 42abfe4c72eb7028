// The till's cart. It lives on the device (localStorage), so a dropped connection or a reload loses nothing;
// the server prices it after every change and creates the order and payments. Each write carries a key made
// for that one request and kept, with the request, until an answer comes (keyedPost): a retry after a lost
// answer is the same request again, so it never makes a second order or payment nor passes for another action.
(function () {
  "use strict";
  const root = document.getElementById("till");
  if (!root) return;

  const storageKey = root.dataset.storageKey;
  const csrf = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
  const moneyFormat = PosMoney.pageFormat();
  const $ = (id) => document.getElementById(id);
  // Strings through Django's JavaScript catalogue (static/jsi18n/<lang>/djangojs.js, django-statici18n);
  // say() fills %(name)s placeholders as Python does.
  const gettext = window.gettext || ((text) => text);
  const say = (text, values) => text.replace(/%\((\w+)\)s/g, (_, name) => values[name]);

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  // --- money: the server's rules (static/js/money.js) ---------------------------------------------------
  const formatMoney = (minor) => PosMoney.format(minor, moneyFormat);
  const parseMoney = (text) => PosMoney.parse(text, moneyFormat);
  // An amount put into an input for the cashier to read and change ("72.270", no symbol), read back by parseMoney.
  const inputMoney = (minor) => PosMoney.format(minor, moneyFormat, { symbol: false });
  const tipPresets = root.dataset.tips === "off" ? null : (root.dataset.tips || "").split(",").filter(Boolean).map(Number);

  // --- state ----------------------------------------------------------------------------------------------
  let cart = load();
  let selected = null; // index of the selected line (for line discounts, quantity keys)
  let previewSeq = 0;

  function blank() {
    // order: the server's order while it is being paid; addTo: an open tab new items go onto; pending: keyed
    // requests sent and not yet answered, by kind (submit, add, send, pay), each with its exact body and key.
    return { lines: [], order_type: "takeaway", table_label: "", customer_name: "", order_discount: null, order: null,
      addTo: null, rush: false, pending: {} };
  }
  function load() {
    try {
      const stored = Object.assign(blank(), JSON.parse(localStorage.getItem(storageKey) || "{}"));
      if (stored.order && stored.order.balance_minor === 0) return blank(); // paid in full: a fresh order
      return stored;
    } catch (e) { return blank(); }
  }
  function save() { localStorage.setItem(storageKey, JSON.stringify(cart)); }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    let data = {};
    try { data = await response.json(); } catch (e) { data = { error: { code: "http", message: say(gettext("The server answered %(status)s."), { status: response.status }) } }; }
    return { ok: response.ok, status: response.status, data };
  }
  // Every endpoint answers a refusal as {error: {code, message, fields}} (pos_project/errors.py error_body).
  function errorText(data) { return (data && data.error && data.error.message) || ""; }
  function errorCode(data) { return (data && data.error && data.error.code) || ""; }

  // A keyed write (docs/adr/0006). The key is made for this one request and kept with its exact body until the
  // server answers; if the answer is lost, the next press of that kind sends the SAME request again and gets
  // what the server did the first time (`replayed`), before the till does anything new. `extra` (a supervisor's
  // approval) is sent but never stored on the device.
  async function keyedPost(kind, url, body, extra) {
    const earlier = cart.pending[kind];
    const attempt = earlier || { url, body: Object.assign({}, body, { idempotency_key: newKey() }) };
    if (!earlier) { cart.pending[kind] = attempt; save(); }
    let result;
    try { result = await post(attempt.url, Object.assign({}, attempt.body, extra || {})); } catch (e) {
      return { offline: true, replayed: !!earlier };
    }
    // A 5xx or "still in progress" tells nothing of the outcome: keep the request to send it again.
    if (result.status >= 500 || errorCode(result.data) === "idempotency.in_progress") return { offline: true, replayed: !!earlier };
    delete cart.pending[kind]; save();
    return Object.assign(result, { replayed: !!earlier });
  }
  const NO_ANSWER = gettext("No answer from the server: nothing is lost. Press the same button again; it will not be done twice.");

  // The cart cannot change while its submission awaits an answer (the answer may be an order of exactly it). An
  // order already made and not paid becomes the tab new items go onto, so nothing added is left uncharged.
  function editable() {
    if (cart.pending.submit || cart.pending.add) { showError(NO_ANSWER); return false; }
    if (cart.order) tabFromOrder(cart.order);
    return true;
  }
  function tabFromOrder(order) {
    cart = Object.assign(blank(), { addTo: { id: order.id, number: order.number, version: order.version, table_label: order.table_label || "" } });
    selected = null;
    save(); renderAdding();
  }

  function payload() {
    return {
      lines: cart.lines.map((l) => ({ product_id: l.product_id, variant_id: l.variant_id, modifier_ids: l.modifier_ids,
        quantity: l.quantity, note: l.note, discount: l.discount })),
      order_type: cart.order_type, table_label: cart.table_label, customer_name: cart.customer_name,
      order_discount: cart.order_discount, table_id: cart.table ? cart.table.id : null, rush: !!cart.rush,
    };
  }

  // --- rendering ------------------------------------------------------------------------------------------
  function showError(text) {
    const box = $("cart-error");
    box.textContent = text || "";
    box.hidden = !text;
  }

  function render(preview) {
    const list = $("cart-lines");
    list.innerHTML = "";
    cart.lines.forEach((line, i) => {
      const row = preview && preview.lines[i];
      const li = document.createElement("li");
      li.className = "cart-line" + (i === selected ? " is-selected" : "");
      li.dataset.index = i;
      li.innerHTML = `
        <button type="button" class="cart-line__main" data-select>
          <span class="cart-line__name"></span><span class="cart-line__mods"></span>
        </button>
        <span class="cart-line__qty">
          <button type="button" class="btn btn--ghost" data-dec aria-label="${gettext("Less")}">−</button>
          <span data-qty></span>
          <button type="button" class="btn btn--ghost" data-inc aria-label="${gettext("More")}">+</button>
        </span>
        <span class="cart-line__amount"></span>`;
      li.querySelector(".cart-line__name").textContent = line.name;
      li.querySelector(".cart-line__mods").textContent = [...line.modifier_names, line.note ? "“" + line.note + "”" : "",
        line.discount ? "− " + (line.discount.kind === "percent" ? line.discount.value + "%" : formatMoney(line.discount.value)) : ""]
        .filter(Boolean).join(", ");
      li.querySelector("[data-qty]").textContent = line.quantity;
      li.querySelector(".cart-line__amount").textContent = row ? formatMoney(row.net_minor) : "…";
      list.appendChild(li);
    });
    $("cart-empty").hidden = cart.lines.length > 0;
    $("cart-pay").disabled = cart.lines.length === 0 && !cart.addTo;
    $("cart-send").disabled = cart.lines.length === 0 || !!cart.order;
    $("order-type").value = cart.order_type;
    renderTable();
    $("customer-name").value = cart.customer_name;
    const totals = $("cart-totals");
    totals.innerHTML = "";
    if (!preview || !cart.lines.length) return;
    const add = (label, value, cls) => {
      const dt = document.createElement("dt"); dt.textContent = label;
      const dd = document.createElement("dd"); dd.textContent = value;
      if (cls) { dt.className = cls; dd.className = cls; }
      totals.append(dt, dd);
    };
    add(gettext("Subtotal"), formatMoney(preview.subtotal_minor));
    if (preview.discount_minor) add(gettext("Discount"), "− " + formatMoney(preview.discount_minor));
    if (preview.service_charge_minor) add(gettext("Service"), formatMoney(preview.service_charge_minor));
    preview.taxes.forEach((t) => add(t.name + (t.inclusive ? " " + gettext("(incl.)") : ""), formatMoney(t.amount_minor), t.inclusive ? "muted" : ""));
    add(gettext("Total"), formatMoney(preview.total_minor), "cart-total");
    if (preview.cash_due_minor !== preview.total_minor) add(gettext("Cash"), formatMoney(preview.cash_due_minor), "muted");
  }

  async function refresh() {
    save();
    $("cart-rush").setAttribute("aria-pressed", cart.rush ? "true" : "false");
    if (!cart.lines.length) { render(null); showError(""); return; }
    render(null);
    const seq = ++previewSeq;
    try {
      const { ok, data } = await post(root.dataset.previewUrl, payload());
      if (seq !== previewSeq) return; // a newer change is on its way
      if (!ok) { showError(errorText(data)); render(null); return; }
      showError("");
      render(data);
    } catch (e) {
      if (seq === previewSeq) showError(gettext("Offline: the cart is kept on this device; totals appear when the connection is back."));
    }
  }

  // --- adding products ------------------------------------------------------------------------------------
  function addLine(product, variant, modifiers, note) {
    if (!editable()) return;
    const name = product.name + (variant ? " (" + variant.name + ")" : "");
    const modifierIds = modifiers.map((m) => m.id);
    const same = cart.lines.findIndex((l) => l.product_id === product.id && l.variant_id === (variant ? variant.id : null)
      && JSON.stringify(l.modifier_ids) === JSON.stringify(modifierIds) && !l.note && !note && !l.discount);
    if (same >= 0) {
      cart.lines[same].quantity += 1;
      selected = same;
    } else {
      cart.lines.push({ product_id: product.id, variant_id: variant ? variant.id : null, modifier_ids: modifierIds,
        modifier_names: modifiers.map((m) => m.name), name, quantity: 1, note: note || "", discount: null });
      selected = cart.lines.length - 1;
    }
    refresh();
  }

  function chooseOptions(product, presetVariantId) {
    if (!product.groups.length && (!product.variants.length || presetVariantId)) {
      const variant = product.variants.find((v) => v.id === presetVariantId) || null;
      return addLine(product, variant, [], "");
    }
    const dialog = $("options-dialog");
    $("options-title").textContent = product.name;
    const body = $("options-body");
    body.innerHTML = "";
    if (product.variants.length) {
      const fs = document.createElement("fieldset");
      fs.className = "segmented";
      fs.innerHTML = "<legend>Size</legend>";
      product.variants.forEach((v, i) => {
        const label = document.createElement("label");
        label.innerHTML = `<input type="radio" name="variant" value="${v.id}"> <span></span>`;
        label.querySelector("span").textContent = v.name + " · " + formatMoney(v.price_minor);
        // The size asked for (a scanned variant's code), else the product's default (the owner's, or the first).
        const preselect = presetVariantId || product.default_variant_id || product.variants[0].id;
        if (v.id === preselect) label.querySelector("input").checked = true;
        fs.appendChild(label);
      });
      body.appendChild(fs);
    }
    product.groups.forEach((g) => {
      const fs = document.createElement("fieldset");
      fs.className = "segmented";
      fs.dataset.group = g.id;
      const legend = document.createElement("legend");
      legend.textContent = g.name + " " + (g.min ? (g.max > 1 ? say(gettext("(required, up to %(max)s)"), { max: g.max }) : gettext("(required)"))
        : g.max > 1 ? say(gettext("(up to %(max)s)"), { max: g.max }) : gettext("(optional)"));
      fs.appendChild(legend);
      g.modifiers.forEach((m) => {
        const label = document.createElement("label");
        const type = g.max === 1 ? "radio" : "checkbox";
        label.innerHTML = `<input type="${type}" name="group-${g.id}" value="${m.id}"> <span></span>`;
        label.querySelector("span").textContent = m.name + (m.delta_minor ? " +" + formatMoney(m.delta_minor) : "");
        fs.appendChild(label);
      });
      body.appendChild(fs);
    });
    const form = $("options-form");
    form.note.value = "";
    $("options-error").hidden = true;
    form.onsubmit = (event) => {
      const variantInput = form.querySelector("input[name=variant]:checked");
      const variant = variantInput ? product.variants.find((v) => String(v.id) === variantInput.value) : null;
      const chosen = [];
      for (const g of product.groups) {
        const picked = [...form.querySelectorAll(`input[name=group-${g.id}]:checked`)].map((i) => g.modifiers.find((m) => String(m.id) === i.value));
        if (picked.length < g.min || picked.length > g.max) {
          event.preventDefault();
          $("options-error").textContent = g.min === g.max ? say(gettext("Choose %(count)s for “%(group)s”."), { count: g.min, group: g.name })
            : say(gettext("Choose %(min)s to %(max)s for “%(group)s”."), { min: g.min, max: g.max, group: g.name });
          $("options-error").hidden = false;
          return;
        }
        chosen.push(...picked);
      }
      addLine(product, variant, chosen, form.note.value.trim());
    };
    dialog.showModal();
  }

  // The highlighted tab is the category whose products show: none while a search shows its results, and the
  // chosen one again (its products reloaded) when the search is cleared.
  let chosenTab = document.querySelector("[role=tab].is-active");
  function highlightTab(tab) {
    document.querySelectorAll("[role=tab]").forEach((t) => {
      t.classList.toggle("is-active", t === tab); t.setAttribute("aria-selected", String(t === tab));
    });
  }

  document.addEventListener("click", (event) => {
    const tile = event.target.closest(".product-tile[data-product]");
    if (tile) {
      const product = JSON.parse(tile.dataset.product);
      if (markingSoldOut) soldOutToggle(tile, product);
      else if (product.sold_out) showError($("till-products").dataset.soldOutMessage.replace("%(name)s", product.name));
      else chooseOptions(product);
    }
    const tab = event.target.closest("[role=tab]");
    if (tab) {
      chosenTab = tab;
      highlightTab(tab);
      $("till-search").value = "";
    }
    const close = event.target.closest("[data-close]");
    if (close) close.closest("dialog").close();
  });

  $("till-search").addEventListener("htmx:configRequest", (event) => {
    const query = String(event.detail.parameters.q || "").trim();
    if (query) { highlightTab(null); return; }
    if (chosenTab) { event.detail.parameters.category = chosenTab.dataset.category; highlightTab(chosenTab); }
  });

  // --- sold out: with "Sold out" pressed, a tap on an item marks it sold out at this outlet or back in stock --
  let markingSoldOut = false;
  const soldOutButton = $("till-sold-out");
  if (soldOutButton) soldOutButton.addEventListener("click", () => {
    markingSoldOut = !markingSoldOut;
    soldOutButton.setAttribute("aria-pressed", String(markingSoldOut));
    $("till-products").classList.toggle("is-marking", markingSoldOut);
    $("till-sold-out-hint").hidden = !markingSoldOut;
  });
  async function soldOutToggle(tile, product) {
    const soldOut = !product.sold_out;
    tile.disabled = true;
    let result;
    try {
      result = await post(soldOutButton.dataset.url.replace("/0/", "/" + product.id + "/"), { sold_out: soldOut, idempotency_key: newKey() });
    } catch (e) { result = { ok: false, data: {} }; }
    tile.disabled = false;
    if (!result.ok) { showError(errorText(result.data) || gettext("No connection: nothing was changed.")); return; }
    showError("");
    product.sold_out = result.data.sold_out;
    tile.dataset.product = JSON.stringify(product);
    tile.classList.toggle("is-sold-out", product.sold_out);
    tile.querySelector(".product-tile__badge").hidden = !product.sold_out;
  }

  // A scanner types the code and presses Enter.
  $("till-search").addEventListener("keydown", async (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    const code = event.target.value.trim();
    if (!code) return;
    const response = await fetch(root.dataset.scanUrl + "?code=" + encodeURIComponent(code), { credentials: "same-origin" });
    const data = await response.json();
    if (!response.ok) { showError(errorText(data)); return; }
    event.target.value = "";
    showError("");
    chooseOptions(data.product, data.variant_id);
  });

  // --- editing lines --------------------------------------------------------------------------------------
  $("cart-lines").addEventListener("click", (event) => {
    const li = event.target.closest(".cart-line");
    if (!li) return;
    if (!editable() || !cart.lines[Number(li.dataset.index)]) return;
    const i = Number(li.dataset.index);
    selected = i;
    if (event.target.closest("[data-inc]")) cart.lines[i].quantity += 1;
    else if (event.target.closest("[data-dec]")) {
      cart.lines[i].quantity -= 1;
      if (cart.lines[i].quantity < 1) { cart.lines.splice(i, 1); selected = null; }
    }
    refresh();
  });
  $("order-type").addEventListener("change", (e) => {
    if (!editable()) { e.target.value = cart.order_type; return; }
    cart.order_type = e.target.value;
    if (cart.order_type !== "dine_in") { cart.table = null; cart.table_label = ""; } // a takeaway sits at no table
    refresh();
    if (cart.order_type === "dine_in" && !cart.table) openFloor(); // the table picker, where there is a floor plan
  });
  $("table-label").addEventListener("change", (e) => { if (!editable()) return; cart.table_label = e.target.value.trim(); save(); });
  $("customer-name").addEventListener("change", (e) => { if (!editable()) return; cart.customer_name = e.target.value.trim(); save(); });
  $("cart-clear").addEventListener("click", () => {
    const inFlight = cart.pending.submit || cart.pending.add;
    if ((cart.lines.length || cart.addTo) && !confirm(inFlight
      ? gettext("The last submission got no answer; if it reached the server it is in Tabs. Clear this order?") : gettext("Clear this order?"))) return;
    cart = blank(); selected = null; refresh(); renderAdding();
  });

  $("cart-discount").addEventListener("click", () => {
    if (!editable()) return;
    const form = $("discount-form");
    form.value.value = "";
    form.querySelector("input[value=line]").disabled = selected === null;
    $("discount-dialog").showModal();
  });
  $("discount-form").addEventListener("submit", (event) => {
    const form = event.target;
    const kind = form.kind.value;
    let value;
    if (kind === "percent") {
      value = form.value.value.replace(",", ".").trim();
      if (!/^\d+(\.\d{1,2})?$/.test(value) || Number(value) > 100) { event.preventDefault(); alert(gettext("Enter a percentage from 0 to 100.")); return; }
    } else {
      value = parseMoney(form.value.value);
      if (value === null) { event.preventDefault(); alert(gettext("Enter an amount.")); return; }
    }
    const discount = { kind, value };
    if (form.target.value === "line" && selected !== null) cart.lines[selected].discount = discount;
    else cart.order_discount = discount;
    refresh();
  });
  $("discount-form").querySelector("[data-remove]").addEventListener("click", () => {
    if ($("discount-form").target.value === "line" && selected !== null) cart.lines[selected].discount = null;
    else cart.order_discount = null;
    $("discount-dialog").close();
    refresh();
  });

  // --- submitting and paying ------------------------------------------------------------------------------
  // Supervisor approval (accounts.services.approval_resolve). The dialog stays open while the till retries with
  // the approval, so a refusal ("Wrong PIN") shows inside it with the supervisor still chosen. It resolves to
  // {self: true} (a signed-in supervisor's one tap), {id, pin} (a supervisor picked from the list, and their
  // PIN) or null (Cancel). `refusal` is the server's answer to the last try.
  function approvalError(text) {
    const box = $("approval-error");
    box.textContent = text || "";
    box.hidden = !text;
  }
  function approvalBusy(busy) {
    $("approval-form").querySelectorAll("button:not([data-close])").forEach((b) => { b.disabled = busy; });
  }
  async function loadApprovers() {
    const box = $("approval-people");
    if (!box || box.dataset.loaded) return;
    let data = null;
    try { data = await (await fetch(box.dataset.url, { credentials: "same-origin" })).json(); } catch (e) { data = null; }
    const people = (data && data.approvers) || [];
    if (!people.length) { approvalError(errorText(data) || (data ? box.dataset.none : box.dataset.offline)); return; }
    box.dataset.loaded = "1";
    people.forEach((person) => {
      const label = document.createElement("label");
      label.className = "pin-person";
      label.dataset.username = person.username;
      const input = document.createElement("input");
      input.type = "radio"; input.name = "approver"; input.value = person.id; input.checked = people.length === 1;
      const name = document.createElement("span");
      name.className = "pin-person__name"; name.textContent = person.name;
      label.append(input, name);
      box.appendChild(label);
    });
  }
  function askApproval(reason, refusal) {
    return new Promise((resolve) => {
      const dialog = $("approval-dialog");
      const form = $("approval-form");
      $("approval-reason").textContent = reason;
      approvalError(refusal);
      approvalBusy(false);
      if (form.pin) form.pin.value = "";
      form.onsubmit = (event) => {
        event.preventDefault();
        const who = form.querySelector("input[name=approver]:checked");
        if (!who) { approvalError(form.dataset.choose); return; }
        if (!form.pin.value) { approvalError(form.dataset.noPin); form.pin.focus(); return; }
        approvalBusy(true);
        resolve({ id: Number(who.value), pin: form.pin.value });
      };
      const self = $("approval-self");
      if (self) self.onclick = () => { approvalBusy(true); resolve({ self: true }); };
      dialog.onclose = () => resolve(null);
      if (!dialog.open) { dialog.showModal(); loadApprovers(); }
      if (form.pin && refusal) form.pin.focus();
    });
  }
  function approvalDone() {
    const dialog = $("approval-dialog");
    dialog.onclose = null;
    if (dialog.open) dialog.close();
  }
  // Whether a refused request should go back to the approval dialog: the server asks for an approval, or
  // refused the one given (wrong PIN, a locked PIN, someone who cannot approve).
  function approvalAsked(code, approval) {
    return code === "discount.approval_needed" || (!!approval && /^(approval|pin)\./.test(code));
  }

  // Make the order (once: a retry gets the same order back). `send` asks the kitchen to have it now; what the
  // server did is in the answer's `sent`, which may differ when an earlier, unanswered submission made it.
  async function submitOrder(send) {
    if (cart.order) return cart.order; // already on the server: pay or send it
    let approval = null;
    let reason = "";
    for (;;) {
      const result = await keyedPost("submit", root.dataset.submitUrl, Object.assign(payload(), { send: !!send }), approval);
      if (result.offline) { approvalDone(); showError(NO_ANSWER); return null; }
      if (result.ok) { approvalDone(); cart.order = result.data; save(); showError(""); return result.data; }
      const code = errorCode(result.data);
      if (approvalAsked(code, approval)) {
        if (code === "discount.approval_needed") reason = errorText(result.data);
        const approver = await askApproval(reason, code === "discount.approval_needed" ? "" : errorText(result.data));
        if (!approver) return null;
        approval = { approver };
        continue;
      }
      approvalDone();
      showError(errorText(result.data));
      return null;
    }
  }

  function renderPayDialog(order) {
    $("pay-order-number").textContent = "#" + order.number;
    $("pay-total").textContent = formatMoney(order.total_minor);
    $("pay-paid").textContent = formatMoney(order.paid_minor);
    $("pay-balance").textContent = formatMoney(order.balance_minor);
    const form = $("pay-form");
    const done = order.balance_minor === 0;
    $("pay-entry").hidden = done;
    $("pay-submit").hidden = done;
    $("pay-new").hidden = !done;
    $("pay-receipt").hidden = !done;
    $("pay-later").textContent = done ? gettext("Close") : gettext("Pay later");
    if (done) $("pay-receipt").href = root.dataset.receiptUrl.replace("00000000-0000-0000-0000-000000000000", order.uid) + "?print=1";
    form.amount.value = inputMoney(order.balance_minor);
    form.tendered.value = "";
    form.reference.value = "";
    form.tip.value = "";
    renderPayHelpers();
    const quick = $("pay-quick");
    quick.innerHTML = "";
    // Splitting the bill into equal parts: each guest pays one part (the last part takes the remainder).
    const part = (n) => Math.ceil(order.balance_minor / n);
    [[gettext("Half"), part(2)], [gettext("Third"), part(3)], [gettext("Quarter"), part(4)], [gettext("All"), order.balance_minor]].forEach(([label, amount]) => {
      const b = document.createElement("button");
      b.type = "button"; b.className = "btn btn--ghost"; b.textContent = label + " · " + formatMoney(amount);
      b.onclick = () => { form.amount.value = inputMoney(amount); renderPayHelpers(); };
      quick.appendChild(b);
    });
  }

  // Quick cash (one tap takes the payment with that much handed over) and tip presets, for the amount being
  // paid now. For the whole balance the server's list is used (order.quick_cash: the next round amounts in the
  // currency's notes, after cash rounding); for a part, only the exact amount.
  function renderPayHelpers() {
    const form = $("pay-form");
    const order = cart.order;
    if (!order) return;
    const amount = parseMoney(form.amount.value);
    const tip = form.tip.value ? parseMoney(form.tip.value) || 0 : 0;
    const whole = amount === order.balance_minor;
    const due = (whole ? order.cash_due_minor : amount) + tip;
    const cash = $("pay-cash-quick");
    cash.innerHTML = "";
    if (amount && amount > 0) {
      const amounts = [due, ...(whole ? order.quick_cash || [] : []).filter((a) => a > due)];
      amounts.forEach((value, i) => {
        const b = document.createElement("button");
        b.type = "button"; b.className = "btn" + (i === 0 ? "" : " btn--ghost"); b.dataset.cash = value;
        b.textContent = i === 0 ? say(gettext("Exact · %(amount)s"), { amount: formatMoney(value) }) : formatMoney(value);
        b.onclick = () => { form.tender.value = "cash"; tenderChanged(); form.tendered.value = inputMoney(value); form.requestSubmit(); };
        cash.appendChild(b);
      });
    }
    $("pay-tip-row").hidden = !tipPresets;
    const tips = $("pay-tip-quick");
    tips.innerHTML = "";
    if (!tipPresets || !amount || amount <= 0) return;
    [0, ...tipPresets].forEach((percent) => {
      const value = Math.floor((amount * percent + 50) / 100); // integers only: half up
      const b = document.createElement("button");
      b.type = "button"; b.className = "btn btn--ghost" + (value === tip && (percent || !form.tip.value) ? " is-active" : "");
      b.textContent = percent ? percent + "% · " + formatMoney(value) : gettext("No tip");
      b.onclick = () => { form.tip.value = percent ? inputMoney(value) : ""; renderPayHelpers(); };
      tips.appendChild(b);
    });
  }
  $("pay-form").amount.addEventListener("input", renderPayHelpers);
  $("pay-form").tip.addEventListener("input", renderPayHelpers);

  function tenderChanged() {
    const form = $("pay-form");
    const tender = form.tender.value;
    form.querySelector("[data-for=cash]").hidden = tender !== "cash";
    form.querySelector("[data-for=card]").hidden = tender !== "card";
  }
  $("pay-form").addEventListener("change", tenderChanged);

  // --- open tabs ------------------------------------------------------------------------------------------
  function renderAdding() {
    $("cart-adding").hidden = !cart.addTo;
    if (cart.addTo) $("cart-adding").textContent = say(cart.addTo.table_label
      ? gettext("Adding to tab #%(number)s (table %(table)s): Pay adds the items and takes payment, Send adds them for the kitchen, Clear starts a new order.")
      : gettext("Adding to tab #%(number)s: Pay adds the items and takes payment, Send adds them for the kitchen, Clear starts a new order."),
    { number: cart.addTo.number, table: cart.addTo.table_label });
  }

  async function openTab(tab, action) {
    $("tabs-dialog").close();
    if (action === "add") { cart.addTo = { id: tab.id, number: tab.number, version: tab.version, table_label: tab.table_label }; save(); renderAdding(); refresh(); return; }
    // Paying a tab keeps the cart being rung up aside, and gives it back when the payment dialog closes.
    const parked = cart.lines.length && !cart.order ? { lines: cart.lines, order_type: cart.order_type, table_label: cart.table_label,
      customer_name: cart.customer_name, order_discount: cart.order_discount, rush: cart.rush, table: cart.table } : null;
    cart = Object.assign(blank(), { order: tab, parked }); save();
    openPayDialog(tab);
  }

  function openPayDialog(order) {
    $("pay-error").hidden = true; $("pay-change").hidden = true; $("pay-done").innerHTML = "";
    renderPayDialog(order); tenderChanged(); $("pay-dialog").showModal();
  }

  // However the payment dialog closes (New order, Close, Pay later, Escape), a paid order is done and the till
  // starts a fresh one; an unpaid one stays open as a tab, and items added next go onto it rather than being
  // left uncharged on a cart whose order is already made.
  let closeAsTab = false;
  $("pay-dialog").addEventListener("close", () => {
    const order = cart.order;
    const later = closeAsTab;
    closeAsTab = false;
    if (!order) return;
    const parked = cart.parked;
    if (order.balance_minor === 0) {
      cart = blank();
      $("cart-empty").textContent = say(gettext("Order #%(number)s is paid. Tap a product for the next order."), { number: order.number });
    } else if (later || parked) {
      cart = blank();
      $("cart-empty").textContent = say(gettext("Order #%(number)s is an open tab (Tabs, T)."), { number: order.number });
    } else {
      tabFromOrder(order);
    }
    if (parked) Object.assign(cart, parked);
    selected = null; save(); refresh(); renderAdding(); showError("");
  });

  // --- tables -----------------------------------------------------------------------------------------------
  // Where the outlet has a floor plan, a dine-in order sits at one of its tables, picked from the plan (the server
  // refuses a typed label that names no table); without a plan the table is typed. A busy table opens its tab's
  // dialog: pay, add items, move, split.
  let moving = null; // a tab being moved to another table
  let floorHasTables = null; // unknown until the plan is first loaded
  const floorDialog = $("floor-dialog");

  function renderTable() {
    const dineIn = cart.order_type === "dine_in";
    const typed = dineIn && !cart.table && floorHasTables !== true;
    const chip = $("table-choose");
    $("table-label").hidden = !typed;
    $("table-label").value = cart.table_label;
    chip.hidden = !dineIn || typed;
    chip.textContent = cart.table ? chip.dataset.chosen.replace("%(table)s", cart.table.name) : chip.dataset.none;
  }

  function floorLoaded() {
    floorHasTables = !!$("floor-body").querySelector(".floor-table");
    renderTable();
  }
  $("floor-body").addEventListener("htmx:afterSwap", floorLoaded); // the Tables button loads it with hx-get
  async function loadFloor() {
    try {
      const response = await fetch(root.dataset.tablesUrl, { credentials: "same-origin" });
      if (!response.ok) return false;
      $("floor-body").innerHTML = await response.text();
    } catch (e) { return false; }
    floorLoaded();
    return true;
  }

  // The plan, to seat the cart's order (tab: null) or to move a tab to another table.
  function showFloor(tab) {
    moving = tab;
    $("floor-hint").textContent = tab ? floorDialog.dataset.hintMove.replace("%(number)s", tab.number) : floorDialog.dataset.hintSeat;
    $("floor-error").hidden = true;
    if (!floorDialog.open) floorDialog.showModal();
  }
  // Dine-in chosen, or the table chip pressed: the plan to pick from; without a plan, the typed table box.
  async function openFloor() {
    await loadFloor();
    if (floorHasTables) showFloor(null);
    else if (cart.order_type === "dine_in") $("table-label").focus();
  }
  $("table-choose").addEventListener("click", () => { if (editable()) openFloor(); });
  // The Tables button's hx-get brings the plan as it is now; until then, no tile of an older one can be tapped.
  $("cart-tables").addEventListener("click", () => { $("floor-body").innerHTML = '<p class="hint">…</p>'; showFloor(null); });
  $("floor-body").addEventListener("click", async (event) => {
    const cell = event.target.closest(".floor-table");
    if (!cell) return;
    if (moving) {
      let result;
      try {
        result = await post(root.dataset.moveUrl.replace("/0/", "/" + moving.id + "/"), { table_id: Number(cell.dataset.tableId), version: moving.version });
      } catch (e) { result = { ok: false, data: { error: { message: tabDialog.dataset.noConnection } } }; }
      if (!result.ok) { $("floor-error").textContent = errorText(result.data); $("floor-error").hidden = false; return; }
      if (cart.addTo && cart.addTo.id === result.data.id) {
        Object.assign(cart.addTo, { version: result.data.version, table_label: result.data.table_label }); save(); renderAdding();
      }
      moving = null;
      floorDialog.close();
      return;
    }
    const tabs = JSON.parse(cell.dataset.tabs || "[]");
    if (tabs.length) { floorDialog.close(); openTabDialog(cell.dataset.tableName, tabs); return; }
    if (!editable()) return;
    cart.table = { id: Number(cell.dataset.tableId), name: cell.dataset.tableName };
    cart.order_type = "dine_in"; cart.table_label = cell.dataset.tableName;
    floorDialog.close();
    refresh();
  });
  if (cart.order_type === "dine_in" && !cart.table) loadFloor(); // a reload: typed box or chip, as the outlet has

  // A busy table's tab, in a dialog: pay it, add the cart's items to it, move it, or split it by items into a
  // second bill at the same table (sales.services.tabs.order_split). An equal split is the payment dialog's
  // Half / Third / Quarter. A table with several bills (after a split) shows them all to choose from.
  const tabDialog = $("tab-dialog");
  let tabView = null; // {table, tabs, index, split: {key, lines} | null}

  function tabMessage(id, text) { $(id).textContent = text || ""; $(id).hidden = !text; }

  function openTabDialog(table, tabs) {
    tabView = { table, tabs, index: 0, split: null };
    tabMessage("tab-error", ""); tabMessage("tab-note", "");
    renderTabDialog();
    if (!tabDialog.open) tabDialog.showModal();
  }

  function renderTabDialog() {
    const tab = tabView.tabs[tabView.index];
    const text = tabDialog.dataset;
    $("tab-title").textContent = text.title.replace("%(table)s", tabView.table).replace("%(number)s", tab.number);
    $("tab-total").textContent = formatMoney(tab.total_minor);
    $("tab-paid").textContent = formatMoney(tab.paid_minor);
    $("tab-balance").textContent = formatMoney(tab.balance_minor);
    $("tab-age").textContent = text.age.replace("%(minutes)s", tab.age_minutes);
    const bills = $("tab-bills");
    bills.innerHTML = "";
    bills.hidden = tabView.tabs.length < 2;
    tabView.tabs.forEach((t, i) => {
      const b = document.createElement("button");
      b.type = "button"; b.className = "btn btn--ghost";
      b.textContent = "#" + t.number + " · " + formatMoney(t.balance_minor);
      b.setAttribute("aria-pressed", String(i === tabView.index));
      b.onclick = () => { tabView.index = i; tabView.split = null; tabMessage("tab-note", ""); renderTabDialog(); };
      bills.appendChild(b);
    });
    renderSplit();
  }

  function renderSplit() {
    const split = tabView.split;
    $("tab-split").hidden = !split;
    const list = $("tab-split-lines");
    list.innerHTML = "";
    if (!split) return;
    split.lines.forEach((line) => {
      const li = document.createElement("li");
      li.className = "tab-split__line";
      li.innerHTML = '<span></span><button type="button" class="btn btn--ghost" data-less>−</button><output></output><button type="button" class="btn btn--ghost" data-more>+</button>';
      li.children[0].textContent = line.quantity + " × " + line.name + (line.modifiers.length ? " (" + line.modifiers.join(", ") + ")" : "");
      li.querySelector("output").textContent = line.chosen;
      const less = li.querySelector("[data-less]");
      const more = li.querySelector("[data-more]");
      less.setAttribute("aria-label", tabDialog.dataset.less + " · " + line.name);
      more.setAttribute("aria-label", tabDialog.dataset.more + " · " + line.name);
      less.disabled = line.chosen === 0;
      more.disabled = line.chosen === line.quantity;
      // Another choice is another request: a new key (a retry of the same choice keeps its key).
      less.onclick = () => { line.chosen -= 1; split.key = newKey(); renderSplit(); };
      more.onclick = () => { line.chosen += 1; split.key = newKey(); renderSplit(); };
      list.appendChild(li);
    });
    $("tab-split-submit").disabled = !split.lines.some((line) => line.chosen);
  }

  async function startSplit(tab) {
    let response, data;
    try {
      response = await fetch(tabDialog.dataset.splitUrl.replace("/0/", "/" + tab.id + "/"), { credentials: "same-origin" });
      data = await response.json();
    } catch (e) { tabMessage("tab-error", tabDialog.dataset.noConnection); return; }
    if (!response.ok) { tabMessage("tab-error", errorText(data)); return; }
    tabView.split = { key: newKey(), lines: data.lines.map((line) => Object.assign(line, { chosen: 0 })) };
    renderSplit();
  }

  $("tab-split-submit").addEventListener("click", async () => {
    const tab = tabView.tabs[tabView.index];
    const split = tabView.split;
    const quantities = {};
    split.lines.forEach((line) => { if (line.chosen) quantities[line.id] = line.chosen; });
    let result;
    try {
      result = await post(tabDialog.dataset.splitUrl.replace("/0/", "/" + tab.id + "/"), { quantities, idempotency_key: split.key });
    } catch (e) { tabMessage("tab-error", tabDialog.dataset.noConnection); return; }
    if (!result.ok) { tabMessage("tab-error", errorText(result.data)); return; }
    tabMessage("tab-error", "");
    tabView.tabs[tabView.index] = result.data.order;
    tabView.tabs.push(result.data.new);
    tabView.index = tabView.tabs.length - 1; // the new bill, ready to be paid
    tabView.split = null;
    renderTabDialog();
    tabMessage("tab-note", tabDialog.dataset.splitDone.replace("%(number)s", result.data.new.number));
  });

  tabDialog.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-tab-action]");
    if (!button || !tabView) return;
    const tab = tabView.tabs[tabView.index];
    tabMessage("tab-error", "");
    switch (button.dataset.tabAction) {
      case "pay": case "add": tabDialog.close(); openTab(tab, button.dataset.tabAction); break;
      case "move": tabDialog.close(); await loadFloor(); showFloor(tab); break;
      case "split": await startSplit(tab); break;
    }
  });

  $("cart-tabs").addEventListener("click", async () => {
    const list = $("tabs-list");
    list.innerHTML = "<tr><td>…</td></tr>";
    $("tabs-dialog").showModal();
    let data;
    try { data = await (await fetch(root.dataset.tabsUrl, { credentials: "same-origin" })).json(); } catch (e) { list.innerHTML = "<tr><td>No connection.</td></tr>"; return; }
    list.innerHTML = "";
    if (!data.tabs.length) list.innerHTML = "<tr><td>No open tabs.</td></tr>";
    data.tabs.forEach((tab) => {
      const tr = document.createElement("tr");
      tr.innerHTML = "<td></td><td></td><td></td><td></td><td></td>";
      tr.children[0].textContent = "#" + tab.number + (tab.sent ? " · " + gettext("sent") : "");
      tr.children[1].textContent = [tab.table_label ? say(gettext("Table %(table)s"), { table: tab.table_label }) : "", tab.customer_name].filter(Boolean).join(" · ");
      tr.children[2].textContent = say(gettext("%(minutes)s min"), { minutes: tab.age_minutes });
      tr.children[3].textContent = formatMoney(tab.balance_minor);
      const pay = document.createElement("button"); pay.type = "button"; pay.className = "btn"; pay.textContent = gettext("Pay");
      pay.onclick = () => openTab(tab, "pay");
      const add = document.createElement("button"); add.type = "button"; add.className = "btn btn--ghost"; add.textContent = gettext("Add items");
      add.onclick = () => openTab(tab, "add");
      const move = document.createElement("button"); move.type = "button"; move.className = "btn btn--ghost"; move.textContent = gettext("Move");
      move.onclick = () => {
        moving = tab;
        $("tabs-dialog").close();
        htmx.ajax("GET", root.dataset.tablesUrl, { target: "#floor-body" });
        $("floor-dialog").showModal();
      };
      tr.children[4].append(pay, add, move);
      if (!tab.sent) {
        const send = document.createElement("button"); send.type = "button"; send.className = "btn btn--ghost"; send.textContent = gettext("Send");
        send.onclick = async () => {
          send.disabled = true;
          let result;
          try { result = await post(root.dataset.sendUrl.replace("/0/", "/" + tab.id + "/"), { idempotency_key: newKey() }); } catch (e) { result = { ok: false, data: {} }; }
          send.textContent = result.ok && result.data.sent ? gettext("Sent") : (errorText(result.data) || gettext("Failed: try again"));
          send.disabled = result.ok && result.data.sent;
        };
        tr.children[4].append(send);
      }
      if (tab.sent) {
        const rush = document.createElement("button"); rush.type = "button"; rush.className = "btn btn--ghost"; rush.textContent = gettext("Rush");
        rush.onclick = async () => {
          const result = await post(root.dataset.rushUrl.replace("/0/", "/" + tab.id + "/"), { idempotency_key: newKey() });
          rush.textContent = result.ok ? gettext("Rushed") : (errorText(result.data) || gettext("Failed: try again"));
          rush.disabled = result.ok;
        };
        tr.children[4].append(rush);
      }
      list.appendChild(tr);
    });
  });

  // Add the cart's items to the open tab; the tab as the server left it, or null (the error is shown).
  async function sendToTab() {
    const url = root.dataset.addUrl.replace("/0/", "/" + cart.addTo.id + "/");
    let approval = null;
    let reason = "";
    let result;
    for (;;) {
      result = await keyedPost("add", url, Object.assign(payload(), { version: cart.addTo.version }), approval);
      const code = result.offline || result.ok ? "" : errorCode(result.data);
      if (!approvalAsked(code, approval)) break;
      if (code === "discount.approval_needed") reason = errorText(result.data);
      const approver = await askApproval(reason, code === "discount.approval_needed" ? "" : errorText(result.data));
      if (!approver) return null;
      approval = { approver };
    }
    approvalDone();
    if (result.offline) { showError(NO_ANSWER); return null; }
    if (!result.ok) {
      // A 409 here means the tab changed elsewhere, except running out of stock: the tab is still the one to add to.
      const stale = result.status === 409 && !(result.data.error && result.data.error.code === "stock.insufficient");
      showError(errorText(result.data) + (stale ? " " + gettext("(open Tabs to reload it)") : ""));
      if (stale) { cart.addTo = null; save(); renderAdding(); }
      return null;
    }
    showError("");
    return result.data;
  }

  async function tabStatus(id) {
    try {
      const response = await fetch(root.dataset.statusUrl.replace("/0/", "/" + id + "/"), { credentials: "same-origin" });
      const data = await response.json();
      if (response.ok) return data;
      showError(errorText(data) || gettext("Open it from Tabs."));
    } catch (e) { showError(gettext("No connection: try again.")); }
    return null;
  }

  $("cart-pay").addEventListener("click", async () => {
    const button = $("cart-pay");
    button.disabled = true;
    let order;
    if (cart.addTo) {
      // Items for an open tab go onto it first; then the whole tab is paid.
      order = cart.lines.length ? await sendToTab() : await tabStatus(cart.addTo.id);
      if (order) { cart = Object.assign(blank(), { order }); selected = null; save(); refresh(); renderAdding(); }
    } else {
      order = await submitOrder(false);
    }
    button.disabled = cart.lines.length === 0 && !cart.addTo;
    if (order) openPayDialog(order);
  });

  $("pay-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const amount = parseMoney(form.amount.value);
    const tip = form.tip.value ? parseMoney(form.tip.value) : 0;
    const tendered = form.tendered.value ? parseMoney(form.tendered.value) : null;
    if (amount === null || amount <= 0 || tip === null) {
      $("pay-error").textContent = gettext("Enter the amounts as numbers."); $("pay-error").hidden = false; return;
    }
    const url = root.dataset.payUrl.replace("/0/", "/" + cart.order.id + "/");
    const submit = $("pay-submit");
    submit.disabled = true; // a double tap sends one payment
    const result = await keyedPost("pay", url, { tender: form.tender.value, amount_minor: amount, tip_minor: tip,
      tendered_minor: tendered, reference: form.reference.value });
    submit.disabled = false;
    if (result.offline) { $("pay-error").textContent = gettext("No answer from the server: press Take payment again; it will not charge twice."); $("pay-error").hidden = false; return; }
    if (!result.ok) { $("pay-error").textContent = errorText(result.data); $("pay-error").hidden = false; return; }
    if (result.data.payment.tender === "qr") { waitForQr(result.data); return; }
    cart.order = result.data;
    save();
    $("pay-error").hidden = !result.replayed;
    // The answer to an earlier press whose answer was lost: that payment is what was taken, not the one typed now.
    if (result.replayed) $("pay-error").textContent = gettext("The earlier payment went through (shown below); check the amount still owed.");
    const p = result.data.payment;
    const li = document.createElement("li");
    li.textContent = (p.tender === "cash" ? gettext("Cash") : gettext("Card")) + " " + formatMoney(p.amount_minor);
    $("pay-done").appendChild(li);
    if (p.tender === "cash") {
      $("pay-change").textContent = say(gettext("Change: %(amount)s"), { amount: formatMoney(p.change_minor) })
        + (p.rounding_minor ? " " + say(gettext("(cash rounded by %(amount)s)"), { amount: formatMoney(p.rounding_minor) }) : "");
      $("pay-change").hidden = false;
    }
    renderPayDialog(result.data);
  });

  // A QR payment: show the code, then poll until the provider's callback has captured it (or it failed).
  function waitForQr(data) {
    $("pay-qr").hidden = false;
    $("pay-qr-image").innerHTML = data.payment.qr_svg;
    const sim = $("pay-qr-sim");
    sim.hidden = !data.payment.simulator_url;
    if (data.payment.simulator_url) sim.href = data.payment.simulator_url;
    $("pay-submit").disabled = true;
    const url = root.dataset.statusUrl.replace("/0/", "/" + cart.order.id + "/");
    const poll = async () => {
      if (!$("pay-dialog").open || !cart.order) { $("pay-qr").hidden = true; $("pay-submit").disabled = false; return; } // closed: the tab shows the outcome
      let status;
      try { status = await (await fetch(url, { credentials: "same-origin" })).json(); } catch (e) { setTimeout(poll, 2000); return; }
      if (status.pending_qr) { setTimeout(poll, 1500); return; }
      $("pay-qr").hidden = true;
      $("pay-submit").disabled = false;
      cart.order = status; save();
      if (status.paid_minor === data.paid_minor) { $("pay-error").textContent = gettext("The QR payment was declined."); $("pay-error").hidden = false; }
      else { const li = document.createElement("li"); li.textContent = "QR " + formatMoney(data.payment.amount_minor); $("pay-done").appendChild(li); }
      renderPayDialog(status);
    };
    setTimeout(poll, 1500);
  }

  // "Send": the order goes to the kitchen unpaid and stays open as a tab; the till starts a new cart.
  // What the server says it did (`sent`) is what the till shows: an order made by an earlier press whose answer
  // was lost (a Pay) is sent now, as its own request, and "Sent" appears only once the kitchen has it.
  $("cart-send").addEventListener("click", async () => {
    const button = $("cart-send");
    button.disabled = true;
    try {
      if (cart.addTo) {
        const tab = await sendToTab();
        if (!tab) return;
        cart = blank(); selected = null; refresh(); renderAdding();
        $("cart-empty").textContent = say(tab.sent ? gettext("Added to tab #%(number)s and sent to the kitchen.") : gettext("Added to tab #%(number)s."), { number: tab.number });
        return;
      }
      let order = await submitOrder(true);
      if (!order) return;
      if (!order.sent) {
        const result = await keyedPost("send", root.dataset.sendUrl.replace("/0/", "/" + order.id + "/"), {});
        if (result.offline) { showError(NO_ANSWER); return; }
        if (!result.ok) { showError(errorText(result.data)); return; }
        order = result.data;
      }
      if (!order.sent) { showError(say(gettext("Order #%(number)s is made, but the kitchen has not got it: press Send again."), { number: order.number })); return; }
      cart = blank(); selected = null; refresh(); renderAdding();
      showError("");
      $("cart-empty").textContent = say(gettext("Sent #%(number)s — it is an open tab now (Tabs, T)."), { number: order.number });
    } finally {
      button.disabled = cart.lines.length === 0 || !!cart.order;
    }
  });

  // "Rush": the kitchen gets this order first when it is sent.
  $("cart-rush").addEventListener("click", () => { if (!editable()) return; cart.rush = !cart.rush; refresh(); });

  // "Pay later": the order stays open as a tab (recall it from Tabs); the till starts a new cart.
  $("pay-later").addEventListener("click", () => { closeAsTab = true; });

  $("pay-new").addEventListener("click", () => {
    $("pay-dialog").close(); // the close handler starts the fresh order
    $("till-search").focus();
  });

  // Keyboard: + / - change the selected line's quantity; Escape clears the search.
  document.addEventListener("keydown", (event) => {
    if (document.querySelector("dialog[open]")) return;
    const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName);
    if (event.key === "Escape" && typing) { document.activeElement.blur(); return; }
    if (typing || selected === null || !cart.lines[selected]) return;
    if (event.key === "+") { cart.lines[selected].quantity += 1; cart.key = cart.addKey = null; refresh(); }
    if (event.key === "-") {
      cart.lines[selected].quantity -= 1;
      if (cart.lines[selected].quantity < 1) { cart.lines.splice(selected, 1); selected = null; }
      cart.key = cart.addKey = null; refresh();
    }
  });

  // Orders the kitchen finished: shown until handed over ("served"). Sent by the stream service where one runs,
  // else polled 1.5 s after each answer with the ETag of the last one (static/js/live.js): while the kitchen has
  // not changed the server answers 304 at almost no cost, and the strip stays as it is.
  let readyEtag = null;
  function showReady(data, etag) {
    readyEtag = etag;
    const strip = $("ready-strip");
    strip.innerHTML = "";
    // "Order #3 ready — Table 5" (or the customer's name), and a plain "Handed over" to take it off the strip.
    data.ready.forEach((o) => {
      const item = document.createElement("div"), text = document.createElement("span"), b = document.createElement("button");
      item.className = "ready-order"; item.dataset.testid = "ready-order";
      text.dataset.testid = "ready-text";
      text.textContent = o.table_label ? say(gettext("Order #%(number)s ready — Table %(table)s"), { number: o.number, table: o.table_label })
        : o.customer_name ? say(gettext("Order #%(number)s ready — %(name)s"), { number: o.number, name: o.customer_name })
        : say(gettext("Order #%(number)s ready"), { number: o.number });
      b.type = "button"; b.className = "btn btn--ready"; b.textContent = gettext("Handed over");
      b.onclick = async () => { b.disabled = true; await post(root.dataset.servedUrl.replace("/0/", "/" + o.id + "/"), {}); if (document.body.dataset.live !== "listening") pollReady(true); };
      item.append(text, b);
      strip.appendChild(item);
    });
    strip.hidden = data.ready.length === 0;
  }
  async function pollReady(fresh) {
    try {
      const headers = readyEtag && !fresh ? { "If-None-Match": readyEtag } : {};
      const response = await fetch(root.dataset.readyUrl, { headers, credentials: "same-origin", cache: "no-store" });
      if (response.status !== 200) return null;
      showReady(await response.json(), response.headers.get("ETag"));
      return response.headers.get("X-Live-Stream");
    } catch (e) { return null; /* offline: try again at the next tick */ }
  }
  // A ticket the kitchen finishes shows within about 2 s either way; an unchanged screen costs the server nothing
  // with the stream, and well under a millisecond per poll without it (docs/adr/0011).
  if (!root.dataset.streamUrl) pollReady(false); // a stream sends the strip as soon as it opens
  posLive(root.dataset.streamUrl, pollReady, (body, etag) => showReady(JSON.parse(body), etag));

  refresh();
  renderAdding();
  if (cart.order && cart.order.balance_minor > 0) {
    // A reload in the middle of paying: reopen the payment dialog for the order already made.
    renderPayDialog(cart.order); tenderChanged(); $("pay-dialog").showModal();
  }
})();
