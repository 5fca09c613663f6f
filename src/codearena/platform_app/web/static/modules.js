// Modules (course content): the list, and a module's page: its content (Markdown, raw HTML off),
// its starter code in an editor, Run, and its tests. Uses app.js's helpers.
"use strict";

let moduleEditor = null;
let moduleId = null;

async function loadModules() {
  const list = $("module-list");
  list.replaceChildren();
  showView("modules");
  showLinks(list, await api("/api/modules"), "module-link", openModule);
}

async function openModule(id) {
  const module = await api(`/api/modules/${id}`);
  moduleId = module.id;
  $("module-title").textContent = module.title;
  $("module-language").textContent = `language: ${module.language}`;
  $("module-content").innerHTML = markdown.render(module.content || "");  // raw HTML off: safe
  showView("module");
  moduleEditor.setOption("mode", MODES[FAMILIES[module.language] || module.language] || null);
  moduleEditor.setValue(module.starterCode);
  moduleEditor.refresh();
  $("module-stdin").value = module.stdin;
  showModuleResult(null);
}

function showModuleResult(result) {
  $("module-verdict").textContent = result ? result.verdict : "-";
  $("module-message").textContent = result && result.message ? `(${result.message})` : "";
  $("module-output").textContent = result ? result.stdout : "";
  $("module-errors").textContent = result ? [result.stderr, result.compileOutput].filter(Boolean).join("\n") : "";
  const tests = result && result.tests;
  $("module-tests").hidden = !tests;
  $("module-passed").textContent = tests ? `${tests.passed} of ${tests.total} passed` : "";
  $("module-tests").querySelector("tbody").replaceChildren(...testRows(tests ? tests.tests : []));
}

async function runModule() {
  const button = $("module-run");
  if (button.disabled) return;
  button.disabled = true;
  showModuleResult(null);
  $("module-verdict").textContent = "running...";
  try {
    showModuleResult(await api("/api/modules/execute", {
      method: "POST", body: JSON.stringify({ moduleId, code: moduleEditor.getValue(), input: $("module-stdin").value }),
    }));
  } catch (error) {
    $("module-verdict").textContent = "error";
    $("module-message").textContent = error.message;
  } finally {
    button.disabled = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  moduleEditor = makeEditor($("module-code"), "Code", "module-editor");
  $("tab-modules").addEventListener("click", () => loadModules().catch((error) => {
    $("module-list").textContent = `Could not load the modules: ${error.message}`;
  }));
  $("module-back").addEventListener("click", () => loadModules());
  $("module-run").addEventListener("click", () => runModule());
});
