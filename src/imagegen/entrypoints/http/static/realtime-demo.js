// The demo page: sign in, get a stream token, open an EventSource and show
// each generation event. A stream ends after a while; we then fetch a fresh
// token and resume after the last event we saw.
"use strict";

const EVENTS = [
  "generation.queued",
  "generation.started",
  "generation.progress",
  "generation.variation",
  "generation.succeeded",
  "generation.failed",
  "generation.canceled",
];

const $ = (id) => document.getElementById(id);
let accessToken = null;
let lastEventId = null;
let source = null;

async function api(path, options = {}) {
  const headers = { "Content-Type": "application/json" };
  if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
  const response = await fetch(path, { ...options, headers });
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return response.json();
}

function setState(text) {
  $("state").textContent = text;
}

async function signIn(event) {
  event.preventDefault();
  const body = JSON.stringify({ email: $("email").value, password: $("password").value });
  try {
    const signed = await api("/api/auth/login", { method: "POST", body });
    accessToken = signed.access_token;
    $("who").textContent = `as ${signed.user.email}`;
    await connect();
  } catch (error) {
    setState(`error: ${error.message}`);
  }
}

async function connect() {
  if (source) source.close();
  setState("connecting");
  const issued = await api("/api/realtime/stream-token", { method: "POST" });
  const url = new URL(issued.url, location.href);
  if (lastEventId) url.searchParams.set("last_event_id", lastEventId);
  source = new EventSource(url);
  source.onopen = () => setState("connected");
  source.onerror = () => {
    // A closed source will not retry on its own (its token has expired).
    if (source.readyState === EventSource.CLOSED) reconnect();
    else setState("reconnecting");
  };
  for (const name of EVENTS) source.addEventListener(name, show);
  source.addEventListener("stream.end", reconnect);
}

function reconnect() {
  setState("reconnecting");
  setTimeout(() => connect().catch((error) => setState(`error: ${error.message}`)), 500);
}

function show(message) {
  lastEventId = message.lastEventId;
  const data = JSON.parse(message.data);
  const progress = data.progress || { completed: 0, total: 0 };
  $("job").textContent = data.job_id;
  $("status").textContent = data.status;
  $("progress-text").textContent = `${progress.completed} / ${progress.total}`;
  $("progress").max = Math.max(progress.total, 1);
  $("progress").value = progress.completed;
  const item = document.createElement("li");
  item.textContent = `${message.type} #${data.seq} ${data.status}`;
  $("events").append(item);
}

document.addEventListener("DOMContentLoaded", () => {
  $("sign-in").addEventListener("submit", signIn);
});
