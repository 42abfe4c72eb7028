// Kitchen display and expo: poll every 1.5 s with the ETag of the last answer (an unchanged display is answered
// 304 from one Redis read, before any session or database work: docs/adr/0011), say plainly when the connection is gone, and age the tickets here, every few seconds,
// so a 304 never leaves a stale timer or colour.
(function () {
  const live = document.getElementById("kds-live"), offline = document.getElementById("kds-offline");
  if (!live) return;
  let etag = null;

  function age() {
    const now = Date.now() / 1000;
    live.querySelectorAll("[data-created]").forEach((card) => {
      const minutes = Math.floor((now - Number(card.dataset.created)) / 60);
      const label = card.querySelector("[data-age]");
      if (label) label.textContent = minutes + " min";
      card.classList.toggle("ticket--red", minutes >= Number(card.dataset.red));
      card.classList.toggle("ticket--amber", minutes >= Number(card.dataset.amber) && minutes < Number(card.dataset.red));
    });
  }

  async function poll() {
    try {
      const response = await fetch(live.dataset.pollUrl, { headers: etag ? { "If-None-Match": etag } : {}, credentials: "same-origin", cache: "no-store" });
      if (response.status === 200) { live.innerHTML = await response.text(); htmx.process(live); age(); }
      if (response.ok || response.status === 304) { etag = response.headers.get("ETag"); offline.hidden = true; }
      else offline.hidden = false;
    } catch (e) { offline.hidden = false; }
    setTimeout(poll, 1500);
  }
  // A tap (bump, line done, recall) swaps the tickets through htmx; its answer names the version it shows (or
  // none, with Redis down): poll on from there, so the next poll is a 304 unless something else changed.
  document.body.addEventListener("htmx:afterSwap", (event) => {
    const xhr = event.detail && event.detail.xhr;
    etag = xhr ? xhr.getResponseHeader("ETag") : null;
    age();
  });
  document.body.addEventListener("htmx:sendError", () => { offline.hidden = false; });
  age();
  setInterval(age, 5000);
  setTimeout(poll, 1500);
})();
