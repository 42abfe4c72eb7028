// Print pages (receipt, kitchen ticket, shift report, purchase order): the Print button, and printing on load
// when the page asks for it (<body data-autoprint>). A static file: the Content-Security-Policy refuses inline code.
(function () {
  "use strict";
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-print]")) window.print();
  });
  if (document.body.hasAttribute("data-autoprint")) window.addEventListener("load", () => window.print());
})();
