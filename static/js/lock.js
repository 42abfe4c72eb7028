// A till's lock: the idle lock on the cashier's pages, and the lock screen's PIN keypad.
//
// Idle lock: the layout's lock form says how long the till may stay untouched (data-idle-seconds, from the
// owner's Sales settings; 0 = never). After that long without a tap, a key or a pointer move the form is sent:
// the server signs the person out and keeps the device's register, and the cart stays in this browser.
(function () {
  "use strict";

  const form = document.getElementById("lock-form");
  const idle = form ? Number(form.dataset.idleSeconds || 0) : 0;
  if (form && idle > 0) {
    let last = Date.now();
    let locking = false;
    const touched = () => { last = Date.now(); };
    ["pointerdown", "pointermove", "keydown", "touchstart", "wheel", "scroll"].forEach((name) =>
      window.addEventListener(name, touched, { passive: true, capture: true }));
    const check = () => {
      if (locking || Date.now() - last < idle * 1000) return;
      locking = true;
      form.submit();
    };
    setInterval(check, 5000);
    document.addEventListener("visibilitychange", check);
  }

  // The keypad types into the PIN field (a tablet's own keyboard would cover the tiles).
  const pad = document.querySelector(".keypad");
  const pin = document.getElementById("id_pin");
  if (pad && pin) {
    pad.addEventListener("click", (event) => {
      const key = event.target.closest("button");
      if (!key) return;
      if (key.dataset.digit !== undefined) {
        if (pin.value.length < Number(pin.maxLength || 6)) pin.value += key.dataset.digit;
      } else if (key.hasAttribute("data-back")) {
        pin.value = pin.value.slice(0, -1);
      } else if (key.hasAttribute("data-clear")) {
        pin.value = "";
      }
    });
  }
})();
