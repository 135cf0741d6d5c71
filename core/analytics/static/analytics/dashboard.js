/* The analytics dashboard: charts from the page's JSON, and live tiles over ws/dashboard/. */
(function () {
  "use strict";

  var palette = ["#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c", "#0891b2"];

  function percentAxis() {
    return { min: 0, max: 1, ticks: { callback: function (v) { return Math.round(v * 100) + " %"; } } };
  }

  function dataset(label, values, index, type) {
    return {
      type: type || "line",
      label: label,
      data: values,
      borderColor: palette[index % palette.length],
      backgroundColor: palette[index % palette.length] + "99",
      spanGaps: false,
      tension: 0.2,
    };
  }

  function draw(canvas, config) {
    if (typeof window.Chart === "undefined") return;
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
    new window.Chart(canvas, config);
  }

  function drawCharts() {
    var node = document.getElementById("analytics-chart-data");
    if (!node) return;
    var data = JSON.parse(node.textContent);
    var names = data.labelsByMetric;
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var kind = canvas.dataset.chart;
      if (kind === "bookings") {
        draw(canvas, { type: "bar", data: { labels: data.labels, datasets: [
          dataset(names.bookings, data.counts.bookings, 0, "bar"),
          dataset(names.confirmed, data.counts.confirmed, 1, "bar"),
        ] } });
      } else if (kind === "outcomes") {
        draw(canvas, { type: "line", data: { labels: data.labels, datasets: [
          dataset(names.completion_rate, data.rates.completion_rate, 1),
          dataset(names.cancellation_rate, data.rates.cancellation_rate, 4),
          dataset(names.no_show_rate, data.rates.no_show_rate, 2),
        ] }, options: { scales: { y: percentAxis() } } });
      } else if (kind === "funnel") {
        draw(canvas, { type: "line", data: { labels: data.labels, datasets: [
          dataset(names.utilisation, data.rates.utilisation, 0),
          dataset(names.search_conversion, data.rates.search_conversion, 3),
        ] }, options: { scales: { y: percentAxis() } } });
      } else if (kind === "users") {
        draw(canvas, { type: "bar", data: { labels: data.labels, datasets: [
          dataset(names.new_users, data.counts.new_users, 5, "bar"),
        ] } });
      } else if (kind === "rating") {
        draw(canvas, { type: "line", data: { labels: data.labels, datasets: [
          dataset(names.rating_average, data.rating, 4),
        ] }, options: { scales: { y: { min: 1, max: 5 } } } });
      } else if (kind === "money") {
        var currency = canvas.dataset.currency;
        var pick = function (metric) {
          var row = (data.money[metric] || []).find(function (r) { return r.currency === currency; });
          return row ? row.values : [];
        };
        draw(canvas, { type: "line", data: { labels: data.labels, datasets: [
          dataset(names.revenue + " (" + currency + ")", pick("revenue"), 0),
          dataset(names.commission + " (" + currency + ")", pick("commission"), 1),
          dataset(names.avg_session_value + " (" + currency + ")", pick("avg_session_value"), 3),
        ] } });
      }
    });
  }

  function formatMoney(row) {
    var span = document.createElement("span");
    span.textContent = row.label === "Free" ? "0" : row.label;
    return span;
  }

  function showTiles(tiles) {
    var set = function (name, value) {
      document.querySelectorAll('[data-tile="' + name + '"]').forEach(function (el) {
        if (Array.isArray(value)) {
          el.replaceChildren.apply(el, value.length ? value.map(formatMoney) : [document.createTextNode("0")]);
        } else {
          el.textContent = String(value);
        }
      });
    };
    set("bookings_today", tiles.bookings_today);
    set("sessions_in_progress", tiles.sessions_in_progress);
    set("revenue_today", tiles.revenue_today);
  }

  function connect(section, delay) {
    var status = section.querySelector("[data-live-status]");
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + section.dataset.dashboardSocket);
    var keepAlive = null;  // the server pushes tiles only while an open dashboard has spoken lately
    socket.addEventListener("open", function () {
      delay = 1000;
      keepAlive = window.setInterval(function () { socket.send(JSON.stringify({ type: "ping" })); }, 30000);
      if (status) status.textContent = "Today is the UTC day. Live: tiles update as bookings and payments happen.";
      section.dataset.live = "open";
    });
    socket.addEventListener("message", function (event) {
      var message = JSON.parse(event.data);
      if (message.type === "tiles") showTiles(message.tiles);
    });
    socket.addEventListener("close", function (event) {
      window.clearInterval(keepAlive);
      section.dataset.live = "closed";
      if (event.code === 4401 || event.code === 4403) {
        if (status) status.textContent = "Live updates are not available for this account.";
        return;
      }
      if (status) status.textContent = "Live updates lost; reconnecting…";
      window.setTimeout(function () { connect(section, Math.min(delay * 2, 30000)); }, delay);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts();
    var section = document.querySelector("[data-dashboard-socket]");
    if (section && "WebSocket" in window) connect(section, 1000);
  });
})();
