// Live screens (the kitchen display, the expo, the till's ready strip): where a stream service runs, listen to it
// (server-sent events, docs/adr/0018): each change arrives as the screen's whole new state, and an unchanged screen
// costs the server nothing. Else, or while the stream is down, poll 1.5 s after each answer (docs/adr/0011). A lost
// or ended stream falls back to polling at once: one full poll catches the screen up and names a fresh stream,
// opened after a pause that doubles with each failure (1 s up to 30 s); a state from the stream resets it.
//   poll(fresh): one poll (fresh: without the ETag, so the answer is full and names a stream); resolves to the
//                stream the answer names, or null.
//   apply(body, etag): show a state the stream sent.
// The page's <body data-live> says which it does now: "listening" (a stream sent a state) or "polling".
window.posLive = function (streamUrl, poll, apply) {
  const pushing = Boolean(streamUrl) && "EventSource" in window;
  let url = pushing ? streamUrl : null, source = null, pause = 1000, reopenAt = 0, heard = 0;
  const mode = (listening) => { document.body.dataset.live = listening ? "listening" : "polling"; };
  function lost() {
    if (!source) return;
    source.close(); source = null; url = null; mode(false);
    reopenAt = Date.now() + pause; pause = Math.min(pause * 2, 30000);
    tick();
  }
  function open() {
    source = new EventSource(url);
    heard = Date.now();
    source.addEventListener("state", (event) => { heard = Date.now(); pause = 1000; mode(true); apply(event.data, event.lastEventId); });
    source.addEventListener("ping", () => { heard = Date.now(); });
    source.onerror = lost;
  }
  async function tick() {
    let next = null;
    try { next = await poll(pushing && !url); } catch (e) { /* offline: the poll said so; try again */ }
    if (next) url = next;
    if (url && Date.now() >= reopenAt) open(); else setTimeout(tick, 1500);
  }
  // The service pings every 10 s: a stream silent for 25 s (a network gone without a word) is lost, and so is
  // every stream the moment the device says it went offline; the polls then say so on the screen.
  setInterval(() => { if (source && Date.now() - heard > 25000) lost(); }, 5000);
  window.addEventListener("offline", lost);
  mode(false);
  if (url) open(); else setTimeout(tick, 1500);
};
