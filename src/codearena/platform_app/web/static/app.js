// CodeArena's web app: sign in, then a playground. Talks only to this origin's /api.
// Everything a program or the server says is put on the page with textContent, never as HTML.
"use strict";

const MODES = { python: "python", javascript: "javascript", c: "text/x-csrc", cpp: "text/x-c++src", java: "text/x-java" };
const STARTERS = {
  python: "name = input()\nprint(f\"hello {name}\")\n",
  javascript: "const name = require('fs').readFileSync(0, 'utf8').trim();\nconsole.log(`hello ${name}`);\n",
  c: "#include <stdio.h>\n\nint main(void) {\n    char name[64];\n    if (scanf(\"%63s\", name) == 1) printf(\"hello %s\\n\", name);\n    return 0;\n}\n",
  cpp: "#include <iostream>\n#include <string>\n\nint main() {\n    std::string name;\n    std::cin >> name;\n    std::cout << \"hello \" << name << std::endl;\n}\n",
  java: "import java.util.Scanner;\n\npublic class Main {\n    public static void main(String[] args) {\n        System.out.println(\"hello \" + new Scanner(System.in).next());\n    }\n}\n",
};
const $ = (id) => document.getElementById(id);
const tokenKey = "codearena.token";  // sessionStorage: gone with the tab, never sent by the browser on its own

let editor = null;         // the playground's
let solution = null;       // the problem page's
let problemId = null;      // the problem on the page
// Statements are Markdown written by admins: rendered with raw HTML off (it shows as text) and
// markdown-it's link check (no javascript: or data: links), under the page's CSP.
const markdown = window.markdownit({ html: false, linkify: false });
const VIEWS = ["auth", "playground", "problems", "problem", "submissions", "modules", "module", "authoring", "dashboard"];
const leavingView = [];  // called with the view being shown (the dashboard stops refreshing when left)

async function api(path, options = {}) {
  const headers = { "Content-Type": "application/json" };
  const token = sessionStorage.getItem(tokenKey);
  if (token) headers.Authorization = "Bearer " + token;
  const response = await fetch(path, { ...options, headers });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const detail = Array.isArray(body.detail) ? body.detail.map((d) => d.msg).join("; ") : body.detail;
    throw new Error(detail || body.message || `${response.status} ${response.statusText}`);
  }
  return body;
}

function showView(name) {
  for (const view of VIEWS) $(view).hidden = view !== name;
  for (const leave of leavingView) leave(name);
  for (const tab of document.querySelectorAll(".tab")) {
    if (tab.dataset.view === name || (name === "problem" && tab.dataset.view === "problems")) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
  }
  if (name === "playground") { editor.refresh(); editor.focus(); }
  if (name === "problem") solution.refresh();
}

function show(signedIn, username, admin = false) {
  $("sign-out").hidden = !signedIn;
  for (const tab of document.querySelectorAll(".tab")) tab.hidden = !signedIn || (tab.classList.contains("admin-only") && !admin);
  $("who").textContent = signedIn ? `Signed in as ${username}` : "";
  showView(signedIn ? "playground" : "auth");
  if (!signedIn) $("username").focus();
}

async function signIn(username, password) {
  const answer = await api("/api/auth/login", { method: "POST", body: JSON.stringify({ username, password }) });
  sessionStorage.setItem(tokenKey, answer.token);
  const user = answer.user || { username, role: "user" };
  show(true, user.username, user.role === "admin");
}

async function onAuth(event, register) {
  event.preventDefault();
  const form = $("sign-in");
  if (!form.reportValidity()) return;
  const username = $("username").value, password = $("password").value;
  $("auth-message").textContent = "";
  try {
    if (register) await api("/api/auth/register", { method: "POST", body: JSON.stringify({ username, password }) });
    await signIn(username, password);
  } catch (error) {
    $("auth-message").textContent = error.message;
  }
}

const FAMILIES = {};  // language id -> its family (pypy -> python): the editor mode and starter are the family's

function setLanguage(id, target = editor) {
  const family = FAMILIES[id] || id;
  target.setOption("mode", MODES[family] || null);
  const current = target.getValue();
  if (!current.trim() || Object.values(STARTERS).includes(current)) target.setValue(STARTERS[family] || "");
}

async function loadLanguages() {
  const select = $("language");
  for (const language of await api("/api/languages")) {
    if (language.project) continue;  // a multi-file program needs files, which the editor does not hold
    const option = document.createElement("option");
    option.value = language.id;
    FAMILIES[language.id] = language.family;
    option.textContent = `${language.name} ${language.version}`;
    select.append(option);
    $("problem-language").append(option.cloneNode(true));
    $("mf-language").append(option.cloneNode(true));
  }
  setLanguage(select.value);
  setLanguage($("problem-language").value, solution);
}

