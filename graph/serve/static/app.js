// Suggestions as you type: a list of links under every search box with data-suggest.
// Text goes in with textContent and links with encodeURIComponent (never innerHTML).
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  function attach(input) {
    var list = input.parentNode.querySelector("ul.suggestions");
    if (!list) { return; }
    var timer = null, seq = 0;
    function clear() { while (list.firstChild) { list.removeChild(list.firstChild); } list.hidden = true; }
    function show(items) {
      clear();
      items.forEach(function (it) {
        var li = document.createElement("li"), a = document.createElement("a"), small = document.createElement("small");
        a.href = "/entity?iri=" + encodeURIComponent(it.iri);
        a.textContent = it.label || it.iri;
        small.textContent = it.type || "";
        a.appendChild(small);
        li.appendChild(a);
        list.appendChild(li);
      });
      list.hidden = items.length === 0;
    }
    input.addEventListener("input", function () {
      var text = input.value.trim();
      clearTimeout(timer);
      if (text.length < 2) { clear(); return; }
      timer = setTimeout(function () {
        var mine = ++seq;
        fetch("/suggest?q=" + encodeURIComponent(text), { headers: { "Accept": "application/json" } })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (items) { if (mine === seq) { show(items); } })
          .catch(function () { clear(); });
      }, 120);
    });
    input.addEventListener("keydown", function (ev) {
      var links = Array.prototype.slice.call(list.querySelectorAll("a"));
      var i = links.indexOf(document.activeElement);
      if (ev.key === "ArrowDown" && links.length) { ev.preventDefault(); links[Math.min(i + 1, links.length - 1)].focus(); }
      if (ev.key === "Escape") { clear(); }
    });
    list.addEventListener("keydown", function (ev) {
      var links = Array.prototype.slice.call(list.querySelectorAll("a"));
      var i = links.indexOf(document.activeElement);
      if (ev.key === "ArrowDown") { ev.preventDefault(); links[Math.min(i + 1, links.length - 1)].focus(); }
      if (ev.key === "ArrowUp") { ev.preventDefault(); if (i <= 0) { input.focus(); } else { links[i - 1].focus(); } }
      if (ev.key === "Escape") { clear(); input.focus(); }
    });
    document.addEventListener("click", function (ev) { if (!input.parentNode.contains(ev.target)) { clear(); } });
  }
  Array.prototype.forEach.call(document.querySelectorAll("input[data-suggest]"), attach);
  // the plain editor's example picker
  var pick = document.querySelector(".examples-select");
  var area = document.getElementById("query");
  if (pick && area) {
    var examples = JSON.parse(pick.getAttribute("data-examples") || "[]");
    pick.addEventListener("change", function () {
      examples.forEach(function (ex) { if (ex.name === pick.value) { area.value = ex.query; } });
    });
  }
})();
