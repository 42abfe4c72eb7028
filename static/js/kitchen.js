// Kitchen display and expo: listen to the stream service where one runs, else poll every 1.5 s with the ETag of the
// last answer (static/js/live.js; an unchanged poll is answered 304 from one Redis read, before any session or
// database work: docs/adr/0011), say plainly when the connection is gone, and age the tickets here, every few seconds,
// so a 304 never leaves a stale timer or colour.
// At rush hour (issue 11): bump-bar keys (1–9 select a ticket, Enter bumps it, R recalls the last bumped) and an
// optional chime for a new ticket, made with the Web Audio API (no file, nothing fetched), switched on per screen.
(function () {
  const live = document.getElementById("kds-live"), offline = document.getElementById("kds-offline");
  if (!live) return;
  let etag = null;
  // Taps started on this screen: a poll answer that crossed a tap is dropped (it may show the ticket the tap just
  // bumped, and would detach the element the tap's answer is swapped into); the next poll catches up.
  let taps = 0, tapsPending = 0;

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

  // --- The chime for a new ticket -----------------------------------------------------------------------------
  // Browsers play nothing before the person has tapped or typed on the page: turning the sound on is that tap,
  // and after a reload the first tap or key anywhere wakes it again (the toggle says so meanwhile).
  const SOUND_KEY = "kds-sound", toggle = document.getElementById("kds-sound");
  const sound = window.kitchenSound = {
    enabled: false,
    context: null,
    start() {
      const Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return;
      if (!this.context) this.context = new Context();
      if (this.context.state === "suspended") this.context.resume().then(renderSound, renderSound);
      renderSound();
    },
    // Two short tones (exposed so tests can count the calls: every new ticket calls window.kitchenSound.play).
    play() {
      const ctx = this.context;
      if (!ctx || ctx.state !== "running") return false;
      const now = ctx.currentTime;
      [[880, 0], [1320, 0.16]].forEach(([frequency, at]) => {
        const tone = ctx.createOscillator(), gain = ctx.createGain();
        tone.frequency.value = frequency;
        gain.gain.setValueAtTime(0.0001, now + at);
        gain.gain.exponentialRampToValueAtTime(0.5, now + at + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, now + at + 0.3);
        tone.connect(gain).connect(ctx.destination);
        tone.start(now + at);
        tone.stop(now + at + 0.32);
      });
      return true;
    },
  };
  function stored() { try { return localStorage.getItem(SOUND_KEY); } catch (e) { return null; } }
  function store(value) { try { localStorage.setItem(SOUND_KEY, value); } catch (e) { /* private mode: this page only */ } }
  function renderSound() {
    if (!toggle) return;
    const running = sound.context && sound.context.state === "running";
    toggle.setAttribute("aria-pressed", String(sound.enabled));
    toggle.textContent = !sound.enabled ? toggle.dataset.labelOff : running ? toggle.dataset.labelOn : toggle.dataset.labelBlocked;
  }
  if (toggle) {
    sound.enabled = stored() === "on";
    toggle.addEventListener("click", (event) => {
      sound.enabled = !sound.enabled;
      store(sound.enabled ? "on" : "off");
      if (sound.enabled) { sound.start(); window.kitchenSound.play(); }  // a chime now says it works
      renderSound();
      if (event.detail) toggle.blur();  // tapped: a bump bar's Enter must not switch it back
    });
    const wake = (event) => {
      if (toggle.contains(event.target)) return;  // the toggle switches; any other tap or key wakes the sound
      if (sound.enabled && !(sound.context && sound.context.state === "running")) sound.start();
    };
    document.addEventListener("pointerdown", wake, true);
    document.addEventListener("keydown", wake, true);
    renderSound();
  }
  // Every ticket this screen has shown (a recalled one is not new); a ticket never seen before chimes.
  const seen = new Set();
  function noteTickets(chime) {
    let fresh = false;
    live.querySelectorAll("[data-ticket-id]").forEach((el) => {
      if (!seen.has(el.dataset.ticketId)) { seen.add(el.dataset.ticketId); fresh = true; }
    });
    if (fresh && chime && sound.enabled) window.kitchenSound.play();
  }

  // --- Bump-bar keys ------------------------------------------------------------------------------------------
  let selectedId = null;
  const cards = () => [...live.querySelectorAll("[data-testid=ticket]")];
  function markSelected() {
    const all = cards();
    if (selectedId && !all.some((card) => card.dataset.ticketId === selectedId)) selectedId = null;
    all.forEach((card) => {
      const on = card.dataset.ticketId === selectedId;
      card.classList.toggle("ticket--selected", on);
      if (on) card.setAttribute("aria-current", "true"); else card.removeAttribute("aria-current");
    });
  }
  // A key may come within htmx's settle delay after a swap, before htmx has wired the new buttons: wire it now
  // (htmx skips a button it already wired), then press it.
  function tap(button) { htmx.process(button); button.click(); }
  document.addEventListener("keydown", (event) => {
    if (!live.querySelector("#kds-tickets") || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest && event.target.closest("input, select, textarea, [contenteditable]")) return;
    if (/^[1-9]$/.test(event.key)) {
      const card = cards()[Number(event.key) - 1];
      if (!card) return;
      event.preventDefault();
      selectedId = card.dataset.ticketId;
      markSelected();
      card.scrollIntoView({ block: "nearest" });
    } else if (event.key === "Enter") {
      const card = cards().find((c) => c.dataset.ticketId === selectedId);
      if (!card) return;
      event.preventDefault();  // not also a click on whichever button has the focus
      selectedId = null;
      tap(card.querySelector("[data-bump]"));
    } else if (event.key === "r" || event.key === "R") {
      const recall = live.querySelector("[data-recall]");  // the most recently bumped comes first
      if (!recall) return;
      event.preventDefault();
      tap(recall);
    } else if (event.key === "Escape") {
      selectedId = null;
      markSelected();
    }
  });

  // A state from the stream or a poll: shown unless it crossed a tap of this screen. The tap's own answer shows the
  // tickets after it; a state dropped here that the tap's answer does not show (its ETag differs) is caught up by
  // one poll once the taps are answered.
  let missed = null;
  function show(body, newEtag, tapsBefore) {
    if (taps !== tapsBefore || tapsPending > 0) { missed = newEtag || "?"; return; }
    if (body !== null) { live.innerHTML = body; htmx.process(live); age(); markSelected(); noteTickets(true); }
    etag = newEtag;
  }
  async function poll(fresh) {
    const tapsBefore = taps;
    try {
      const headers = etag && !fresh ? { "If-None-Match": etag } : {};
      const response = await fetch(live.dataset.pollUrl, { headers, credentials: "same-origin", cache: "no-store" });
      const body = response.status === 200 ? await response.text() : null;
      if (response.ok || response.status === 304) show(body, response.headers.get("ETag"), tapsBefore);
      offline.hidden = response.ok || response.status === 304;
      return response.headers.get("X-Live-Stream");
    } catch (e) { offline.hidden = false; return null; }
  }
  document.body.addEventListener("htmx:beforeRequest", () => { taps += 1; tapsPending += 1; });
  document.body.addEventListener("htmx:afterRequest", () => {
    tapsPending = Math.max(0, tapsPending - 1);
    if (tapsPending === 0 && missed) {
      if (missed !== etag) poll(false);
      missed = null;
    }
  });
  // A tap (bump, line done, recall) swaps the tickets through htmx; its answer names the version it shows (or
  // none, with Redis down): poll on from there, so the next poll is a 304 unless something else changed.
  document.body.addEventListener("htmx:afterSwap", (event) => {
    const xhr = event.detail && event.detail.xhr;
    etag = xhr ? xhr.getResponseHeader("ETag") : null;
    age(); markSelected(); noteTickets(true);
  });
  document.body.addEventListener("htmx:sendError", () => { offline.hidden = false; });
  age();
  noteTickets(false);
  setInterval(age, 5000);
  posLive(live.dataset.streamUrl, poll, (body, newEtag) => { offline.hidden = true; show(body, newEtag, taps); });
})();
