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

let editor = null;

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

function show(signedIn, username) {
  $("auth").hidden = signedIn;
  $("playground").hidden = !signedIn;
  $("sign-out").hidden = !signedIn;
  $("who").textContent = signedIn ? `Signed in as ${username}` : "";
  if (signedIn) {
    editor.refresh();
    editor.focus();
  } else {
    $("username").focus();
  }
}

async function signIn(username, password) {
  const answer = await api("/api/auth/login", { method: "POST", body: JSON.stringify({ username, password }) });
  sessionStorage.setItem(tokenKey, answer.token);
  show(true, answer.user ? answer.user.username : username);
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

function setLanguage(id) {
  editor.setOption("mode", MODES[id] || null);
  const current = editor.getValue();
  if (!current.trim() || Object.values(STARTERS).includes(current)) editor.setValue(STARTERS[id] || "");
}

async function loadLanguages() {
  const select = $("language");
  for (const language of await api("/api/languages")) {
    const option = document.createElement("option");
    option.value = language.id;
    option.textContent = `${language.name} ${language.version}`;
    select.append(option);
  }
  setLanguage(select.value);
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

document.addEventListener("DOMContentLoaded", async () => {
  editor = CodeMirror.fromTextArea($("code"), {
    lineNumbers: true, indentUnit: 4, matchBrackets: true, viewportMargin: Infinity,
    extraKeys: { Tab: false, "Shift-Tab": false },  // Tab moves the focus on (keyboard users); Ctrl+Enter: below
    screenReaderLabel: "Code",
  });
  editor.getWrapperElement().dataset.testid = "editor";
  $("code").removeAttribute("data-testid");
  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !$("playground").hidden) {
      event.preventDefault();
      run();
    }
  });
  $("sign-in").addEventListener("submit", (event) => onAuth(event, false));
  $("sign-up").addEventListener("click", (event) => onAuth(event, true));
  $("sign-out").addEventListener("click", () => { sessionStorage.removeItem(tokenKey); show(false); });
  $("language").addEventListener("change", (event) => setLanguage(event.target.value));
  $("run").addEventListener("click", run);
  await loadLanguages();
  try {
    const me = sessionStorage.getItem(tokenKey) ? await api("/api/auth/me") : null;
    show(Boolean(me), me && me.username);
  } catch {
    sessionStorage.removeItem(tokenKey);
    show(false);
  }
});
