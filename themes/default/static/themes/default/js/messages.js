/*
 * PeerLearn conversation page: messages arrive live.
 *
 * notifications.js owns the ws/notifications/ socket and re-dispatches each
 * direct message as the window event "peerlearn:message" and each read
 * receipt as "peerlearn:message-read". This script appends a message of the
 * conversation on screen (built with textContent: the body is text, links
 * are made with createElement and only for http(s) addresses), marks it read
 * through the API, and turns "Sent" into "Read" on receipts. The send form
 * posts to the API with fetch, so the page (and its socket) stays open for
 * the read receipt; without JavaScript it posts as a plain form.
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

  var root = document.querySelector("[data-conversation]");
  if (!root) return;
  var conversationId = Number(root.getAttribute("data-conversation"));
  var me = Number(root.getAttribute("data-me"));
  var readUrl = root.getAttribute("data-read-url");
  var sendUrl = root.getAttribute("data-send-url");
  var list = root.querySelector("[data-message-list]");
  var template = root.querySelector("template[data-message-template]");
  var LINK = /(https?:\/\/[^\s<>"']+)/g;

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function linkify(node, text) {
    var lines = String(text).split("\n");
    lines.forEach(function (line, index) {
      if (index > 0) node.appendChild(document.createElement("br"));
      var last = 0;
      line.replace(LINK, function (url, _group, offset) {
        if (offset > last) node.appendChild(document.createTextNode(line.slice(last, offset)));
        var a = document.createElement("a");
        a.href = url;
        a.rel = "nofollow noopener noreferrer";
        a.target = "_blank";
        a.textContent = url;
        node.appendChild(a);
        last = offset + url.length;
        return url;
      });
      if (last < line.length) node.appendChild(document.createTextNode(line.slice(last)));
    });
  }

  function markRead() {
    if (!readUrl || document.visibilityState === "hidden") return;
    fetch(readUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
    }).catch(function () {
      /* the next visit marks it read */
    });
  }

  function append(item) {
    if (!list || !template) return;
    if (list.querySelector('[data-message-id="' + item.id + '"]')) return;
    var node = template.content.firstElementChild.cloneNode(true);
    var own = item.sender && item.sender.id === me;
    node.id = "message-" + item.id;
    node.setAttribute("data-message-id", String(item.id));
    if (own) {
      node.setAttribute("data-own", "");
      node.classList.add("justify-end");
    }
    var body = node.querySelector('[data-slot="body"]');
    if (item.body) linkify(body, item.body);
    else body.parentNode.removeChild(body);
    if (item.attachment && item.attachment.url) {
      var holder = node.querySelector('[data-slot="attachment"]');
      var link = node.querySelector('[data-slot="attachment-link"]');
      link.href = item.attachment.url;
      link.textContent = interpolate(gettext("Attachment: %s"), [item.attachment.name]);
      holder.hidden = false;
    }
    var time = node.querySelector('[data-slot="time"]');
    time.setAttribute("datetime", item.created_at);
    time.textContent = new Date(item.created_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    node.querySelector('[data-slot="receipt"]').textContent = own ? (item.read_at ? "Read" : "Sent") : "";
    var empty = list.querySelector("[data-message-empty]");
    if (empty) empty.parentNode.removeChild(empty);
    list.appendChild(node);
    node.scrollIntoView({ block: "nearest" });
  }

  window.addEventListener("peerlearn:message", function (event) {
    var item = event.detail;
    if (!item || item.conversation !== conversationId) return;
    append(item);
    if (item.sender && item.sender.id !== me) markRead();
  });

  window.addEventListener("peerlearn:message-read", function (event) {
    var receipt = event.detail;
    if (!receipt || receipt.conversation !== conversationId) return;
    (receipt.ids || []).forEach(function (id) {
      var slot = list && list.querySelector('[data-message-id="' + id + '"] [data-slot="receipt"]');
      if (slot) slot.textContent = "Read";
    });
  });

  document.addEventListener("visibilitychange", markRead);

  var form = root.querySelector("form[data-message-form]");
  var errorBox = root.querySelector("[data-message-error]");

  function showError(text) {
    if (!errorBox) return;
    errorBox.textContent = text || "";
    errorBox.hidden = !text;
  }

  function reasonOf(body) {
    if (!body || typeof body !== "object") return gettext("The message could not be sent; try again.");
    if (body.errors) {
      for (var field in body.errors) {
        var messages = body.errors[field];
        if (messages && messages.length) return String(messages[0]);
      }
    }
    return String(body.detail || gettext("The message could not be sent; try again."));
  }

  if (form && sendUrl && window.fetch && window.FormData) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      showError("");
      var data = new FormData(form);
      data.delete("csrfmiddlewaretoken");
      var file = data.get("attachment");
      if (file && typeof file === "object" && !file.name) data.delete("attachment");
      fetch(sendUrl, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      })
        .then(function (response) {
          return response.json().then(
            function (body) {
              return { ok: response.ok, body: body };
            },
            function () {
              return { ok: false, body: null };
            }
          );
        })
        .then(function (result) {
          if (result.ok) {
            append(result.body);
            form.reset();
          } else {
            showError(reasonOf(result.body));
          }
        })
        .catch(function () {
          showError(gettext("The message could not be sent (offline?); try again."));
        })
        .then(function () {
          if (button) button.disabled = false;
        });
    });
  }
})();
