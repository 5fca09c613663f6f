// The admin's pages: the execution dashboard, and authoring (problem packages, problems, modules).
// Uses app.js's helpers ($, api, showView, tableRow, loadProblems). Every value is shown as text.
"use strict";

// The admin's execution dashboard: GET /api/execution/dashboard, again every 2 s while it is open.
async function refreshDashboard() {
  const status = await api("/api/execution/dashboard");
  const service = status.service;
  $("dash-mode").textContent = status.mode;
  $("dash-service").textContent = service ? `${service.status} (Redis ${service.redis})` : "down (no answer)";
  $("dash-breaker").textContent = status.breaker
    ? (status.breaker.open ? `open: direct execution (${status.breaker.failures} failures)`
      : `closed (${status.breaker.failures}/${status.breaker.threshold} failures)`)
    : "- (direct mode)";
  $("dash-workers").textContent = service ? String(service.workers) : "-";
  $("dash-slots").textContent = service && service.slots !== undefined ? String(service.slots) : "-";
  $("dash-backlog").textContent = service && service.backlog
    ? Object.entries(service.backlog).map(([priority, count]) => `${priority} ${count}`).join(", ") : "-";
  $("dash-rpm").textContent = String(status.runsPerMinute);
  $("dash-executions").textContent = Object.entries(status.executions).map(([route, n]) => `${route} ${n}`).join(", ") || "none";
  $("dash-direct").textContent = `${status.direct.inFlight} running of ${status.direct.slots} slots`;
  $("dash-events").querySelector("tbody").replaceChildren(
    ...status.recent.map((event) => tableRow([event.at, event.event, event.reason])));
  $("dash-updated").textContent = `Updated ${new Date().toLocaleTimeString()}.`;
}

const DASHBOARD_REFRESH_MS = 2000;
let dashboardTimer = null;
leavingView.push((name) => {
  if (name !== "dashboard" && dashboardTimer) { clearInterval(dashboardTimer); dashboardTimer = null; }
});

function openDashboard() {
  showView("dashboard");
  const refresh = () => refreshDashboard().catch((error) => { $("dash-updated").textContent = `Could not refresh: ${error.message}`; });
  refresh();
  if (!dashboardTimer) dashboardTimer = setInterval(refresh, DASHBOARD_REFRESH_MS);
}

// -- authoring ---------------------------------------------------------------------------------

function parseTests(id) {
  try {
    const tests = JSON.parse($(id).value || "[]");
    if (!Array.isArray(tests)) throw new Error("not a list");
    return tests;
  } catch (error) {
    throw new Error(`the tests are not a JSON list of tests (${error.message})`);
  }
}

async function uploadPackage() {
  const file = $("package-file").files[0];
  const message = $("package-message");
  if (!file) { message.textContent = "Choose a .zip first."; return; }
  const replace = $("package-replace").checked ? "?replace=true" : "";
  const response = await fetch(`/api/problems/package${replace}`, {
    method: "POST", body: file,
    headers: { "Content-Type": "application/zip", Authorization: "Bearer " + sessionStorage.getItem(tokenKey) },
  });
  const body = await response.json().catch(() => ({}));
  message.textContent = response.ok
    ? `Imported "${body.title}" (${body.slug}, ${body.testCount} tests).`
    : `Not imported: ${body.detail || response.statusText}`;
  if (response.ok) await fillProblemChoices();
}

async function fillProblemChoices() {
  const select = $("problem-edit");
  select.replaceChildren(new Option("a new problem", ""));
  for (const problem of await api("/api/problems")) select.append(new Option(`${problem.title} (${problem.slug})`, problem.id));
}

async function fillModuleChoices() {
  const select = $("module-edit");
  select.replaceChildren(new Option("a new module", ""));
  for (const module of await api("/api/modules")) select.append(new Option(module.title, module.id));
}

async function loadProblemForm() {
  const id = $("problem-edit").value;
  const problem = id ? await api(`/api/problems/${id}`) : null;
  $("pf-title").value = problem ? problem.title : "";
  $("pf-statement").value = problem ? problem.statement : "";
  $("pf-time").value = problem ? problem.timeLimit : 1;
  $("pf-memory").value = problem ? problem.memoryLimit : 256;
  $("pf-tests").value = JSON.stringify(problem ? problem.tests : [], null, 1);
  $("pf-message").textContent = "";
}

// One save for both editors: POST a new one or PUT the chosen one, say what was saved, and keep
// it chosen in the refilled list.
async function saveEdited(event, { picker, path, message, body, saidOf, refill }) {
  event.preventDefault();
  const id = $(picker).value;
  try {
    const saved = await api(id ? `${path}/${id}` : path, { method: id ? "PUT" : "POST", body: JSON.stringify(body()) });
    $(message).textContent = saidOf(saved);
    await refill();
    $(picker).value = String(saved.id);
  } catch (error) {
    $(message).textContent = `Not saved: ${error.message}`;
  }
}

function saveProblem(event) {
  return saveEdited(event, {
    picker: "problem-edit", path: "/api/problems", message: "pf-message", refill: fillProblemChoices,
    body: () => ({ title: $("pf-title").value, statement: $("pf-statement").value, timeLimit: Number($("pf-time").value),
                   memoryLimit: Number($("pf-memory").value), tests: parseTests("pf-tests") }),
    saidOf: (saved) => `Saved "${saved.title}" (${saved.slug}, ${saved.testCount} tests).`,
  });
}

async function loadModuleForm() {
  const id = $("module-edit").value;
  const module = id ? await api(`/api/modules/${id}`) : null;
  $("mf-title").value = module ? module.title : "";
  if (module) $("mf-language").value = module.language;
  $("mf-content").value = module ? module.content : "";
  $("mf-starter").value = module ? module.starterCode : "";
  $("mf-stdin").value = module ? module.stdin : "";
  $("mf-tests").value = JSON.stringify(module ? module.tests : [], null, 1);
  $("mf-message").textContent = "";
}

function saveModule(event) {
  return saveEdited(event, {
    picker: "module-edit", path: "/api/modules", message: "mf-message", refill: fillModuleChoices,
    body: () => ({ title: $("mf-title").value, language: $("mf-language").value, content: $("mf-content").value,
                   starterCode: $("mf-starter").value, stdin: $("mf-stdin").value, tests: parseTests("mf-tests") }),
    saidOf: (saved) => `Saved "${saved.title}".`,
  });
}

async function openAuthoring() {
  showView("authoring");
  await Promise.all([fillProblemChoices(), fillModuleChoices()]);
}

document.addEventListener("DOMContentLoaded", () => {
  $("tab-dashboard").addEventListener("click", () => openDashboard());
  $("tab-authoring").addEventListener("click", () => openAuthoring().catch((error) => {
    $("package-message").textContent = `Could not load: ${error.message}`;
  }));
  $("package-upload").addEventListener("click", () => uploadPackage().catch((error) => {
    $("package-message").textContent = `Not imported: ${error.message}`;
  }));
  $("problem-edit").addEventListener("change", () => loadProblemForm());
  $("module-edit").addEventListener("change", () => loadModuleForm());
  $("problem-form").addEventListener("submit", saveProblem);
  $("module-form").addEventListener("submit", saveModule);
});
