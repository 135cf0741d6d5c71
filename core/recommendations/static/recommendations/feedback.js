// Reports what happens to recommended items: shown (once on screen), clicked, dismissed.
(function () {
  if (window.peerlearnRecommendations) return;
  window.peerlearnRecommendations = true;

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function report(section, row, event) {
    var url = section.getAttribute("data-feedback-url");
    if (!url) return Promise.resolve(null);
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      keepalive: true,
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({
        impression_id: row.getAttribute("data-impression"),
        item: row.getAttribute("data-item"),
        event: event,
        surface: section.getAttribute("data-surface") || "",
        position: parseInt(row.getAttribute("data-position"), 10) || null,
      }),
    }).catch(function () { return null; });
  }

  function wire(section) {
    var rows = section.querySelectorAll("[data-recommendation]");
    var seen = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) {
          seen.unobserve(entry.target);
          report(section, entry.target, "impression");
        }
      });
    }, { threshold: 0.5 }) : null;
    rows.forEach(function (row) {
      if (seen) seen.observe(row); else report(section, row, "impression");
      var link = row.querySelector("[data-recommendation-link]");
      if (link) link.addEventListener("click", function () { report(section, row, "click"); });
      var dismiss = row.querySelector("[data-dismiss]");
      if (dismiss) dismiss.addEventListener("click", function () {
        dismiss.disabled = true;
        report(section, row, "dismiss").then(function (response) {
          if (response && response.ok) row.remove(); else dismiss.disabled = false;
        });
      });
    });
  }

  function start() { document.querySelectorAll("[data-recommendations]").forEach(wire); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
