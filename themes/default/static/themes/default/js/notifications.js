/*
 * PeerLearn live notifications: loaded by {% notification_bell %}.
 *
 * Connects to ws/notifications/ (the script tag's data-notifications-socket),
 * keeps every [data-notification-count] badge up to date, shows a toast for
 * each new notification, prepends it to any [data-notification-list
 * data-live-prepend] on the page and re-dispatches it as the window event
 * "peerlearn:notification" (detail: the notification's JSON). Elements with
 * an id and data-live-refresh (a dashboard's schedule) are re-fetched from
 * the server and swapped in place after each notification.
 *
 * The same socket carries direct messages (core.messaging): every
 * [data-message-count] badge follows the unread count, and each message or
 * read receipt is re-dispatched as "peerlearn:message" / "peerlearn:message-read"
 * for the conversation page (messages.js); elsewhere a new message shows a
 * toast linking to its conversation.
 *
 * The socket reconnects with backoff, pings every 25 s so proxies keep it
 * open, and <html data-notifications="open|closed"> tells tests its state.
 * No dependencies.
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

  if (window.PeerLearnNotifications) return; // the bell may appear twice (mobile + desktop)

  var script =
    document.currentScript || document.querySelector("script[data-notifications-socket]");
  var path = (script && script.getAttribute("data-notifications-socket")) || "/ws/notifications/";
  var PING_MS = 25000;
  var TOAST_MS = 8000;
  var MAX_BACKOFF_MS = 30000;

  var socket = null;
  var backoff = 1000;
  var pingTimer = null;
  var retryTimer = null;
  var root = document.documentElement;

  function setState(state) {
    root.setAttribute("data-notifications", state);
  }

  function setCount(count) {
    if (typeof count !== "number" || count < 0) return;
    var text = count > 99 ? "99+" : String(count);
    document.querySelectorAll("[data-notification-count]").forEach(function (badge) {
      badge.textContent = text;
      badge.hidden = count === 0;
    });
    document.querySelectorAll("[data-notification-count-label]").forEach(function (label) {
      label.textContent = count === 0 ? gettext("none unread") : interpolate(ngettext("%s unread", "%s unread", count), [count]);
    });
    document.querySelectorAll("[data-notification-unread-text]").forEach(function (label) {
      label.textContent = count === 0 ? gettext("All caught up") : interpolate(ngettext("%s unread", "%s unread", count), [count]);
    });
    document.querySelectorAll("[data-notification-unread-suffix]").forEach(function (label) {
      label.textContent = count === 0 ? "" : " (" + count + " unread)";
    });
  }

  function setMessageCount(count) {
    if (typeof count !== "number" || count < 0) return;
    var text = count > 99 ? "99+" : String(count);
    document.querySelectorAll("[data-message-count]").forEach(function (badge) {
      badge.textContent = text;
      badge.hidden = count === 0;
    });
    document.querySelectorAll("[data-message-count-label]").forEach(function (label) {
      label.textContent = count === 0 ? gettext("none unread") : interpolate(ngettext("%s unread", "%s unread", count), [count]);
    });
  }

  function openUrl(item) {
    return item.url ? "/notifications/" + encodeURIComponent(item.id) + "/open/" : null;
  }

  function fill(node, item) {
    var link = node.querySelector('[data-slot="link"]');
    var title = node.querySelector('[data-slot="title"]');
    var body = node.querySelector('[data-slot="body"]');
    if (title) title.textContent = item.title || "";
    if (link) {
      var href = item.href || openUrl(item);
      if (href) link.setAttribute("href", href);
      else link.removeAttribute("href");
    }
    if (body) {
      body.textContent = item.body || "";
      body.hidden = !item.body;
    }
  }

  function toastRegion() {
    var region = document.querySelector("[data-notification-toasts]");
    // The bell lives in the header, whose backdrop filter would make "fixed" relative
    // to the header itself: keep the toasts on <body>, fixed to the viewport.
    if (region && region.parentNode !== document.body) document.body.appendChild(region);
    return region;
  }

  function toast(item) {
    var region = toastRegion();
    var template = document.querySelector("template[data-notification-toast-template]");
    if (!region || !template) return;
    var node = template.content.firstElementChild.cloneNode(true);
    node.setAttribute("data-notification-toast", String(item.id));
    fill(node, item);
    var timer = null;
    function dismiss() {
      if (timer) clearTimeout(timer);
      if (node.parentNode) node.parentNode.removeChild(node);
    }
    function arm() {
      timer = setTimeout(dismiss, TOAST_MS);
    }
    var close = node.querySelector('[data-slot="close"]');
    if (close) close.addEventListener("click", dismiss);
    node.addEventListener("mouseenter", function () {
      if (timer) clearTimeout(timer);
    });
    node.addEventListener("mouseleave", arm);
    node.addEventListener("focusin", function () {
      if (timer) clearTimeout(timer);
    });
    region.appendChild(node);
    while (region.children.length > 4) region.removeChild(region.firstElementChild);
    arm();
  }

  function prepend(item) {
    document.querySelectorAll("[data-notification-list][data-live-prepend]").forEach(function (list) {
      if (list.querySelector('[data-notification-id="' + item.id + '"]')) return;
      var template =
        list.parentNode.querySelector("template[data-notification-item-template]") ||
        document.querySelector("template[data-notification-item-template]");
      if (!template) return;
      var node = template.content.firstElementChild.cloneNode(true);
      node.setAttribute("data-notification-id", String(item.id));
      fill(node, item);
      var time = node.querySelector('[data-slot="time"]');
      if (time && item.created) time.setAttribute("datetime", item.created);
      var empty = list.querySelector("[data-notification-empty]");
      if (empty) empty.parentNode.removeChild(empty);
      list.insertBefore(node, list.firstChild);
      var limit = parseInt(list.getAttribute("data-limit") || "0", 10);
      if (limit > 0) {
        var items = list.querySelectorAll("[data-notification-id]");
        for (var i = limit; i < items.length; i++) items[i].parentNode.removeChild(items[i]);
      }
    });
  }

  var refreshTimer = null;

  function refreshLiveRegions() {
    var regions = document.querySelectorAll("[data-live-refresh][id]");
    if (!regions.length || !window.fetch || !window.DOMParser) return;
    if (refreshTimer) clearTimeout(refreshTimer);
    // A burst of notifications (a group session cancelled) costs one request.
    refreshTimer = setTimeout(function () {
      refreshTimer = null;
      fetch(window.location.href, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (response) {
          return response.ok ? response.text() : null;
        })
        .then(function (html) {
          if (!html) return;
          var fresh = new DOMParser().parseFromString(html, "text/html");
          regions.forEach(function (region) {
            var replacement = fresh.getElementById(region.id);
            if (replacement && region.parentNode) region.parentNode.replaceChild(document.importNode(replacement, true), region);
          });
          root.setAttribute("data-live-refreshed", String(Date.now()));
        })
        .catch(function () {
          /* offline: the next notification tries again */
        });
    }, 300);
  }

  function onMessage(event) {
    var message;
    try {
      message = JSON.parse(event.data);
    } catch (error) {
      return;
    }
    if (!message || typeof message !== "object") return;
    if (message.type === "notification" && message.payload) {
      var item = message.payload;
      if (typeof item.unread_count === "number") setCount(item.unread_count);
      if (item.id != null && item.title) {
        toast(item);
        prepend(item);
      }
      window.dispatchEvent(new CustomEvent("peerlearn:notification", { detail: item }));
      refreshLiveRegions();
    } else if (message.type === "unread") {
      setCount(message.count);
    } else if (message.type === "message" && message.payload) {
      var sent = message.payload;
      if (typeof sent.unread_count === "number") setMessageCount(sent.unread_count);
      // A toast unless it is mine or its conversation is the page being read.
      if (!sent.own && !document.querySelector('[data-conversation="' + sent.conversation + '"]')) {
        toast({
          id: "message-" + sent.id,
          title: interpolate(gettext("Message from %s"), [(sent.sender && sent.sender.name) || gettext("someone")]),
          body: sent.body || (sent.attachment ? sent.attachment.name : ""),
          href: "/messages/" + encodeURIComponent(sent.conversation) + "/",
        });
      }
      window.dispatchEvent(new CustomEvent("peerlearn:message", { detail: sent }));
    } else if (message.type === "message_read" && message.payload) {
      window.dispatchEvent(new CustomEvent("peerlearn:message-read", { detail: message.payload }));
    } else if (message.type === "message_unread") {
      setMessageCount(message.count);
    }
  }

  function stopPing() {
    if (pingTimer) clearInterval(pingTimer);
    pingTimer = null;
  }

  function connect() {
    if (retryTimer) {
      clearTimeout(retryTimer);
      retryTimer = null;
    }
    if (socket && (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING)) return;
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    setState("connecting");
    try {
      socket = new WebSocket(scheme + window.location.host + path);
    } catch (error) {
      scheduleRetry();
      return;
    }
    socket.addEventListener("open", function () {
      backoff = 1000;
      setState("open");
      stopPing();
      pingTimer = setInterval(function () {
        if (socket && socket.readyState === WebSocket.OPEN) socket.send('{"type":"ping"}');
      }, PING_MS);
    });
    socket.addEventListener("message", onMessage);
    socket.addEventListener("close", function (event) {
      stopPing();
      setState("closed");
      // 4401: not signed in (any more): retrying would only be refused again.
      if (event.code !== 4401) scheduleRetry();
    });
  }

  function scheduleRetry() {
    if (retryTimer) return;
    var wait = backoff + Math.floor(Math.random() * 500);
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    retryTimer = setTimeout(connect, wait);
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") connect();
  });
  window.addEventListener("online", connect);

  window.PeerLearnNotifications = { connect: connect, setCount: setCount, setMessageCount: setMessageCount };

  if (!("WebSocket" in window)) return;
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", connect);
  } else {
    connect();
  }
})();
