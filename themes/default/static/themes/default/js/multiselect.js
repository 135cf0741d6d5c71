/*
 * PeerLearn default theme: searchable multi-select with chips, no dependencies.
 *
 * Enhances every `[data-multiselect]` wrapper around a `<select multiple>`
 * (core.accounts.widgets.ChipsSelectMultiple). The select stays in the form,
 * hidden, and remains the value that is submitted; this script only draws:
 *   - the chosen options as chips, always visible, each with a remove button;
 *   - a text box (ARIA combobox) that filters a list box of the options.
 * Keyboard: type to filter, Up/Down to move, Enter to choose or unchoose,
 * Escape to close, Backspace in the empty box removes the last chip.
 * Touch: every option and chip is a large tap target; the list stays open
 * while choosing several.
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

  var counter = 0;

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function enhance(root) {
    var select = root.querySelector("select[multiple]");
    if (!select || root.hasAttribute("data-enhanced")) return;
    root.setAttribute("data-enhanced", "");
    var uid = "ms" + ++counter;
    var placeholder = root.getAttribute("data-placeholder") || gettext("Type to search…");

    var box = document.createElement("div");
    box.className = "ms-box";
    var chips = document.createElement("ul");
    chips.className = "ms-chips";
    var input = document.createElement("input");
    input.type = "text";
    input.className = "ms-input";
    input.id = (select.id || uid) + "_search";
    input.autocomplete = "off";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", uid + "-list");
    input.placeholder = placeholder;
    ["aria-describedby", "aria-invalid", "aria-required"].forEach(function (name) {
      if (select.hasAttribute(name)) input.setAttribute(name, select.getAttribute(name));
    });
    var list = document.createElement("ul");
    list.className = "ms-list";
    list.id = uid + "-list";
    list.hidden = true;
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-multiselectable", "true");
    var status = document.createElement("p");
    status.className = "sr-only";
    status.setAttribute("aria-live", "polite");

    // The field's label now names the text box; the list box and chips are named after it.
    var label = select.id ? document.querySelector('label[for="' + select.id + '"]') : null;
    var name = label ? label.textContent.trim() : select.name;
    if (label) label.htmlFor = input.id;
    list.setAttribute("aria-label", name);
    chips.setAttribute("aria-label", interpolate(gettext("Chosen: %s"), [name]));

    box.appendChild(chips);
    box.appendChild(input);
    root.appendChild(box);
    root.appendChild(list);
    root.appendChild(status);
    select.hidden = true;
    select.tabIndex = -1;

    var options = Array.prototype.slice.call(select.options);
    var items = options.map(function (option, index) {
      var item = document.createElement("li");
      item.id = uid + "-opt-" + index;
      item.className = "ms-option";
      item.setAttribute("role", "option");
      item.textContent = option.textContent;
      item.dataset.value = option.value;
      item.addEventListener("mousedown", function (event) {
        event.preventDefault(); // keep the focus in the text box
      });
      item.addEventListener("click", function () {
        toggle(index);
        input.focus();
      });
      list.appendChild(item);
      return { option: option, item: item, text: fold(option.textContent) };
    });
    var active = -1;

    function visible() {
      return items.filter(function (entry) {
        return !entry.item.hidden;
      });
    }

    function setActive(entry) {
      items.forEach(function (other) {
        other.item.classList.toggle("is-active", other === entry);
      });
      active = entry ? items.indexOf(entry) : -1;
      if (entry) {
        input.setAttribute("aria-activedescendant", entry.item.id);
        entry.item.scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function open(isOpen) {
      list.hidden = !isOpen;
      input.setAttribute("aria-expanded", String(isOpen));
      if (!isOpen) setActive(null);
    }

    function filter() {
      var query = fold(input.value.trim());
      var shown = 0;
      items.forEach(function (entry) {
        entry.item.hidden = query !== "" && entry.text.indexOf(query) === -1;
        if (!entry.item.hidden) shown += 1;
      });
      var current = items[active];
      if (!current || current.item.hidden) setActive(visible()[0] || null);
      status.textContent = query
        ? interpolate(ngettext("%s match", "%s matches", shown), [shown])
        : "";
    }

    function render() {
      chips.textContent = "";
      items.forEach(function (entry, index) {
        entry.item.setAttribute("aria-selected", String(entry.option.selected));
        if (!entry.option.selected) return;
        var chip = document.createElement("li");
        chip.className = "ms-chip";
        var text = document.createElement("span");
        text.textContent = entry.option.textContent;
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "ms-remove";
        remove.setAttribute("aria-label", interpolate(gettext("Remove %s"), [entry.option.textContent]));
        remove.textContent = "×";
        remove.addEventListener("click", function () {
          toggle(index);
          input.focus();
        });
        chip.appendChild(text);
        chip.appendChild(remove);
        chips.appendChild(chip);
      });
      chips.hidden = !chips.children.length;
    }

    function toggle(index) {
      var option = items[index].option;
      option.selected = !option.selected;
      status.textContent = interpolate(option.selected ? gettext("%s added") : gettext("%s removed"), [
        option.textContent,
      ]);
      render();
      select.dispatchEvent(new Event("change", { bubbles: true }));
      if (input.value) {
        input.value = "";
        filter();
      }
    }

    function move(step) {
      var shown = visible();
      if (!shown.length) return;
      open(true);
      var position = shown.indexOf(items[active]);
      var next = position === -1 ? (step > 0 ? 0 : shown.length - 1) : (position + step + shown.length) % shown.length;
      setActive(shown[next]);
    }

    input.addEventListener("input", function () {
      open(true);
      filter();
    });
    input.addEventListener("focus", function () {
      filter();
    });
    input.addEventListener("click", function () {
      open(list.hidden);
    });
    input.addEventListener("blur", function () {
      open(false);
    });
    input.addEventListener("keydown", function (event) {
      switch (event.key) {
        case "ArrowDown":
          event.preventDefault();
          move(1);
          break;
        case "ArrowUp":
          event.preventDefault();
          move(-1);
          break;
        case "Enter":
          if (!list.hidden && active !== -1) {
            event.preventDefault(); // choosing never submits the form
            toggle(active);
          } else if (!list.hidden) {
            event.preventDefault();
          }
          break;
        case "Escape":
          if (!list.hidden) {
            event.preventDefault();
            open(false);
          }
          break;
        case "Backspace":
          if (!input.value) {
            var chosen = items.filter(function (entry) {
              return entry.option.selected;
            });
            if (chosen.length) toggle(items.indexOf(chosen[chosen.length - 1]));
          }
          break;
      }
    });
    box.addEventListener("click", function (event) {
      if (event.target === box || event.target === chips) input.focus();
    });
    select.addEventListener("change", render); // a form reset or another script
    if (select.form) {
      select.form.addEventListener("reset", function () {
        setTimeout(render, 0);
      });
    }
    render();
    filter();
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-multiselect]"), enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