async function loadProblems() {
  const list = $("problem-list");
  list.replaceChildren();
  showView("problems");
  let problems;
  try {
    problems = await api("/api/problems");
  } catch (error) {
    const item = document.createElement("li");
    item.textContent = `Could not load the problems: ${error.message}`;
    list.append(item);
    return;
  }
  showLinks(list, problems, "problem-link", openProblem);
}

// A list of buttons, one per item (its title), each opening its item by id.
function showLinks(list, items, testid, open) {
  for (const item of items) {
    const entry = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.testid = testid;
    button.textContent = item.title;
    button.addEventListener("click", () => open(item.id));
    entry.append(button);
    list.append(entry);
  }
}

function tableRow(cells) {
  const row = document.createElement("tr");
  for (const text of cells) {
    const cell = document.createElement("td");
    cell.textContent = String(text);
    row.append(cell);
  }
  return row;
}

function textBlock(label, text) {
  const figure = document.createElement("figure");
  const caption = document.createElement("figcaption");
  const pre = document.createElement("pre");
  caption.textContent = label;
  pre.textContent = text;
  figure.append(caption, pre);
  return figure;
}

async function loadSubmissions() {
  showView("submissions");
  const table = document.querySelector("[data-testid=submission-table]");
  const titles = Object.fromEntries((await api("/api/problems")).map((p) => [p.id, p.title]));
  const page = await api("/api/submissions?pageSize=50");
  const rows = page.items.map((item) => tableRow([
    item.id, titles[item.problemId] || item.problemId, item.language, item.verdict || item.status,
    item.score === null ? "" : `${item.score} / ${item.maxScore}`,
    item.time === null ? "" : `${item.time.toFixed(3)} s`, new Date(item.createdAt).toLocaleString()]));
  table.querySelector("tbody").replaceChildren(...rows);
  table.hidden = rows.length === 0;
  $("submissions-empty").hidden = rows.length !== 0;
}

async function openProblem(id) {
  const problem = await api(`/api/problems/${id}`);
  problemId = problem.id;
  $("problem-title").textContent = problem.title;
  $("problem-time").textContent = `time limit ${problem.timeLimit} s`;
  $("problem-memory").textContent = `memory limit ${problem.memoryLimit} MB`;
  $("statement").innerHTML = markdown.render(problem.statement || "");  // raw HTML off: safe (see above)
  $("samples").replaceChildren(...problem.samples.flatMap((sample) => [
    textBlock(`Sample ${sample.name}: input`, sample.input), textBlock(`Sample ${sample.name}: output`, sample.expectedOutput)]));
  showJudged(null);
  showView("problem");
}

// A table's rows for test results: name, verdict, CPU time, memory.
function testRows(tests) {
  return tests.map((test) => tableRow([test.name, test.verdict, `${test.time.toFixed(3)} s`, `${test.memory} KB`]));
}

function showTests(tests) {
  const rows = testRows(tests);
  $("tests").querySelector("tbody").replaceChildren(...rows);
  $("tests").hidden = rows.length === 0;
}

function showJudged(result) {
  $("problem-verdict").textContent = result ? (result.verdict || result.status) : "-";
  $("problem-message").textContent = result && result.message ? `(${result.message})` : "";
  const compile = $("problem-compile");
  compile.textContent = (result && result.compileOutput) || "";
  compile.hidden = !compile.textContent;
  showTests((result && result.tests) || []);
}

// A submission as it is judged: the platform's server-sent events, read through fetch (an
// EventSource cannot send the token). Each `test` as it is judged, then `done` (the submission).
async function follow(id, onTest) {
  const response = await fetch(`/api/submissions/${id}/events`, {
    headers: { Authorization: "Bearer " + sessionStorage.getItem(tokenKey) },
  });
  if (!response.ok || !response.body) throw new Error(`${response.status} ${response.statusText}`);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the verdict stream ended before the verdict");
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      let data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) name = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      if (!data) continue;  // a keep-alive comment
      if (name === "test") onTest(JSON.parse(data));
      if (name === "done") {
        reader.cancel();
        return JSON.parse(data);
      }
    }
  }
}

