/*
 * PeerLearn default theme: small progressive enhancements, no dependencies.
 *
 * 1. Remember the browser's time zone in the cookie `peerlearn_tz` (one year),
 *    so the server can show times in the visitor's zone.
 * 2. Pre-fill a <select name="time_zone"> that still says "UTC" with the
 *    browser's zone, unless it (or an ancestor) carries `data-keep`.
 * 3. Behaviour that used to sit in inline handlers, which the Content-Security-Policy
 *    blocks: `<form data-confirm="Question?">` asks before submitting, and
 *    `<input data-select-on-click>` selects its text when clicked.
 * 4. Alpine components (the CSP build evaluates no code written in attributes):
 *    `x-data="priceSuggestion"` on the price suggestion box, `x-data="siteMenu"` on the header
 *    (the small-screen menu: opening it moves the focus to its first item, Escape closes it
 *    and gives the focus back to the Menu button).
 */
(function () {
  "use strict";

  // Django's JavaScript catalogue (/jsi18n/, loaded first by base.html) defines these; English without it.
  var gettext = window.gettext || function (message) { return message; };
  var ngettext = window.ngettext || function (one, many, count) { return count === 1 ? one : many; };
  var interpolate = window.interpolate || function (format, values, named) {
    return named
      ? format.replace(/%\((\w+)\)s/g, function (match, key) { return String(values[key]); })
      : format.replace(/%s/g, function () { return String(values.shift()); });
  };

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("input[data-select-on-click]")) target.select();
  });

  document.addEventListener("alpine:init", function () {
    // The header's small-screen menu, a disclosure that manages the focus like a dialog would.
    window.Alpine.data("siteMenu", function () {
      return {
        open: false,
        toggle: function () {
          this.open = !this.open;
          if (!this.open) return;
          var menu = this.$root.querySelector("#site-menu");
          this.$nextTick(function () {
            var first = menu && menu.querySelector("a[href], button, select, input");
            if (first) first.focus();
          });
        },
        close: function () {
          if (!this.open) return;
          this.open = false;
          this.$refs.toggle.focus();
        }
      };
    });

    // A live price suggestion for a session form: watches the form's skills and length fields.
    window.Alpine.data("priceSuggestion", function () {
      return {
        data: null,
        error: "",
        busy: false,
        init: function () {
          var self = this;
          var form = this.$el.closest("form");
          this.ask();
          if (form) form.addEventListener("change", function () { self.ask(); });
        },
        hasSuggestion: function () { return Boolean(this.data && this.data.suggested); },
        noSuggestion: function () { return !this.hasSuggestion(); },
        hasReasoning: function () { return this.reasoning().length > 0; },
        suggestedText: function () { return this.data ? this.data.suggested + " " + this.data.currency : ""; },
        rangeText: function () {
          var d = this.data;
          return d ? interpolate(gettext("anything from %(low)s to %(high)s %(currency)s is in line with the market."), { low: d.low, high: d.high, currency: d.currency }, true) : "";
        },
        reasoning: function () { return (this.data && this.data.reasoning) || []; },
        ask: async function () {
          var form = this.$el.closest("form");
          if (!form) return;
          var skillsName = this.$el.dataset.skillsField;
          var lengthName = this.$el.dataset.durationField;
          var params = new URLSearchParams();
          form.querySelectorAll('[name="' + skillsName + '"]').forEach(function (field) {
            if (field.type === "checkbox" && !field.checked) return;
            if (field.tagName === "SELECT") {
              Array.prototype.forEach.call(field.selectedOptions, function (o) { params.append("skills", o.value); });
            } else if (field.value) {
              params.append("skills", field.value);
            }
          });
          var length = form.querySelector('[name="' + lengthName + '"]');
          if (length && length.value) params.set("duration_minutes", length.value);
          this.busy = true;
          try {
            var response = await fetch(this.$el.dataset.url + "?" + params.toString(), {
              credentials: "same-origin",
              headers: { Accept: "application/json" }
            });
            var body = await response.json();
            if (response.ok) {
              this.data = body;
              this.error = "";
            } else {
              this.data = null;
              this.error = body.errors ? Object.values(body.errors).flat().join(" ") : body.detail;
            }
          } catch (e) {
            this.error = gettext("The price suggestion is unavailable right now.");
          }
          this.busy = false;
        }
      };
    });
  });

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
