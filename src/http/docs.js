// Renders /api/v1/openapi.json as a page: operations by tag, each with its
// parameters, body and answers. Plain DOM, no library, nothing fetched
// but the document itself (the page's content policy allows nothing else).
"use strict";

function element(tag, text, children) {
  const node = document.createElement(tag);
  if (text) node.textContent = text;
  for (const child of children || []) node.appendChild(child);
  return node;
}

function schemaText(schema, doc, depth) {
  if (!schema) return "";
  if (depth > 4) return "…";
  if (schema.$ref) {
    const name = schema.$ref.split("/").pop();
    const target = (doc.components.schemas || {})[name];
    return name + (depth < 2 && target ? " " + schemaText(target, doc, depth + 1) : "");
  }
  if (schema.oneOf || schema.anyOf || schema.allOf) {
    return (schema.oneOf || schema.anyOf || schema.allOf)
      .map((s) => schemaText(s, doc, depth + 1)).join(" | ");
  }
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  const type = Array.isArray(schema.type) ? schema.type.join("|") : schema.type;
  if (type === "array" || (Array.isArray(schema.type) && schema.items)) {
    return "[" + schemaText(schema.items, doc, depth + 1) + "]";
  }
  if (schema.properties) {
    const required = new Set(schema.required || []);
    return "{ " + Object.entries(schema.properties)
      .map(([k, v]) => k + (required.has(k) ? "" : "?") + ": " + schemaText(v, doc, depth + 1))
      .join(", ") + " }";
  }
  const limits = ["format", "minimum", "maximum", "pattern"]
    .filter((k) => schema[k] !== undefined).map((k) => k + " " + schema[k]);
  return (type || "any") + (limits.length ? " (" + limits.join(", ") + ")" : "");
}

function operationView(path, method, op, doc) {
  const items = [];
  for (const p of op.parameters || []) {
    items.push(element("li", p.in + " " + p.name + (p.required ? " (required)" : "") +
      ": " + schemaText(p.schema, doc, 0) + (p.description ? " — " + p.description : "")));
  }
  if (op.requestBody) {
    for (const [type, content] of Object.entries(op.requestBody.content)) {
      items.push(element("li", "body " + type + ": " + schemaText(content.schema, doc, 0)));
    }
  }
  for (const [status, answer] of Object.entries(op.responses || {})) {
    const types = Object.entries(answer.content || {})
      .map(([type, c]) => type + " " + schemaText(c.schema, doc, 0)).join("; ");
    items.push(element("li", status + " " + (answer.description || "") + (types ? " → " + types : "")));
  }
  const title = element("h3", method.toUpperCase() + " " + path);
  const summary = element("p", [op.summary, op.description].filter(Boolean).join(" "));
  return element("section", "", [title, summary, element("ul", "", items)]);
}

async function render() {
  const root = document.getElementById("api");
  try {
    const doc = await (await fetch("/api/v1/openapi.json")).json();
    root.textContent = "";
    root.appendChild(element("p", doc.info.description || ""));
    const byTag = new Map();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const tag = (op.tags || ["other"])[0];
        if (!byTag.has(tag)) byTag.set(tag, []);
        byTag.get(tag).push(operationView(path, method, op, doc));
      }
    }
    for (const [tag, views] of byTag) {
      root.appendChild(element("h2", tag));
      for (const view of views) root.appendChild(view);
    }
  } catch (error) {
    root.textContent = "Could not load the document: " + error;
  }
}

document.addEventListener("DOMContentLoaded", render);