// The solution judged by `work(body)` (its result shown), one judging at a time per button.
async function judgeWith(button, work) {
  if (button.disabled) return;
  button.disabled = true;
  showJudged(null);
  $("problem-verdict").textContent = "judging...";
  try {
    const body = { problemId, code: solution.getValue(), language: $("problem-language").value };
    showJudged(await work(body));
  } catch (error) {
    $("problem-verdict").textContent = "error";
    $("problem-message").textContent = error.message;
  } finally {
    button.disabled = false;
  }
}

function judge(path, button) {
  return judgeWith(button, (body) => api(path, { method: "POST", body: JSON.stringify(body) }));
}

// Submit: stored at once, then its tests arrive as they are judged, then the verdict.
function submit(button) {
  return judgeWith(button, async (body) => {
    const submitted = await api("/api/submissions", { method: "POST", body: JSON.stringify(body) });
    const tests = [];
    try {
      return await follow(submitted.id, (test) => {
        tests.push(test);
        showTests(tests);
        $("problem-message").textContent = `(${tests.length} tests judged)`;
      });
    } catch {
      return api(`/api/submissions/${submitted.id}?wait=60`);  // no stream: wait for the verdict
    }
  });
}

function clearResult(text) {
  for (const id of ["stdout", "stderr", "compile", "message", "cpu", "wall", "memory"]) $(id).textContent = "";
  $("verdict").textContent = text;
}

async function run() {
  const button = $("run");
  if (button.disabled) return;
  button.disabled = true;
  clearResult("running...");
  try {
    const result = await api("/api/execute", {
      method: "POST",
      body: JSON.stringify({ code: editor.getValue(), language: $("language").value, input: $("stdin").value }),
    });
    $("verdict").textContent = result.verdict;
    $("message").textContent = result.message ? `(${result.message})` : "";
    $("stdout").textContent = result.stdout;
    $("stderr").textContent = result.stderr;
    $("compile").textContent = result.compileOutput;
    $("cpu").textContent = `${result.time.toFixed(3)} s`;
    $("wall").textContent = `${result.wallTime.toFixed(3)} s`;
    $("memory").textContent = `${result.memory} KB`;
  } catch (error) {
    clearResult("error");
    $("message").textContent = error.message;
  } finally {
    button.disabled = false;
  }
}

function makeEditor(textarea, label, testid) {
  const made = CodeMirror.fromTextArea(textarea, {
    lineNumbers: true, indentUnit: 4, matchBrackets: true, viewportMargin: Infinity,
    extraKeys: { Tab: false, "Shift-Tab": false },  // Tab moves the focus on (keyboard users); Ctrl+Enter: below
    screenReaderLabel: label,
  });
  textarea.removeAttribute("data-testid");  // the hook belongs to what the user sees
  made.getWrapperElement().dataset.testid = testid;
  return made;
}

document.addEventListener("DOMContentLoaded", async () => {
  editor = makeEditor($("code"), "Code", "editor");
  solution = makeEditor($("problem-code"), "Solution", "solution-editor");
  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      if (!$("playground").hidden) { event.preventDefault(); run(); }
      if (!$("problem").hidden) { event.preventDefault(); judge("/api/problems/run", $("run-samples")); }
    }
  });
  $("sign-in").addEventListener("submit", (event) => onAuth(event, false));
  $("sign-up").addEventListener("click", (event) => onAuth(event, true));
  $("sign-out").addEventListener("click", () => { sessionStorage.removeItem(tokenKey); show(false); });
  $("language").addEventListener("change", (event) => setLanguage(event.target.value));
  $("run").addEventListener("click", run);
  $("problem-language").addEventListener("change", (event) => setLanguage(event.target.value, solution));
  $("tab-playground").addEventListener("click", () => showView("playground"));
  $("tab-problems").addEventListener("click", () => loadProblems());
  $("tab-submissions").addEventListener("click", () => loadSubmissions().catch((error) => {
    $("submissions-empty").hidden = false;
    $("submissions-empty").textContent = `Could not load the submissions: ${error.message}`;
  }));
  $("back").addEventListener("click", () => loadProblems());
  $("run-samples").addEventListener("click", (event) => judge("/api/problems/run", event.currentTarget));
  $("submit").addEventListener("click", (event) => submit(event.currentTarget));
  // Who is signed in is settled first: the language list may take a moment on a fresh server,
  // and a sign-in made meanwhile must not be undone by a late answer.
  const languages = loadLanguages();
  try {
    const me = sessionStorage.getItem(tokenKey) ? await api("/api/auth/me") : null;
    show(Boolean(me), me && me.username, Boolean(me) && me.role === "admin");
  } catch {
    sessionStorage.removeItem(tokenKey);
    show(false);
  }
  await languages;
});
