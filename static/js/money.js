// Money in the browser, by the server's rules: the page carries its currency's format
// ({% json_script currency_format %}, from pos_project/money.py currency_format) and this file applies it
// exactly as format_money and parse_amount do in Python. Amounts are integer minor units, never fractions.
(function (root) {
  "use strict";

  function group(digits, separator) {
    return digits.replace(/\B(?=(\d{3})+(?!\d))/g, separator);
  }

  // minor units -> "Rp 25.000", "$4.50", "-€ 1.234,50" (format_money). Options: {symbol: false} leaves the
  // symbol out; {group: false} the thousands separators (an amount put into an input, for parse to read back).
  function format(minor, fmt, options) {
    const withSymbol = !options || options.symbol !== false;
    const grouped = !options || options.group !== false;
    const amount = Math.trunc(Number(minor));
    const negative = amount < 0;
    const abs = Math.abs(amount);
    const unit = 10 ** fmt.exponent;
    const whole = Math.floor(abs / unit);
    const fraction = abs % unit;
    let text = grouped ? group(String(whole), fmt.thousands) : String(whole);
    if (fmt.exponent) text += fmt.decimal + String(fraction).padStart(fmt.exponent, "0");
    if (withSymbol) text = fmt.symbol + (fmt.symbol_space ? " " : "") + text;
    return (negative ? "-" : "") + text;
  }

  // What a person typed -> integer minor units, or null when it is not an amount (parse_amount)
  function parse(text, fmt) {
    let cleaned = String(text == null ? "" : text).trim().split(fmt.symbol).join("").replace(/[ \u00a0]/g, "");
    if (!cleaned) return null;
    const negative = cleaned.startsWith("-");
    cleaned = cleaned.replace(/^[-+]+/, "");
    let digits;
    if (fmt.exponent === 0) {
      digits = cleaned.split(fmt.thousands).join("");
      if (digits.includes(fmt.decimal) || digits.includes(".")) return null;
    } else {
      digits = fmt.thousands !== "." ? cleaned.split(fmt.thousands).join("") : cleaned;
      digits = digits.split(fmt.decimal).join(".");
      const dot = digits.lastIndexOf(".");
      if (dot >= 0 && digits.length - dot - 1 > fmt.exponent) return null;
    }
    if (!digits || !/^\d+$/.test(digits.replace(".", ""))) return null;
    const [whole, fraction = ""] = digits.split(".");
    const minor = parseInt(whole || "0", 10) * 10 ** fmt.exponent + (fmt.exponent ? parseInt((fraction + "0".repeat(fmt.exponent)).slice(0, fmt.exponent), 10) : 0);
    return negative ? -minor : minor;
  }

  // The format the page was given: <script id="currency-format" type="application/json">
  function pageFormat(doc) {
    const el = (doc || document).getElementById("currency-format");
    return el ? JSON.parse(el.textContent) : null;
  }

  const api = { format, parse, pageFormat };
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.PosMoney = api;
})(typeof window !== "undefined" ? window : this);
