// YASGUI on the editor page: the endpoint is this server's /sparql, the saved queries are its examples
// (one tab each, opened on demand from the list). Loaded only when the vendored YASGUI is present.
(function () {
  "use strict";
  var holder = document.getElementById("yasgui");
  if (!holder || typeof Yasgui === "undefined") { return; }
  var endpoint = new URL(holder.getAttribute("data-endpoint"), window.location.href).href;
  var examples = JSON.parse(holder.getAttribute("data-examples") || "[]");
  var yasgui = new Yasgui(holder, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    persistenceId: null,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } }
  });
  var tab = yasgui.getTab();
  var area = document.getElementById("query");
  if (tab && area && area.value) { tab.setQuery(area.value); }
  var pick = document.querySelector(".examples-select");
  if (pick) {
    var bar = document.createElement("p");
    bar.className = "examples-bar";
    var label = document.createElement("span");
    label.textContent = "Examples: ";
    bar.appendChild(label);
    var select = pick.cloneNode(true);
    bar.appendChild(select);
    holder.parentNode.insertBefore(bar, holder);
    select.addEventListener("change", function () {
      examples.forEach(function (ex) {
        if (ex.name === select.value) {
          var t = yasgui.addTab(true, { name: ex.name });
          t.setQuery(ex.query);
        }
      });
    });
  }
  window.msckgYasgui = yasgui;
})();
