// The course's static explorers: each .mtl-static-explorer holds its controls (range inputs over value
// indices, selects), one <img> and a status line, and a JSON list of the precomputed figures (one per
// setting, the last control varying fastest). Moving a control shows that setting's figure; no server.
(function () {
  "use strict";

  function setUp(root) {
    var data = JSON.parse(root.querySelector("script.mtl-static-data").textContent);
    var figure = root.querySelector("img.mtl-static-figure");
    var status = root.querySelector(".mtl-static-status");
    var inputs = data.controls.map(function (control) {
      return root.querySelector('[data-control="' + control.name + '"]');
    });

    function show() {
      var index = 0;
      var parts = [];
      data.controls.forEach(function (control, k) {
        var i = parseInt(inputs[k].value, 10);
        index = index * control.labels.length + i;
        var readout = root.querySelector('output[data-for="' + control.name + '"]');
        if (readout) { readout.textContent = control.labels[i]; }
        parts.push(control.label + " = " + control.labels[i]);
      });
      var setting = parts.join(", ");
      figure.src = data.base + data.files[index];
      figure.alt = data.title + ": " + setting;
      var message = data.messages[index];
      status.textContent = "Setting " + (index + 1) + " of " + data.files.length + ": " + setting +
        (message ? ". Not drawn: " + message : ".");
    }

    inputs.forEach(function (input) {
      input.addEventListener("input", show);
      input.addEventListener("change", show);
    });
    show();
  }

  function setUpAll() {
    Array.prototype.forEach.call(document.querySelectorAll(".mtl-static-explorer"), setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpAll);
  } else {
    setUpAll();
  }
})();
