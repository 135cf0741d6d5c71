/*
 * PeerLearn default theme: small progressive enhancements, no dependencies.
 *
 * 1. Remember the browser's time zone in the cookie `peerlearn_tz` (one year),
 *    so the server can show times in the visitor's zone.
 * 2. Pre-fill a <select name="time_zone"> that still says "UTC" with the
 *    browser's zone, unless it (or an ancestor) carries `data-keep`.
 */
(function () {
  "use strict";

  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  // IANA names are plain ASCII (letters, digits, "_", "/", "+", "-"): safe in a cookie as they are.
  if (!zone || !/^[A-Za-z0-9_+\/-]+$/.test(zone)) return;

  document.cookie = "peerlearn_tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax";

  function prefill() {
    var selects = document.querySelectorAll('select[name="time_zone"]');
    Array.prototype.forEach.call(selects, function (select) {
      if (select.value !== "UTC" || select.closest("[data-keep]")) return;
      var known = Array.prototype.some.call(select.options, function (option) {
        return option.value === zone;
      });
      if (known) {
        select.value = zone;
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", prefill);
  } else {
    prefill();
  }
})();
