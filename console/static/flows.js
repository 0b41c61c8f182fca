// The flow page, where JavaScript runs: Mermaid draws the diagram from its source, the
// editor gets line numbers, and a problem's link selects its line. Without JavaScript the
// page works as well: the diagram's source shows as text, a link goes to the editor.
(function () {
  "use strict";

  function drawDiagrams() {
    var sources = document.querySelectorAll("pre.mermaid");
    if (!sources.length || !window.mermaid) return;
    window.mermaid.initialize({
      startOnLoad: false,
      securityLevel: "strict",
      theme: "neutral",
      flowchart: { useMaxWidth: false, htmlLabels: false },
    });
    window.mermaid.run({ nodes: sources }).catch(function () {
      // Mermaid could not draw it: its source stays readable as text.
    });
  }

  function lineHeight(editor) {
    var height = parseFloat(window.getComputedStyle(editor).lineHeight);
    return isNaN(height) ? 20 : height;
  }

  function numberLines(editor) {
    var gutter = document.createElement("pre");
    gutter.className = "gutter";
    gutter.setAttribute("aria-hidden", "true");
    editor.parentNode.insertBefore(gutter, editor);
    editor.parentNode.classList.add("numbered");
    var shown = 0;
    function update() {
      var count = editor.value.split("\n").length;
      if (count !== shown) {
        var numbers = [];
        for (var n = 1; n <= count; n++) numbers.push(n);
        gutter.textContent = numbers.join("\n") + "\n";
        shown = count;
      }
      gutter.scrollTop = editor.scrollTop;
    }
    editor.addEventListener("input", update);
    editor.addEventListener("scroll", function () { gutter.scrollTop = editor.scrollTop; });
    update();
  }

  function selectLine(editor, number) {
    var lines = editor.value.split("\n");
    if (number < 1 || number > lines.length) return;
    var start = 0;
    for (var i = 0; i < number - 1; i++) start += lines[i].length + 1;
    editor.focus();
    editor.setSelectionRange(start, start + lines[number - 1].length);
    var height = lineHeight(editor);
    editor.scrollTop = Math.max(0, (number - 1) * height - editor.clientHeight / 3);
    editor.dispatchEvent(new Event("scroll"));
  }

  function linkProblems(editor) {
    document.querySelectorAll("a.to-line[data-line]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        editor.scrollIntoView({ block: "center" });
        selectLine(editor, parseInt(link.getAttribute("data-line"), 10));
      });
    });
  }

  drawDiagrams();
  var editor = document.getElementById("flow-yaml");
  if (editor) {
    numberLines(editor);
    linkProblems(editor);
  }
})();
